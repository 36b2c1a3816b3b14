/**
 * The extension API (src/api.ts) over the jobs feature: submit through the same code as Submit
 * Job (no questions, except confirming a job file's uploads), wait through the Jobs watcher,
 * cancel with scancel, list and changes from the JobsModel.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import { REMOTE_HPC_API_VERSION, type JobInfo, type JobRef, type JobResult, type RemoteHpcApi, type SubmitRequest } from '../api';
import { jobExitCode } from '../core/jobs/followJob';
import { readJobOptions } from '../core/jobs/jobOptions';
import type { SubmitOverrides } from '../core/jobs/submitOptions';
import { isTerminal, type Job } from '../core/scheduler/types';
import type { JobsContext } from './context';
import { submitJobFileOn } from './jobFile';
import { submitScriptWith } from './submitScript';
import { waitForJob } from './waitJob';

function jobInfo(host: string, j: Job): JobInfo {
  return {
    host,
    id: j.id,
    name: j.name,
    state: j.state,
    rawState: j.rawState,
    finished: isTerminal(j.state),
    partition: j.partition,
    nodes: j.nodes,
    reason: j.reason,
    workDir: j.workDir,
    ...(j.exitCode !== undefined ? { exitCode: j.exitCode } : {}),
  };
}

function jobResult(host: string, j: Job): JobResult {
  const exitCode = jobExitCode(j);
  return { job: jobInfo(host, j), exitCode, ok: exitCode === 0 };
}

/** Options checked as a task's or a caller's: every problem named at once. */
export function jobOverrides(options: unknown, what: string): SubmitOverrides {
  const { overrides, errors } = readJobOptions(options);
  if (errors.length) throw new Error(`${what}: ${errors.join('; ')}`);
  return overrides;
}

/** `~/x` → `<home>/x`; absolute paths as they are; anything else refused. */
export async function clusterPath(ctx: JobsContext, host: string, path: string): Promise<string> {
  if (path.startsWith('~/')) return posix.join(await ctx.schedulers.home(host), path.slice(2));
  if (!posix.isAbsolute(path)) throw new Error(`"${path}" must be an absolute path on ${host} or start with ~/`);
  return posix.normalize(path);
}

function checkRef(job: unknown): JobRef {
  const j = job as Partial<JobRef> | undefined;
  if (typeof j?.host !== 'string' || typeof j.id !== 'string' || !/^\d+(?:_\d+)?$/.test(j.id)) throw new Error('A job is { host: string, id: string } with the scheduler\'s job id');
  return { host: j.host, id: j.id };
}

/** Builds the API; dispose it with the jobs feature. */
export function createApi(ctx: JobsContext): RemoteHpcApi & vscode.Disposable {
  const changes = new vscode.EventEmitter<{ host?: string }>();
  const sub = ctx.model.onDidChange((host) => changes.fire(host === undefined ? {} : { host }));
  const submit = async (request: SubmitRequest): Promise<JobRef> => {
    const r = request as Partial<{ host: string; script: string; options: unknown; jobFile: string }>;
    if (typeof r.jobFile === 'string') {
      const uri = /^[a-z][\w+.-]*:/i.test(r.jobFile) && !/^[a-z]:[\\/]/i.test(r.jobFile) ? vscode.Uri.parse(r.jobFile, true) : vscode.Uri.file(r.jobFile);
      return submitJobFileOn(ctx, uri, typeof r.host === 'string' ? r.host : undefined);
    }
    if (typeof r.host !== 'string' || typeof r.script !== 'string') throw new Error('submit() takes { host, script, options? } or { jobFile, host? }');
    const overrides = jobOverrides(r.options, 'submit() options');
    const path = await clusterPath(ctx, r.host, r.script);
    return { host: r.host, id: await submitScriptWith(ctx, { host: r.host, path }, overrides) };
  };
  return {
    version: REMOTE_HPC_API_VERSION,
    submit,
    wait: async (job, options) => {
      const ref = checkRef(job);
      return jobResult(ref.host, await waitForJob(ctx, ref.host, ref.id, options?.token));
    },
    cancel: async (job) => {
      const ref = checkRef(job);
      await ctx.schedulers.scheduler(ref.host).cancel([ref.id]);
      ctx.log.info(`[jobs] job ${ref.id} on ${ref.host} cancelled through the API`);
      void ctx.controller.refreshNow(ref.host).catch(() => undefined);
    },
    list: (host) =>
      ctx.model
        .hostList()
        .filter((h) => host === undefined || h.host === host)
        .flatMap((h) => [...h.active, ...h.leaving, ...h.recent].map((j) => jobInfo(h.host, j))),
    onDidChangeJobs: changes.event,
    dispose: () => {
      sub.dispose();
      changes.dispose();
    },
  };
}
