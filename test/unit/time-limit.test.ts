import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, TimeLimitError, withTimeLimit } from '../../src/core/cancel';

/** An operation that ends only when its signal aborts, as RemoteOps.search does. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new CancelledError()), { once: true }));
}

test('past the limit the operation is aborted and the caller gets a TimeLimitError with the message', async () => {
  let inner: AbortSignal | undefined;
  await assert.rejects(
    withTimeLimit(30, 'took too long', undefined, (s) => ((inner = s), untilAborted(s))),
    (e: unknown) => e instanceof TimeLimitError && e.message === 'took too long',
  );
  assert.equal(inner?.aborted, true, 'the remote operation was told to stop');
});

test('an operation deaf to its signal does not hold the caller past the limit', async () => {
  const t0 = Date.now();
  await assert.rejects(withTimeLimit(30, 'limit', undefined, () => new Promise<never>(() => undefined)), TimeLimitError);
  assert.ok(Date.now() - t0 < 1000);
});

test("the caller's cancel passes through as the operation's own error; a quick result is returned", async () => {
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 10);
  await assert.rejects(withTimeLimit(10_000, 'limit', ctl.signal, untilAborted), CancelledError);
  assert.equal(await withTimeLimit(10_000, 'limit', undefined, async () => 42), 42);
});
