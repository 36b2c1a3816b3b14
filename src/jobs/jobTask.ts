/**
 * The `remote-hpc` task type: a tasks.json entry that submits a batch script on the cluster (or
 * a `*.job.json` file), shows the job's output live in the task's terminal, and ends with the
 * job's exit code (core/jobs/followJob.ts `jobExitCode`), so `dependsOn`, problem matchers and
 * run-on-save work on cluster jobs.
 *
 *     { "type": "remote-hpc", "label": "train", "host": "hpc", "script": "~/run/train.sbatch",
 *       "options": { "partition": "debug", "time": "10" }, "onClose": "ask" }
 *
 * Ctrl+C in the terminal cancels the job (as it would stop a local process); the task then ends
 * with 130. Closing the terminal or "Terminate Task" while the job is queued or running does what
 * `onClose` says: "ask" (default) asks whether to cancel the job or keep it running, "cancel"
 * cancels it, "keep" leaves it running (the Jobs view still shows it).
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CancelledError } from '../core/cancel';
import { followJob, jobEndText, jobExitCode, type FollowedJob } from '../core/jobs/followJob';
import { isTerminal } from '../core/scheduler/types';
import { isHpcUri, parseHpcUri } from '../fs/hpcUri';
import { clusterPath, jobOverrides } from './api';
import type { JobsContext } from './context';
import { submitJobFileOn } from './jobFile';
import { submitScriptWith } from './submitScript';

const TASK_TYPE = 'remote-hpc';

type OnClose = 'ask' | 'cancel' | 'keep';

interface JobTaskDefinition extends vscode.TaskDefinition {
  host?: string;
  script?: string;
  jobFile?: string;
  options?: unknown;
  onClose?: OnClose;
}

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

/** Terminal text: bare newlines become CRLF (a pseudoterminal does no translation). */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** Where a task's script or job file is: relative paths resolve against an `hpc:` workspace folder on the same host. */
function folderOn(scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined): vscode.Uri | undefined {
  return typeof scope === 'object' ? scope.uri : vscode.workspace.workspaceFolders?.[0]?.uri;
}

class JobTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private job: { host: string; id: string } | undefined;
  private followed: FollowedJob | undefined;
  private readonly subs: vscode.Disposable[] = [];
  private ended = false;
  /** The terminal was closed (by the user) before the task ended. */
  private closed = false;
  private lastState = '';

  constructor(
    private readonly ctx: JobsContext,
    private readonly def: JobTaskDefinition,
    private readonly folder: vscode.Uri | undefined,
  ) {}

  open(): void {
    void this.run().then(
      (code) => this.finish(code),
      (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        this.ctx.log.warn(`[task] ${msg}`);
        this.line(`${RED}${msg}${RESET}`);
        this.finish(e instanceof Error && e.name === 'CancelledError' ? 130 : 1);
      },
    );
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.job && !this.ended) void this.cancelJob('Ctrl+C');
  }

  close(): void {
    this.closed = true;
    this.onClosed();
  }

  /** Closed while the job is queued or running (or just being submitted): `onClose` says what happens to it. */
  private onClosed(): void {
    const job = this.job;
    const active = job && !this.ended && !isTerminal(this.ctx.model.find(job.host, job.id)?.state ?? 'PENDING');
    this.dispose();
    if (!job || !active) return;
    const mode = this.def.onClose ?? 'ask';
    if (mode === 'cancel') void this.cancelJob('task closed');
    else if (mode === 'ask') {
      const cancel = 'Cancel Job';
      void vscode.window.showWarningMessage(`The task stopped; job ${job.id} on ${job.host} is still queued or running.`, cancel, 'Keep Running').then((c) => {
        if (c === cancel) void this.cancelJob('task closed');
      });
    }
  }

  private line(text: string): void {
    this.writeEmitter.fire(`${crlf(text)}\r\n`);
  }

  private finish(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.closeEmitter.fire(code);
    this.dispose();
  }

  private dispose(): void {
    this.followed?.dispose();
    for (const s of this.subs.splice(0)) s.dispose();
  }

  private async cancelJob(why: string): Promise<void> {
    const job = this.job;
    if (!job) return;
    try {
      this.ctx.controller.expectCancel(job.host, [job.id]);
      await this.ctx.schedulers.scheduler(job.host).cancel([job.id]);
      this.ctx.log.info(`[task] job ${job.id} on ${job.host} cancelled (${why})`);
      if (!this.ended) this.line(`${DIM}Cancelling job ${job.id} (${why})…${RESET}`);
      void this.ctx.controller.refreshNow(job.host).catch(() => undefined);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (this.ended) void vscode.window.showErrorMessage(`Job ${job.id} was not cancelled: ${msg}`);
      else this.line(`${RED}Job ${job.id} was not cancelled: ${msg}${RESET}`);
    }
  }

  /** Submits, follows, returns the exit code. */
  private async run(): Promise<number> {
    const d = this.def;
    const { host, id, what } = await this.submit(d);
    this.job = { host, id };
    if (this.closed) {
      // Closed while the submit was under way: the job is there now, so onClose applies to it.
      this.onClosed();
      throw new CancelledError();
    }
    this.line(`${DIM}Submitted ${what} on ${host}: job ${id}. Its output follows; Ctrl+C cancels the job.${RESET}`);
    this.subs.push(
      this.ctx.model.onDidChange((h) => {
        if (h !== undefined && h !== host) return;
        const j = this.ctx.model.find(host, id);
        const state = j && !isTerminal(j.state) ? `${j.state}${j.nodes ? ` on ${j.nodes}` : ''}${j.reason && j.state === 'PENDING' ? ` (${j.reason})` : ''}` : '';
        if (state && state !== this.lastState) this.line(`${DIM}[job ${id}: ${state}]${RESET}`);
        if (state) this.lastState = state;
      }),
    );
    const ops = await this.ctx.remote.ops(host);
    const scheduler = this.ctx.schedulers.scheduler(host);
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    this.followed = followJob({ ops, outputPaths: (jobId) => scheduler.outputPaths(jobId), whenFinished: (jobId) => this.ctx.controller.whenFinished(host, jobId) }, id, {
      onOutput: (chunk, stream) => {
        const text = crlf(decoders[stream].write(chunk));
        this.writeEmitter.fire(stream === 'stderr' ? `${RED}${text}${RESET}` : text);
      },
      onTruncate: (stream) => this.line(`${DIM}[${stream} was truncated; following from its new start]${RESET}`),
      onError: (e) => this.line(`${RED}[output: ${e.message}]${RESET}`),
    });
    const job = await this.followed.done;
    const code = jobExitCode(job);
    this.line(`${code === 0 ? DIM : RED}${jobEndText(job)}: the task ends with ${code}.${RESET}`);
    return code;
  }

  private async submit(d: JobTaskDefinition): Promise<{ host: string; id: string; what: string }> {
    if (typeof d.script === 'string' === (typeof d.jobFile === 'string')) throw new Error('A remote-hpc task names either "script" (a batch script on the cluster) or "jobFile" (a *.job.json file)');
    const base = this.folder;
    if (typeof d.jobFile === 'string') {
      const f = d.jobFile;
      const uri = /^hpc:/i.test(f) ? vscode.Uri.parse(f, true) : posix.isAbsolute(f) || /^[a-z]:[\\/]/i.test(f) || !base ? vscode.Uri.file(f) : vscode.Uri.joinPath(base, f);
      this.line(`${DIM}Submitting ${posix.basename(uri.path)}…${RESET}`);
      return { ...(await submitJobFileOn(this.ctx, uri, d.host)), what: posix.basename(uri.path) };
    }
    const script = d.script as string;
    const onFolder = base && isHpcUri(base) ? parseHpcUri(base) : undefined;
    const host = d.host ?? onFolder?.host;
    if (typeof host !== 'string') throw new Error('A remote-hpc task with a "script" names its "host" (an alias from the Hosts view)');
    const overrides = jobOverrides(d.options, 'The task\'s "options"');
    const relative = !posix.isAbsolute(script) && !script.startsWith('~/');
    const path = relative && onFolder?.host === host ? posix.join(onFolder.path, script) : await clusterPath(this.ctx, host, script);
    this.line(`${DIM}Submitting ${path} on ${host}…${RESET}`);
    return { host, id: await submitScriptWith(this.ctx, { host, path }, overrides), what: posix.basename(path) };
  }
}

/** The task provider: tasks come from tasks.json only (nothing is offered unasked). */
export function registerJobTasks(ctx: JobsContext): vscode.Disposable {
  const execution = (scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined) =>
    new vscode.CustomExecution(async (resolved) => new JobTerminal(ctx, resolved as JobTaskDefinition, folderOn(scope)));
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    provideTasks: () => [],
    resolveTask: (task) => {
      const def = task.definition as JobTaskDefinition;
      return new vscode.Task(def, task.scope ?? vscode.TaskScope.Workspace, task.name, 'Remote HPC', execution(task.scope), task.problemMatchers);
    },
  });
}
