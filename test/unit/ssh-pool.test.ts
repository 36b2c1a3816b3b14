import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionPool, type PoolConnection, type PoolConnectContext, type StatusEvent } from '../../src/core/ssh/pool';
import { SshError } from '../../src/core/ssh/errors';
import { CancelledError } from '../../src/core/cancel';
import type { Session } from '../../src/core/ssh/session';
import { flush, waitUntil } from '../support/wait';

const waitFor = (ok: () => boolean) => waitUntil('the pool to get there', ok, 5000, 2);

class FakeConn implements PoolConnection {
  closed = false;
  pingOk = true;
  private listeners: (() => void)[] = [];
  readonly session: Session;
  constructor(readonly alias: string, readonly id: number) {
    const isClosed = () => this.closed;
    this.session = {
      host: alias,
      transport: { kind: 'ssh2', reason: 'test' },
      forward: () => Promise.reject(new Error('not used')),
      get connected() {
        return !isClosed();
      },
      exec: () => Promise.reject(new Error('not used')),
      spawn: () => Promise.reject(new Error('not used')),
      sftp: () => Promise.reject(new Error('not used')),
      openSftp: () => Promise.reject(new Error('not used')),
      shell: () => Promise.reject(new Error('not used')),
    };
  }
  async ping(): Promise<void> {
    if (!this.pingOk) throw new Error('no answer');
  }
  close(): void {
    this.drop();
  }
  /** Simulates the server going away. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners.splice(0)) l();
  }
  onClose(listener: () => void): void {
    this.listeners.push(listener);
  }
}

/** A connect function whose attempts the test resolves or rejects. */
function fakeConnect() {
  const calls: { alias: string; ctx: PoolConnectContext; resolve(): FakeConn; reject(err: unknown): void }[] = [];
  const conns: FakeConn[] = [];
  let auto: ((alias: string) => FakeConn | Error) | undefined;
  const connect = (alias: string, ctx: PoolConnectContext): Promise<PoolConnection> =>
    new Promise((res, rej) => {
      const call = {
        alias,
        ctx,
        resolve: () => {
          const c = new FakeConn(alias, conns.length + 1);
          conns.push(c);
          res(c);
          return c;
        },
        reject: rej,
      };
      calls.push(call);
      if (auto) {
        const r = auto(alias);
        if (r instanceof Error) rej(r);
        else {
          conns.push(r);
          res(r);
        }
      }
    });
  return {
    connect,
    calls,
    conns,
    succeed() {
      auto = (alias) => new FakeConn(alias, conns.length + 1);
    },
    failWith(err: () => Error) {
      auto = () => err();
    },
  };
}

function statusLog(pool: SessionPool): string[] {
  const log: string[] = [];
  pool.onStatus((e: StatusEvent) => log.push(`${e.alias}:${e.status}${e.error ? `(${e.error.kind})` : ''}`));
  return log;
}

test('concurrent acquires share one handshake and are reference counted', async () => {
  const f = fakeConnect();
  const pool = new SessionPool({ connect: f.connect });
  const events = statusLog(pool);
  const pending = Array.from({ length: 5 }, () => pool.acquire('hpc'));
  await flush();
  assert.equal(f.calls.length, 1);
  assert.equal(pool.status('hpc'), 'connecting');
  const conn = f.calls[0].resolve();
  const leases = await Promise.all(pending);
  assert.equal(f.calls.length, 1);
  assert.ok(leases.every((l) => l.session === conn.session));
  assert.equal(pool.refCount('hpc'), 5);
  const more = await pool.acquire('hpc');
  assert.equal(pool.refCount('hpc'), 6);
  assert.equal(f.calls.length, 1, 'a connected host is reused');
  more.release();
  more.release();
  assert.equal(pool.refCount('hpc'), 5, 'release is idempotent');
  for (const l of leases) l.release();
  assert.equal(pool.refCount('hpc'), 0);
  assert.deepEqual(events, ['hpc:connecting', 'hpc:connected']);
  assert.equal(f.calls[0].ctx.explicit, false);
  pool.dispose();
});

test('idle sessions are closed after the idle timeout, held ones are not', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect, idleTimeoutMs: 30 * 60_000 });
  const events = statusLog(pool);
  const lease = await pool.acquire('hpc');
  t.mock.timers.tick(2 * 60 * 60_000);
  assert.equal(pool.status('hpc'), 'connected', 'a held lease keeps the session');
  lease.release();
  t.mock.timers.tick(29 * 60_000);
  const again = await pool.acquire('hpc');
  again.release();
  assert.equal(f.conns.length, 1, 'reacquired before the timeout: same connection');
  t.mock.timers.tick(30 * 60_000 - 1);
  assert.equal(pool.status('hpc'), 'connected', 'the idle clock restarts at the last release');
  t.mock.timers.tick(1);
  assert.equal(f.conns[0].closed, true);
  assert.equal(pool.status('hpc'), 'disconnected');
  assert.deepEqual(events, ['hpc:connecting', 'hpc:connected', 'hpc:disconnected']);
  (await pool.acquire('hpc')).release();
  assert.equal(f.conns.length, 2, 'next acquire reconnects');
  pool.dispose();
  assert.equal(f.conns[1].closed, true, 'dispose closes everything');
});

