/**
 * Following one job to its end, for the `remote-hpc` task type, the extension API's `wait()` and
 * "Wait for Job": its output streamed as it grows (tailJobOutput over RemoteOps.follow), the end
 * awaited through the controller's watcher, and the end turned into a process-like exit code.
 * No `vscode`.
 */
import { CancelledError, type Disposable } from '../cancel';
import { tailJobOutput, type Followable } from '../scheduler/tail';
import type { Job, JobState, OutputPaths } from '../scheduler/types';

/**
 * The exit code a task ends with: the job's own non-zero exit code when accounting has one, else
 * 0 for COMPLETED and a conventional code per failure: 124 for TIMEOUT (as `timeout(1)`), 130
 * for CANCELLED (as Ctrl+C), 137 for OUT_OF_MEMORY (as SIGKILL), 1 for every other end.
 */
export function jobExitCode(job: Pick<Job, 'state' | 'exitCode' | 'signal'>): number {
  if (job.exitCode !== undefined && job.exitCode > 0) return job.exitCode;
  const byState: Partial<Record<JobState, number>> = { COMPLETED: 0, TIMEOUT: 124, CANCELLED: 130, OUT_OF_MEMORY: 137 };
  const code = byState[job.state] ?? 1;
  // COMPLETED with a signal recorded (rare) is still a failure.
  return code === 0 && job.signal ? 128 + job.signal : code;
}

/** One line telling how a job ended: `Job 123 COMPLETED (exit code 0)`. */
export function jobEndText(job: Pick<Job, 'id' | 'state' | 'rawState' | 'exitCode' | 'signal' | 'reason'>): string {
  const code = job.exitCode !== undefined ? ` (exit code ${job.exitCode}${job.signal ? `, signal ${job.signal}` : ''})` : '';
  const why = job.reason && job.state !== 'COMPLETED' ? ` — ${job.reason}` : '';
  return `Job ${job.id} ${job.rawState || job.state}${code}${why}`;
}

export interface FollowJobDeps {
  ops: Followable;
  outputPaths(id: string): Promise<OutputPaths>;
  /** As JobsController.whenFinished: settles when the job has ended, watching it meanwhile. */
  whenFinished(id: string): { promise: Promise<Job>; dispose(): void };
}

export interface FollowJobIo {
  /** Output bytes as they arrive (stdout and stderr interleaved as they came). */
  onOutput(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
  onTruncate?(stream: 'stdout' | 'stderr'): void;
  onError?(err: Error): void;
}

export interface FollowedJob extends Disposable {
  /** The job's final record, once its last output bytes have arrived; rejects when stopped first. */
  readonly done: Promise<Job>;
}

/**
 * Tails the job's stdout (and stderr when it is a separate file) until the job has ended and
 * the last bytes arrived. `dispose()` stops following (the job itself is untouched).
 */
export function followJob(deps: FollowJobDeps, id: string, io: FollowJobIo): FollowedJob {
  const finished = deps.whenFinished(id);
  const tails: Disposable[] = [];
  let stopped = false;
  let reject: (e: Error) => void = () => undefined;
  const done = new Promise<Job>((resolve, rej) => {
    reject = rej;
    void (async () => {
      const paths = await deps.outputPaths(id);
      if (stopped) return;
      const streams: ['stdout' | 'stderr', string][] = [['stdout', paths.stdout]];
      if (paths.stderr && paths.stderr !== paths.stdout) streams.push(['stderr', paths.stderr]);
      const ends = streams.map(
        ([stream, path]) =>
          new Promise<void>((ended) => {
            tails.push(
              tailJobOutput(deps.ops, path, {
                onData: (chunk) => io.onOutput(chunk, stream),
                onTruncate: () => io.onTruncate?.(stream),
                onError: (e) => io.onError?.(e),
                onEnd: () => ended(),
                jobEnded: finished.promise,
              }),
            );
          }),
      );
      const job = await finished.promise;
      await Promise.all(ends);
      if (!stopped) resolve(job);
    })().catch(rej);
  });
  // Stopping before anyone awaited `done` is not an unhandled rejection.
  done.catch(() => undefined);
  return {
    done,
    dispose: () => {
      if (stopped) return;
      stopped = true;
      finished.dispose();
      for (const t of tails.splice(0)) t.dispose();
      reject(new CancelledError());
    },
  };
}
