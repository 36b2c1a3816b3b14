/**
 * The API Remote HPC offers other extensions: what `activate()` returns, so
 * `vscode.extensions.getExtension<RemoteHpcApi>('remote-hpc.remote-hpc')?.activate()` gives it.
 * Copy this file (types only, no runtime code) into your extension. `version` changes when a
 * member changes incompatibly; members are only added within one version.
 *
 * Security model: the API acts as the user, on hosts they added and with the sessions they
 * opened (a host not connected yet is connected, which may prompt them). It never hands out
 * credentials, sessions or file access; only jobs: submit, wait, cancel, list.
 */
import type { CancellationToken, Event } from 'vscode';

export const REMOTE_HPC_API_VERSION = 1;

/** A job: the host alias (as in the Hosts view) and the scheduler's job id (`123`, `123_4`). */
export interface JobRef {
  host: string;
  id: string;
}

/** When job mail is sent (`--mail-type`). */
export type MailEvent = 'begin' | 'end' | 'fail';

/**
 * Submit options, as the Submit Job pick offers them; each one unset keeps the script's own
 * directive, else the host's default (local settings over the cluster's settings file).
 */
export interface JobOptions {
  name?: string;
  partition?: string;
  account?: string;
  /** `minutes`, `HH:MM:SS`, `D-HH:MM:SS`. */
  time?: string;
  /** `afterok:123`, `afterany:1:2`, `singleton`. */
  dependency?: string;
  tags?: string[];
  nice?: number;
  /** Further scheduler options, one word each (`--qos=debug`); replaces the host's default extra options. */
  extraArgs?: string[];
  hold?: boolean;
  mailUser?: string;
  /** [] sends none (over a host default). */
  mailType?: MailEvent[];
}

/** A batch script already on the cluster, or a `*.job.json` file (a URI string, `file:` or `hpc:`). */
export type SubmitRequest = { host: string; script: string; options?: JobOptions } | { jobFile: string; /** For a local job file. */ host?: string };

/** A job as the Jobs view knows it. */
export interface JobInfo extends JobRef {
  name: string;
  /** SLURM's state names: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, … */
  state: string;
  /** As the scheduler printed it (`CANCELLED by 1000`). */
  rawState: string;
  /** Has ended (will not run again by itself). */
  finished: boolean;
  partition: string;
  nodes: string;
  reason: string;
  workDir: string;
  /** The process's exit code, once finished and known to accounting. */
  exitCode?: number;
}

export interface JobResult {
  job: JobInfo;
  /** As a `remote-hpc` task ends: the job's non-zero exit code, else 0 when COMPLETED, 124 TIMEOUT, 130 CANCELLED, 137 OUT_OF_MEMORY, 1 otherwise. */
  exitCode: number;
  /** COMPLETED with exit code 0. */
  ok: boolean;
}

export interface JobsChange {
  /** The host whose jobs changed; undefined when hosts came or went. */
  host?: string;
}

export interface RemoteHpcApi {
  readonly version: 1;
  /** Submits without asking anything (uploads of a job file's local inputs are still confirmed); resolves once the scheduler gave an id. */
  submit(request: SubmitRequest): Promise<JobRef>;
  /** Resolves with the job's final state once it has ended; rejects when the token is cancelled (the job goes on). */
  wait(job: JobRef, options?: { token?: CancellationToken }): Promise<JobResult>;
  /** Cancels the job (`scancel`). */
  cancel(job: JobRef): Promise<void>;
  /** The jobs of connected hosts as the Jobs view has them: queued, running and recent. */
  list(host?: string): JobInfo[];
  readonly onDidChangeJobs: Event<JobsChange>;
}