test('a dropped connection is noticed and reopened at once; stale leases do not disturb counts', async () => {
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect });
  const events = statusLog(pool);
  const old = await pool.acquire('hpc');
  f.conns[0].drop();
  assert.equal(pool.status('hpc'), 'reconnecting');
  assert.equal(old.session.connected, false);
  const fresh = await pool.acquire('hpc');
  assert.equal(f.conns.length, 2);
  assert.equal(pool.refCount('hpc'), 1);
  old.release();
  assert.equal(pool.refCount('hpc'), 1, 'a lease of the dropped connection is ignored');
  fresh.release();
  assert.deepEqual(events, ['hpc:connecting', 'hpc:connected', 'hpc:reconnecting(disconnected)', 'hpc:connected']);
  pool.dispose();
});

test('failed attempts back off exponentially (capped) and fail fast meanwhile; explicit connects ignore backoff', async () => {
  let now = 1_000_000;
  const f = fakeConnect();
  f.failWith(() => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', level: 'client-socket' }));
  const pool = new SessionPool({ connect: f.connect, backoffInitialMs: 1000, backoffMaxMs: 4000, now: () => now });
  const events = statusLog(pool);
  const fails = async () => assert.rejects(pool.acquire('hpc'), (e: unknown) => e instanceof SshError && e.kind === 'unreachable');

  await fails();
  assert.equal(f.calls.length, 1);
  assert.equal(pool.status('hpc'), 'failed');
  assert.equal(pool.lastError('hpc')?.kind, 'unreachable');
  await assert.rejects(pool.acquire('hpc'), /next attempt in 1 s/);
  assert.equal(f.calls.length, 1, 'no attempt during backoff');

  now += 1000;
  await fails();
  assert.equal(f.calls.length, 2);
  now += 1500;
  await fails();
  assert.equal(f.calls.length, 2, '2 s backoff after the second failure');
  now += 500;
  await fails();
  assert.equal(f.calls.length, 3);
  now += 4000;
  await fails(); // 4th failure: 8 s capped to 4 s
  assert.equal(f.calls.length, 4);
  now += 4000;
  await fails();
  assert.equal(f.calls.length, 5, 'capped at backoffMaxMs');

  await assert.rejects(pool.acquire('hpc', { explicit: true }), SshError);
  assert.equal(f.calls.length, 6, 'explicit connect ignores backoff');

  f.succeed();
  now += 4000;
  (await pool.acquire('hpc')).release();
  assert.equal(pool.status('hpc'), 'connected');
  assert.equal(pool.lastError('hpc'), undefined);
  f.conns[0].drop();
  (await pool.acquire('hpc')).release();
  assert.equal(f.calls.length, 8, 'success resets the backoff');
  assert.ok(events.includes('hpc:failed(unreachable)'));
  pool.dispose();
});

test('after an interactive login failure nothing retries automatically; an explicit connect does', async () => {
  const f = fakeConnect();
  f.failWith(() => new SshError('auth-failed', 'hpc', 'Authentication to hpc failed', { interactive: true }));
  const pool = new SessionPool({ connect: f.connect, backoffInitialMs: 0 });
  await assert.rejects(pool.acquire('hpc'), (e: unknown) => e instanceof SshError && e.kind === 'auth-failed');
  for (let i = 0; i < 5; i++) {
    await assert.rejects(pool.acquire('hpc'), /last login failed\. Connect again/);
  }
  assert.equal(f.calls.length, 1, 'never loops on a failing interactive login');
  assert.equal(pool.status('hpc'), 'failed');
  f.succeed();
  await pool.connect('hpc');
  assert.equal(f.calls.length, 2);
  assert.equal(f.calls[1].ctx.explicit, true);
  assert.equal(pool.status('hpc'), 'connected');
  (await pool.acquire('hpc')).release();
  assert.equal(f.calls.length, 2);
  pool.dispose();
});

test('a non-interactive auth failure backs off instead of blocking', async () => {
  let now = 0;
  const f = fakeConnect();
  f.failWith(() => new SshError('auth-failed', 'hpc', 'Authentication to hpc failed', { interactive: false }));
  const pool = new SessionPool({ connect: f.connect, now: () => now });
  await assert.rejects(pool.acquire('hpc'), SshError);
  now += 1000;
  await assert.rejects(pool.acquire('hpc'), SshError);
  assert.equal(f.calls.length, 2);
  pool.dispose();
});

test('a cancelled login throws CancelledError, reports disconnected, and waits for an explicit connect', async () => {
  const f = fakeConnect();
  f.failWith(() => new CancelledError('Password entry cancelled'));
  const pool = new SessionPool({ connect: f.connect });
  const events = statusLog(pool);
  await assert.rejects(pool.acquire('hpc'), CancelledError);
  await assert.rejects(pool.acquire('hpc'), CancelledError);
  assert.equal(f.calls.length, 1);
  assert.equal(pool.status('hpc'), 'disconnected');
  assert.deepEqual(events, ['hpc:connecting', 'hpc:disconnected(cancelled)']);
  f.succeed();
  await pool.connect('hpc');
  assert.equal(pool.status('hpc'), 'connected');
  pool.dispose();
});

test('a waiter that aborts does not cancel the shared handshake', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const f = fakeConnect();
  const pool = new SessionPool({ connect: f.connect, idleTimeoutMs: 30 });
  const ac = new AbortController();
  const a = pool.acquire('hpc', { signal: ac.signal });
  const b = pool.acquire('hpc');
  await flush();
  ac.abort();
  await assert.rejects(a, CancelledError);
  f.calls[0].resolve();
  const lease = await b;
  assert.equal(pool.refCount('hpc'), 1);
  lease.release();
  t.mock.timers.tick(29);
  assert.equal(pool.status('hpc'), 'connected');
  t.mock.timers.tick(1);
  assert.equal(pool.status('hpc'), 'disconnected', 'idle clock applies');
  pool.dispose();
});

