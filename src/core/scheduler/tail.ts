/**
 * Live job output: a thin layer over `RemoteOps.follow` that stops by itself once the job
 * has ended and the last bytes (written by the compute node, maybe over NFS) have arrived.
 */
import type { Disposable } from '../cancel';
import type { FollowOptions } from '../remote/types';
import type { Job } from './types';
import type { JobWatcher } from './watcher';

export interface Followable {
  follow(path: string, opts: FollowOptions): Disposable;
}

export type TailEndReason = 'job-ended' | 'disposed';

export interface TailOptions {
  /** Byte offset to start from (default 0). */
  offset?: number;
  onData(chunk: Buffer, offset: number): void;
  onTruncate?(): void;
  onError?(err: Error): void;
  /** Called exactly once, when the tail stops. */
  onEnd?(reason: TailEndReason): void;
  /** Settles when the job is terminal (see {@link whenJobFinished}); without it the tail runs until disposed. */
  jobEnded?: PromiseLike<unknown>;
  /** After the job ended, stop once no bytes came for this long (default 2 s)… */
  quietMs?: number;
  /** …or at the latest after this long (default 15 s). */
  maxDrainMs?: number;
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void };
}

export function tailJobOutput(ops: Followable, path: string, opts: TailOptions): Disposable {
  const timers = opts.timers ?? {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
  const quietMs = opts.quietMs ?? 2000;
  let ended = false;
  let draining = false;
  let quiet: unknown;
  let hard: unknown;

  const stop = (reason: TailEndReason) => {
    if (ended) return;
    ended = true;
    if (quiet !== undefined) timers.clearTimeout(quiet);
    if (hard !== undefined) timers.clearTimeout(hard);
    follow.dispose();
    opts.onEnd?.(reason);
  };
  const armQuiet = () => {
    if (quiet !== undefined) timers.clearTimeout(quiet);
    quiet = timers.setTimeout(() => stop('job-ended'), quietMs);
  };

  const follow = ops.follow(path, {
    ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
    onData: (chunk, offset) => {
      if (ended) return;
      opts.onData(chunk, offset);
      if (draining) armQuiet();
    },
    onTruncate: () => !ended && opts.onTruncate?.(),
    onError: (err) => !ended && opts.onError?.(err),
  });

  opts.jobEnded?.then(
    () => {
      if (ended) return;
      draining = true;
      armQuiet();
      hard = timers.setTimeout(() => stop('job-ended'), opts.maxDrainMs ?? 15_000);
    },
    () => undefined,
  );

  return { dispose: () => stop('disposed') };
}

/**
 * Resolves with the finished job when the watcher reports `id` on `host` terminal
 * (at once if it already did). `dispose()` stops listening; the promise then never settles.
 */
export function whenJobFinished(watcher: Pick<JobWatcher, 'on' | 'recent'>, host: string, id: string): { promise: Promise<Job>; dispose(): void } {
  let sub: Disposable | undefined;
  const promise = new Promise<Job>((resolve) => {
    const done = watcher.recent(host).find((j) => j.id === id);
    if (done) return resolve(done);
    sub = watcher.on('finished', (h, job) => {
      if (h === host && job.id === id) {
        sub?.dispose();
        resolve(job);
      }
    });
  });
  return { promise, dispose: () => sub?.dispose() };
}
