/**
 * `*.job.json` files (Kotta-style job descriptions): load and validate, preview the batch script,
 * stage the inputs (local files uploaded, remote ones copied) and submit.
 */
import { isJobFilePath } from '../core/remote/fileKinds';
import * as vscode from 'vscode';
import * as nodePath from 'node:path';
import { posix } from 'node:path';
import { CancelledError } from '../core/cancel';
import { stageInputs } from '../core/jobs/stageInputs';
import { assertJobSpec, jobSpecToSubmit, planStaging, renderBatchScript, resolveWorkdir, validateJobSpec, type JobSpec } from '../core/scheduler/jobSpec';
import { isHpcUri, parseHpcUri } from '../fs/hpcUri';
import type { JobsContext } from './context';
import { previewUri } from './documents';
import { pickHost } from './targets';
import { announceSubmitted } from './submitScript';
import { outsideWarning, reviewStaging, stagingConfirmation, type StagingReview } from '../core/jobs/staging';
import { keyedMemory } from './memory';

export interface LoadedJobFile {
  uri: vscode.Uri;
  spec: JobSpec;
  /** For a job file on the cluster: its host and folder there. */
  remote?: { host: string; dir: string; path: string };
  /** For a local job file: its folder. */
  localDir?: string;
  name: string;
}

export function isJobFile(uri: vscode.Uri): boolean {
  return isJobFilePath(uri.path);
}

/** Reads (unsaved edits included) and validates a job file; throws with every problem listed. */
async function loadJobFile(uri: vscode.Uri): Promise<LoadedJobFile> {
  const doc = await vscode.workspace.openTextDocument(uri);
  let obj: unknown;
  try {
    obj = JSON.parse(doc.getText());
  } catch (e) {
    throw new Error(`${posix.basename(uri.path)} is not valid JSON: ${(e as Error).message}`);
  }
  const errors = validateJobSpec(obj);
  if (errors.length) {
    const list = errors.slice(0, 5).map((e) => `${e.path || '(file)'}: ${e.message}`);
    throw new Error(`${posix.basename(uri.path)} is not a valid job description — ${list.join('; ')}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`);
  }
  const spec = obj as JobSpec;
  const base = posix.basename(uri.path).replace(/\.job\.json$/i, '');
  const name = spec.name ?? base;
  const scheme = uri.scheme;
  if (scheme === 'file') return { uri, spec, localDir: nodePath.dirname(uri.fsPath), name };
  if (isHpcUri(uri)) {
    const { host, path } = parseHpcUri(uri);
    return { uri, spec, remote: { host, dir: posix.dirname(path), path }, name };
  }
  throw new Error(`Job files must be local or on a cluster (hpc:), not ${scheme}:`);
}

/**
 * The work directory a job file runs in: its `workdir`, else the folder of a job file on the
 * cluster, else `~/remote-hpc-jobs/<name>` for a local one.
 */
function effectiveWorkdir(f: LoadedJobFile, home: string): string {
  if (f.spec.workdir !== undefined) return resolveWorkdir(f.spec.workdir, home) as string;
  if (f.remote) return f.remote.dir;
  return posix.join(home, 'remote-hpc-jobs', f.name.replace(/[^\w.+-]+/g, '_'));
}

/** Opens the batch script a job file renders to, read-only, beside it. */
export async function previewBatchScript(ctx: JobsContext, uri: vscode.Uri): Promise<void> {
  const f = await loadJobFile(uri);
  let home: string | undefined;
  if (f.remote) home = await ctx.schedulers.home(f.remote.host).catch(() => undefined);
  const spec: JobSpec = home ? { ...f.spec, workdir: effectiveWorkdir(f, home) } : f.spec;
  const text = renderBatchScript(spec, await ctx.schedulers.scriptFormat(f.remote?.host), { ...(home ? { home } : {}), source: posix.basename(uri.path) });
  await ctx.documents.show(previewUri(f.name, ctx.documents.nextSeq()), text, 'shellscript', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false });
}