test('close() while connecting cancels the waiters and closes a late connection', async () => {
  const f = fakeConnect();
  const pool = new SessionPool({ connect: f.connect });
  const p = pool.acquire('hpc');
  await flush();
  pool.close('hpc');
  assert.equal(f.calls[0].ctx.signal.aborted, true);
  const late = f.calls[0].resolve();
  await assert.rejects(p, CancelledError);
  assert.equal(late.closed, true);
  assert.equal(pool.status('hpc'), 'disconnected');
  // A fresh attempt is independent of the cancelled one.
  const q = pool.acquire('hpc');
  await flush();
  f.calls[1].resolve();
  (await q).release();
  assert.equal(pool.status('hpc'), 'connected');
  pool.dispose();
});

test('close() makes held leases unusable and clears failure state', async () => {
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect });
  const lease = await pool.acquire('hpc');
  pool.close('hpc');
  assert.equal(lease.session.connected, false);
  assert.equal(pool.refCount('hpc'), 0);
  lease.release();
  assert.equal(pool.status('hpc'), 'disconnected');
  pool.dispose();
});

test('check() pings; a dead connection is closed, reported and reopened', async () => {
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect });
  assert.equal(await pool.check('hpc'), false, 'not connected');
  await pool.connect('hpc');
  assert.equal(await pool.check('hpc'), true);
  f.conns[0].pingOk = false;
  assert.equal(await pool.check('hpc'), false);
  assert.equal(pool.status('hpc'), 'reconnecting');
  assert.equal(f.conns[0].closed, true);
  await waitFor(() => pool.status('hpc') === 'connected');
  assert.equal(f.conns.length, 2, 'reopened in the background');
  pool.dispose();
});

test('withSession releases on success and failure; hosts are independent; dispose ends everything', async () => {
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect });
  assert.equal(await pool.withSession('a', async (s) => s.host), 'a');
  assert.equal(pool.refCount('a'), 0);
  await assert.rejects(
    pool.withSession('b', async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(pool.refCount('b'), 0);
  assert.equal(f.calls.length, 2);
  assert.deepEqual(
    pool.statuses().map((s) => `${s.alias}:${s.status}`),
    ['a:connected', 'b:connected'],
  );
  let fired = 0;
  const sub = pool.onStatus(() => fired++);
  sub.dispose();
  pool.close('a');
  assert.equal(fired, 0, 'disposed listeners are not called');
  pool.dispose();
  assert.ok(f.conns.every((c) => c.closed));
  await assert.rejects(pool.acquire('a'), /shutting down/);
});

