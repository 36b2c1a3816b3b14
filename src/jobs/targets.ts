/** What a jobs command acts on: tree nodes, multi-selections, notification arguments or a pick. */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { isTerminal, type Job } from '../core/scheduler/types';
import { pickConnectedHost } from '../hosts/hostPicker';
import { connectedHosts, type JobsContext } from './context';
import { jobDescription, jobLabel } from '../core/jobs/format';
import { isJobsNode, type JobsNode } from './tree';

export interface JobTarget {
  host: string;
  /** Job id, task id (`123_4`) or, for an array row, the array id (`123`). */
  id: string;
  job?: Job;
  /** An array row: the action applies to the whole array. */
  array?: { tasks: Job[] };
}

/** A plain `{ host, id }` (notification actions and other commands pass these). */
export function isJobRef(x: unknown): x is { host: string; id: string } {
  return !!x && typeof x === 'object' && typeof (x as { host?: unknown }).host === 'string' && typeof (x as { id?: unknown }).id === 'string' && !isJobsNode(x);
}

function targetOfNode(n: JobsNode): JobTarget | undefined {
  if (n.kind === 'job') return { host: n.host, id: n.job.id, job: n.job };
  if (n.kind === 'array') return { host: n.host, id: n.arrayJobId, array: { tasks: n.tasks } };
  return undefined;
}

/** The multi-selection a context menu passes, else the clicked item, else the view's selection. */
export function resolveTargets(ctx: JobsContext, arg: unknown, selected: unknown): JobTarget[] {
  if (Array.isArray(selected) && selected.length > 1 && selected.includes(arg)) {
    return dedupe(selected.filter(isJobsNode).map(targetOfNode).filter((t): t is JobTarget => !!t));
  }
  if (isJobsNode(arg)) {
    const t = targetOfNode(arg);
    return t ? [t] : [];
  }
  if (isJobRef(arg)) {
    const job = ctx.model.find(arg.host, arg.id);
    return [{ host: arg.host, id: arg.id, ...(job ? { job } : {}) }];
  }
  if (arg === undefined) return dedupe(ctx.view.selection.map(targetOfNode).filter((t): t is JobTarget => !!t));
  return [];
}

function dedupe(ts: JobTarget[]): JobTarget[] {
  const seen = new Set<string>();
  return ts.filter((t) => {
    const k = `${t.host}\0${t.id}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

interface JobPickItem extends vscode.QuickPickItem {
  target: JobTarget;
}

/** Resolves targets, asking with a quick pick of known jobs when nothing is selected (palette). */
export async function targetsOrPick(
  ctx: JobsContext,
  arg: unknown,
  selected: unknown,
  opts: { title: string; many: boolean; filter?: (j: Job) => boolean },
): Promise<JobTarget[]> {
  const direct = resolveTargets(ctx, arg, selected);
  if (direct.length) return direct;
  const items: JobPickItem[] = [];
  // The view's hosts: the connected ones and the host pools with runs.
  for (const host of ctx.model.hostList().map((h) => h.host)) {
    const h = ctx.model.get(host);
    if (!h) continue;
    const jobs = [...ctx.model.shownActive(host), ...h.recent].filter((j) => !opts.filter || opts.filter(j));
    if (jobs.length) items.push({ label: host, kind: vscode.QuickPickItemKind.Separator, target: { host, id: '' } });
    for (const j of jobs) {
      items.push({
        label: `$(${isTerminal(j.state) ? 'history' : 'pulse'}) ${jobLabel(j)}`,
        description: jobDescription(j),
        target: { host, id: j.id, job: j },
      });
    }
  }
  if (!items.some((i) => i.kind !== vscode.QuickPickItemKind.Separator)) {
    void vscode.window.showInformationMessage(connectedHosts(ctx).length ? 'No jobs to choose from.' : 'No host is connected.');
    throw new CancelledError();
  }
  if (opts.many) {
    const picked = await vscode.window.showQuickPick(items, { title: opts.title, canPickMany: true, matchOnDescription: true });
    if (!picked?.length) throw new CancelledError();
    return picked.map((p) => p.target);
  }
  const picked = await vscode.window.showQuickPick(items, { title: opts.title, matchOnDescription: true });
  if (!picked) throw new CancelledError();
  return [picked.target];
}

/** One connected host: the only one, or the user's pick. */
export function pickHost(ctx: JobsContext, title: string, preferred?: string): Promise<string> {
  return pickConnectedHost(connectedHosts(ctx), title, preferred);
}
