import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PooledOpsProvider, type Lease } from '../../src/core/remote/opsProvider';
import type { RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';

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

test('concurrent callers share one lease and one ops', async () => {
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open });
  const [a, b] = await Promise.all([p.ops('h'), p.ops('h')]);
  assert.equal(a, b);
  assert.equal(await a.home(), '/home/u');
  assert.deepEqual([f.state.acquired, f.state.opened], [1, 1]);
  p.dispose();
  assert.deepEqual([f.state.released, f.state.disposed], [1, 1]);
});

test('a closed session is rebuilt on next use and invalidation is announced', async () => {
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open });
  const seen: string[] = [];
  p.onDidInvalidate((h) => seen.push(h));
  await p.ops('h');
  f.state.connected = false;
  await p.ops('h');
  assert.deepEqual([f.state.acquired, f.state.released, f.state.opened], [2, 1, 2]);
  assert.deepEqual(seen, ['h']);
  p.dispose();
});

test('idle ops give their lease back, but not while a watch is live', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open, idleMs: 1000, now: () => Date.now() });
  const ops = await p.ops('h');
  const w = ops.watch(['/x'], () => undefined);
  t.mock.timers.tick(5000);
  assert.equal(f.state.released, 0, 'a live watch keeps the session');
  w.dispose();
  t.mock.timers.tick(2000);
  assert.equal(f.state.released, 1);
  p.dispose();
});

test('an agent that exits on a live session is replaced by fresh ops', async () => {
  const f = fakes();
  const p = new PooledOpsProvider({ acquire: f.acquire, open: f.open });
  const first = await p.ops('h');
  f.state.agentAlive = false;
  const second = await p.ops('h');
  assert.notEqual(first, second);
  assert.deepEqual([f.state.opened, f.state.disposed, f.state.released], [2, 1, 1]);
  p.dispose();
});