/** Preview of a spec not saved yet (the New Job form). */
export async function previewSpec(ctx: JobsContext, host: string, spec: JobSpec, folder: string): Promise<void> {
  const home = await ctx.schedulers.home(host).catch(() => undefined);
  const workdir = spec.workdir ?? folder;
  const text = renderBatchScript({ ...spec, workdir }, await ctx.schedulers.scriptFormat(host), { ...(home ? { home } : {}), source: `New Job form (${host})` });
  await ctx.documents.show(previewUri(spec.name ?? 'job', ctx.documents.nextSeq()), text, 'shellscript', { viewColumn: vscode.ViewColumn.Beside });
}

const LAST_HOST_KEY = 'remoteHpc.jobs.jobFileHosts';

/** Submits a job file from the editor, the explorers or the palette. */
export async function submitJobFile(ctx: JobsContext, uri: vscode.Uri): Promise<string> {
  const f = await loadJobFile(uri);
  let host: string;
  if (f.remote) host = f.remote.host;
  else {
    const remembered = keyedMemory<string>(ctx.state, LAST_HOST_KEY);
    host = await pickHost(ctx, `Submit ${posix.basename(uri.path)} on`, remembered.get(uri.toString()));
    await remembered.set(uri.toString(), host);
  }
  return submitLoaded(ctx, host, f);
}

/**
 * A job file submitted for a task or another extension: on its own host, or on `host` for a local
 * one; the uploads are still confirmed (they leave this machine), the new id is not announced.
 */
export async function submitJobFileOn(ctx: JobsContext, uri: vscode.Uri, host: string | undefined): Promise<{ host: string; id: string }> {
  const f = await loadJobFile(uri);
  const on = f.remote?.host ?? host;
  if (!on) throw new Error(`${posix.basename(uri.path)} is local: say which host to submit it on`);
  return { host: on, id: await submitLoaded(ctx, on, f, { announce: false }) };
}

/** Stages inputs and submits; shows progress and (unless told not to) the new id. Returns the job id. */
export async function submitLoaded(ctx: JobsContext, host: string, f: LoadedJobFile, opts: { announce?: boolean } = {}): Promise<string> {
  assertJobSpec(f.spec);
  const fileName = posix.basename(f.uri.path);
  const ops = await ctx.remote.ops(host);
  const home = await ctx.schedulers.home(host);
  const workdir = effectiveWorkdir(f, home);
  const specDir = f.remote ? f.remote.dir : (f.localDir as string);
  const plan = planStaging(f.spec, specDir, workdir, f.remote ? posix : nodePath);
  const review = await reviewStaging({ plan, specDir, remoteSpec: !!f.remote, workdir, home });
  await confirmStaging(review, fileName, host);
  const id = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Submitting ${fileName} on ${host}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      progress.report({ message: `work directory ${workdir}` });
      await stageInputs(ops, review, {
        signal: abort.signal,
        onStep: (what, done, total) => progress.report({ message: `${what} (${done}/${total})`, increment: 80 / Math.max(1, total) }),
      }).finally(() => sub.dispose());
      progress.report({ message: 'submitting' });
      const scheduler = ctx.schedulers.scheduler(host);
      const submitSpec = jobSpecToSubmit({ ...f.spec, workdir }, await ctx.schedulers.scriptFormat(host), { home, source: fileName });
      const res = await scheduler.submit(submitSpec);
      await ctx.records.add({
        host,
        id: res.id,
        name: f.name,
        workdir,
        outputs: plan.outputs,
        specUri: f.uri.toString(),
        submittedAt: Date.now(),
      });
      return res.id;
    },
  );
  ctx.log.info(`[jobs] submitted ${fileName} on ${host}: job ${id}`);
  if (opts.announce === false) void ctx.controller.track(host, [id]).catch(() => undefined);
  else announceSubmitted(ctx, host, id, f.name);
  return id;
}

/** The staging dialogs (decisions in core/jobs/staging.ts): outside sources, then the list; both modal. */
async function confirmStaging(review: StagingReview, fileName: string, host: string): Promise<void> {
  if (review.outside.length) {
    const w = outsideWarning(review, fileName);
    const anyway = 'Send Anyway';
    if ((await vscode.window.showWarningMessage(w.message, { modal: true, detail: w.detail }, anyway)) !== anyway) throw new CancelledError();
  }
  if (review.items.length) {
    const c = stagingConfirmation(review, host);
    const go = 'Upload and Submit';
    if ((await vscode.window.showInformationMessage(c.message, { modal: true, detail: c.detail }, go)) !== go) throw new CancelledError();
  }
}
