/**
 * Waiting for a job to end (PARK's `wait()`): shared by the extension API, the `remote-hpc`
 * task and "Wait for Job" — a progress notification whose Cancel stops the waiting, never the job.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { jobEndText, jobExitCode } from '../core/jobs/followJob';
import { isTerminal, type Job } from '../core/scheduler/types';
import type { JobsContext } from './context';
import type { JobTarget } from './targets';

/** How a `CancellationToken` or an `AbortSignal`-like stop is asked for. */
interface TokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): { dispose(): unknown };
}

/**
 * Resolves with the job's final record once it has ended (connecting its host first: the Jobs
 * watcher only follows connected hosts). Rejects with a CancelledError when the token is
 * cancelled; the job is untouched.
 */
export async function waitForJob(ctx: JobsContext, host: string, id: string, token?: TokenLike): Promise<Job> {
  if (token?.isCancellationRequested) throw new CancelledError();
  await ctx.remote.ops(host);
  const w = ctx.controller.whenFinished(host, id);
  void ctx.controller.track(host, [id]).catch((e: unknown) => ctx.log.debug(`[jobs] track ${id}: ${String(e)}`));
  if (!token) return w.promise;
  return new Promise<Job>((resolve, reject) => {
    const sub = token.onCancellationRequested(() => {
      w.dispose();
      sub.dispose();
      reject(new CancelledError());
    });
    w.promise.then(
      (job) => {
        sub.dispose();
        resolve(job);
      },
      (e: unknown) => {
        sub.dispose();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** "Wait for Job": a cancellable notification until the job ends, then how it ended. */
export async function waitForJobCommand(ctx: JobsContext, t: JobTarget): Promise<void> {
  const title = `Waiting for job ${t.id} on ${t.host}`;
  const job = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const report = () => {
      const j = ctx.model.find(t.host, t.id);
      if (j && !isTerminal(j.state)) progress.report({ message: `${j.state.toLowerCase()}${j.elapsed ? ` ${j.elapsed}` : ''}${j.reason ? ` (${j.reason})` : ''}` });
    };
    report();
    const sub = ctx.model.onDidChange((host) => (host === undefined || host === t.host) && report());
    try {
      return await waitForJob(ctx, t.host, t.id, token);
    } catch (e) {
      if (e instanceof CancelledError) vscode.window.setStatusBarMessage(`Stopped waiting for job ${t.id}; it goes on`, 5000);
      throw e;
    } finally {
      sub.dispose();
    }
  });
  const text = `${jobEndText(job)} on ${t.host}.`;
  const show = jobExitCode(job) === 0 ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  const choice = await show(text, 'Tail Output', 'Show Details');
  if (choice === 'Tail Output') await vscode.commands.executeCommand('remoteHpc.jobs.tailOutput', { host: t.host, id: t.id });
  else if (choice === 'Show Details') await vscode.commands.executeCommand('remoteHpc.jobs.showDetails', { host: t.host, id: t.id });
}
