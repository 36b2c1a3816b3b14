/** The one polling wait of the tests, for conditions that have no event to wait on. */

/**
 * Calls `fn` until it gives a value other than undefined or false, and returns that value.
 * An error from `fn` counts as "not yet" and is quoted if time runs out. Polls quickly at first,
 * then backs off to `intervalMs` so slow conditions (a job in squeue) are not hammered.
 */
export async function waitUntil<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let pause = Math.min(10, intervalMs);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, intervalMs);
  }
}

/** Lets pending promise chains and I/O callbacks run (setImmediate is not faked by mock timers). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
