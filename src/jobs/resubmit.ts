/**
 * Resubmit (the same script and options again, after a confirmation) and Clone and Edit (a
 * copy of the script, its options as directive lines, saved where the user says on the cluster
 * and opened for editing; Submit Job in the editor submits it) on any job of the Jobs view.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import { CancelledError } from '../core/cancel';
import { SchedulerError } from '../core/scheduler/command';
import { MAX_SCRIPT_BYTES } from '../core/scheduler/types';
import { cloneFileName, cloneText, resubmission, resubmissionSummary, type Resubmission } from '../core/jobs/resubmit';
import { jobLabel } from '../core/jobs/format';
import { hpcUri } from '../fs/hpcUri';
import type { JobsContext } from './context';
import type { JobTarget } from './targets';
import { announceSubmitted } from './submitScript';

/** `0,1,2,3,7` → `0-3,7`. */
function taskRange(ids: number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    runs.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}

/** The job's submission, with a clear message when the cluster no longer has it. */
async function find(ctx: JobsContext, t: JobTarget): Promise<Resubmission> {
  const scheduler = ctx.schedulers.scheduler(t.host);
  let r: Resubmission;
  try {
    r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Job ${t.id}: reading its script…` }, () => resubmission(scheduler, ctx.submitted.get(t.host, t.id), t.id));
  } catch (e) {
    if (e instanceof SchedulerError && e.kind === 'invalid-job') throw new Error(`${t.host}: ${e.message.replace(/^\w+: /, '')}`);
    throw e;
  }
  // A whole array row the scheduler described by one of its records: every task listed again.
  const tasks = (t.array?.tasks ?? []).map((j) => Number(j.arrayTaskId)).filter(Number.isInteger);
  if (r.from !== 'recorded' && tasks.length) r = { ...r, spec: { ...r.spec, array: taskRange(tasks) } };
  return r;
}

function what(t: JobTarget): string {
  return t.job ? `job ${jobLabel(t.job)}` : t.array ? `array ${t.id}` : `job ${t.id}`;
}

export async function resubmitJob(ctx: JobsContext, t: JobTarget): Promise<string> {
  const r = await find(ctx, t);
  const ok = await vscode.window.showInformationMessage(`Resubmit ${what(t)} on ${t.host}?`, { modal: true, detail: `The same script and options: ${resubmissionSummary(r)}.` }, 'Resubmit');
  if (ok !== 'Resubmit') throw new CancelledError();
  const scheduler = ctx.schedulers.scheduler(t.host);
  const res = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Resubmitting ${what(t)} on ${t.host}…` }, () => scheduler.submit(r.spec));
  ctx.log.info(`[jobs] resubmitted ${t.id} on ${t.host} (${r.from}): job ${res.id}`);
  announceSubmitted(ctx, t.host, res.id, r.spec.name ?? t.job?.name ?? `copy of ${t.id}`, r.spec.hold);
  return res.id;
}

/** The script text to copy: known, or the recorded script file read back (capped). */
async function scriptText(ctx: JobsContext, host: string, r: Resubmission): Promise<string> {
  if (r.text !== undefined) return r.text;
  const path = r.spec.script;
  if (!path) throw new Error('The script of this job is not available.');
  const ops = await ctx.remote.ops(host);
  const [st] = await ops.stat([path]);
  if (!st || st.type !== 'file') throw new Error(`${host}: the script ${path} is gone, and the scheduler keeps no copy of it.`);
  if (st.size > MAX_SCRIPT_BYTES) throw new Error(`${host}: ${path} is larger than ${MAX_SCRIPT_BYTES / 1024 / 1024} MiB.`);
  return (await ops.readFile(path)).toString('utf8');
}

/** A path on the cluster that does not exist yet: `name`, else `name` with -2, -3… before its extension. */
async function freePath(ctx: JobsContext, host: string, folder: string, name: string): Promise<string> {
  const ops = await ctx.remote.ops(host);
  const dot = name.lastIndexOf('.');
  const candidates = Array.from({ length: 20 }, (_, i) => posix.join(folder, i === 0 ? name : `${name.slice(0, dot)}-${i + 1}${name.slice(dot)}`));
  const stats = await ops.stat(candidates);
  return candidates[stats.findIndex((s) => s === null)] ?? (candidates[0] as string);
}

export async function cloneJob(ctx: JobsContext, t: JobTarget): Promise<vscode.Uri> {
  const r = await find(ctx, t);
  const text = await scriptText(ctx, t.host, r);
  const scheduler = ctx.schedulers.scheduler(t.host);
  const folder = r.spec.cwd ?? (r.spec.script ? posix.dirname(r.spec.script) : await ctx.schedulers.home(t.host));
  const suggested = await freePath(ctx, t.host, folder, cloneFileName(r.spec, t.id, r.spec.script ?? r.path));
  const path = await vscode.window.showInputBox({
    title: `Clone and Edit ${what(t)}`,
    prompt: `Save the copy on ${t.host} as (it opens for editing; Submit Job in the editor submits it)`,
    value: suggested,
    valueSelection: [suggested.length - posix.basename(suggested).length, suggested.length],
    ignoreFocusOut: true,
    validateInput: (v) => (!posix.isAbsolute(v.trim()) ? 'An absolute path on the cluster' : v.trim().endsWith('/') ? 'A file name, not a folder' : undefined),
  });
  if (path === undefined) throw new CancelledError();
  const target = posix.normalize(path.trim());
  const body = cloneText(scheduler, text, r.spec, `job ${t.id} on ${t.host}`);
  const ops = await ctx.remote.ops(t.host);
  // Never over an existing file: the user picks another name.
  await ops.writeFileAtomic(target, Buffer.from(body, 'utf8'), { create: true, overwrite: false });
  const uri = hpcUri(t.host, target);
  await vscode.window.showTextDocument(uri, { preview: false });
  vscode.window.setStatusBarMessage(`$(copy) Cloned ${what(t)} to ${target}: edit it, then Submit Job`, 10_000);
  return uri;
}
