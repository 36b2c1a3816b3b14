import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PooledOpsProvider, type Lease } from '../../src/core/remote/opsProvider';
import type { RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';
import { SessionPool, type PoolConnection } from '../../src/core/ssh/pool';

function fakes() {
  const state = { acquired: 0, released: 0, opened: 0, disposed: 0, connected: true, agentAlive: true };
  const session = { get connected() { return state.connected; } } as unknown as Session;
  const acquire = async (): Promise<Lease> => {
    state.acquired++;
    return { session, release: () => state.released++ };
  };
  const open = async (): Promise<RemoteOps> => {
    state.opened++;
    return {
      kind: 'agent',
      get closed() {
        return !state.agentAlive;
      },
      home: async () => '/home/u',
      watch: () => ({ dispose: () => undefined }),
      dispose: () => state.disposed++,
    } as unknown as RemoteOps;
  };
  return { state, acquire, open };
}

test('concurrent callers share one ops; every lease taken is given back', async () => {
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open });
  const [a, b] = await Promise.all([p.ops('h'), p.ops('h')]);
  assert.equal(a, b);
  assert.equal(await a.home(), '/home/u');
  assert.equal(f.state.opened, 1);
  assert.equal(f.state.acquired - f.state.released, 0, 'no lease held between calls');
  p.dispose();
  assert.deepEqual([f.state.released, f.state.disposed], [f.state.acquired, 1]);
});

test('a closed session is rebuilt on next use and invalidation is announced', async () => {
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open });
  const seen: string[] = [];
  p.onDidInvalidate((h) => seen.push(h));
  await p.ops('h');
  f.state.connected = false;
  await p.ops('h');
  assert.deepEqual([f.state.acquired, f.state.released, f.state.opened], [2, 2, 2]);
  assert.deepEqual(seen, ['h']);
  p.dispose();
});

test('a lease is held only while a call runs or a watch is live', async () => {
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open });
  const held = () => f.state.acquired - f.state.released;
  const ops = await p.ops('h');
  assert.equal(held(), 0, 'idle ops hold no lease: the pool\'s idle clock runs');
  const w = ops.watch(['/x'], () => undefined);
  await new Promise((r) => setImmediate(r));
  assert.equal(held(), 1, 'a live watch keeps the session');
  const home = ops.home();
  assert.equal(await home, '/home/u');
  assert.equal(held(), 1, 'one lease however many calls');
  w.dispose();
  w.dispose();
  assert.equal(held(), 0);
  p.dispose();
});

test('one idle clock: with a 300 ms idle timeout the session closes 300 ms after the last request, not 600', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  let closed = false;
  const session = { host: 'h', get connected() { return !closed; } } as unknown as Session;
  const conn: PoolConnection = { session, ping: async () => undefined, close: () => void (closed = true), onClose: () => undefined };
  const pool = new SessionPool({ connect: async () => conn, idleTimeoutMs: 300, now: () => Date.now() });
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: (h) => pool.acquire(h), open: f.open });
  const ops = await p.ops('h');
  await ops.home();
  t.mock.timers.tick(299);
  assert.equal(closed, false);
  t.mock.timers.tick(2);
  assert.equal(closed, true, 'closed by the pool\'s idle timeout alone');
  p.dispose();
  pool.dispose();
});

test('an agent that exits on a live session is replaced by fresh ops', async () => {
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open });
  const first = await p.ops('h');
  f.state.agentAlive = false;
  const second = await p.ops('h');
  assert.notEqual(first, second);
  assert.deepEqual([f.state.opened, f.state.disposed, f.state.released], [2, 1, 2]);
  p.dispose();
});

test('a call waiting longer than stallMs checks the connection, once at a time; quick calls never do', async () => {
  const f = fakes();
  const checks: string[] = [];
  let answer: () => void = () => undefined;
  const slow = new Promise<string>((r) => (answer = () => r('/home/u')));
  const p = new PooledOpsProvider({
    acquire: f.acquire,
    open: async () => ({ ...(await f.open()), home: () => slow, getenv: async () => ({}) }) as unknown as RemoteOps,
    checkConnection: async (h) => {
      checks.push(h);
      await new Promise((r) => setTimeout(r, 30));
    },
    stallMs: 20,
  });
  const ops = await p.ops('h');
  await ops.getenv([]);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(checks, [], 'a call that answered in time starts no check');
  const waiting = [ops.home(), ops.home()];
  await new Promise((r) => setTimeout(r, 45));
  assert.deepEqual(checks, ['h'], 'two stalled calls, one check');
  answer();
  await Promise.all(waiting);
  p.dispose();
});