test('a changed idle timeout applies to open sessions at once (no reload)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect, idleTimeoutMs: 60_000, now: () => Date.now() });
  const lease = await pool.acquire('hpc');
  lease.release();
  t.mock.timers.tick(1000);
  pool.setIdleTimeout(500);
  t.mock.timers.tick(499);
  assert.equal(pool.status('hpc'), 'connected');
  t.mock.timers.tick(2);
  assert.equal(pool.status('hpc'), 'disconnected', 'the new timeout counts from the change');
  const again = await pool.acquire('hpc', { explicit: true });
  again.release();
  pool.setIdleTimeout(0);
  t.mock.timers.tick(10 * 60_000);
  assert.equal(pool.status('hpc'), 'connected', '0 keeps sessions open');
  pool.dispose();
});

test('a connection that drops by itself is "reconnecting" (never "disconnected") and reopened in the background; waiters get the new one', async () => {
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect, backoffInitialMs: 5 });
  const events = statusLog(pool);
  await pool.connect('hpc');
  f.failWith(() => new SshError('unreachable', 'hpc', 'connect ECONNREFUSED'));
  f.conns[0].drop();
  assert.equal(pool.status('hpc'), 'reconnecting');
  assert.match(pool.lastError('hpc')?.message ?? '', /Connection to hpc lost: the connection closed/);
  // A feature asking meanwhile waits for the reconnect instead of failing between attempts.
  const waiting = pool.acquire('hpc');
  await waitFor(() => f.calls.length >= 3);
  assert.equal(pool.status('hpc'), 'reconnecting');
  assert.match(pool.lastError('hpc')?.message ?? '', /lost: the connection closed; reconnecting \(attempt \d+ failed: connect ECONNREFUSED\)/);
  f.succeed();
  const lease = await waiting;
  assert.equal(lease.session.connected, true);
  assert.equal(pool.status('hpc'), 'connected');
  assert.equal(pool.lastError('hpc'), undefined);
  lease.release();
  assert.ok(!events.includes('hpc:disconnected'), `never shown as disconnected: ${events.join(' ')}`);
  assert.deepEqual(events.slice(0, 3), ['hpc:connecting', 'hpc:connected', 'hpc:reconnecting(disconnected)']);
  assert.equal(events.at(-1), 'hpc:connected');
  pool.dispose();
});

test('reconnecting gives up after reconnectForMs: "failed" with the reason kept; a failed check() starts it too; close() stops it', async () => {
  let now = 0;
  const f = fakeConnect();
  f.succeed();
  const pool = new SessionPool({ connect: f.connect, backoffInitialMs: 1, backoffMaxMs: 2, reconnectForMs: 1000, now: () => now });
  await pool.connect('hpc');
  f.conns[0].pingOk = false;
  f.failWith(() => new SshError('timeout', 'hpc', 'Timed out while waiting for handshake'));
  assert.equal(await pool.check('hpc'), false);
  const waiting = pool.acquire('hpc');
  assert.equal(pool.status('hpc'), 'reconnecting');
  const beforeGivingUp = f.calls.length;
  await waitFor(() => f.calls.length > beforeGivingUp + 1);
  now = 5000; // past reconnectForMs: the next failure is the last
  await assert.rejects(waiting, /no answer to a check \(no answer\); reconnecting failed for 1 s: Timed out while waiting for handshake/);
  assert.equal(pool.status('hpc'), 'failed');
  const calls = f.calls.length;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(f.calls.length, calls, 'no attempts after giving up');

  // close() while reconnecting: stops, 'disconnected', waiters rejected.
  f.succeed();
  await pool.connect('hpc');
  f.failWith(() => new SshError('unreachable', 'hpc', 'connect ECONNREFUSED'));
  f.conns.at(-1)!.drop();
  const waiter = pool.acquire('hpc');
  pool.close('hpc');
  await assert.rejects(waiter, /was closed/);
  assert.equal(pool.status('hpc'), 'disconnected');
  const after = f.calls.length;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(f.calls.length, after, 'no attempts after close()');
  pool.dispose();
});
