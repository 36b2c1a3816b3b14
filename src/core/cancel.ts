export interface Disposable {
  dispose(): void;
}

/** Thrown when the user or a caller cancelled; UI layers stay quiet on it. */
export class CancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** An operation stopped because it ran past its time limit. */
export class TimeLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeLimitError';
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks which). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    if (signal?.aborted) done();
    else signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `run` with a signal that aborts when `signal` does or after `ms`; past the limit it rejects
 * with a TimeLimitError(message), however the aborted operation itself settled.
 */
export async function withTimeLimit<T>(ms: number, message: string, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    ctl.abort(new TimeLimitError(message));
  }, ms);
  const onAbort = () => ctl.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = run(ctl.signal);
    // Whichever comes first: the operation, or the limit (an operation deaf to its signal is left behind).
    return await Promise.race([result, new Promise<never>((_, reject) => ctl.signal.addEventListener('abort', () => expired && reject(new TimeLimitError(message)), { once: true }))]);
  } catch (e) {
    throw expired ? new TimeLimitError(message) : e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
