import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tailJobOutput, whenJobFinished, type Followable } from '../../src/core/scheduler/tail';
import type { FollowOptions } from '../../src/core/remote/types';
import { JobWatcher } from '../../src/core/scheduler/watcher';
import type { Job } from '../../src/core/scheduler/types';

function fakeFollow() {
  const state: { opts?: FollowOptions; path?: string; disposed: number } = { disposed: 0 };
  const ops: Followable = {
    follow(path, opts) {
      state.path = path;
      state.opts = opts;
      return { dispose: () => void state.disposed++ };
    },
  };
  return { ops, state };
}

function fakeTimers() {
  let t = 0;
  let seq = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  return {
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(++seq, { due: t + ms, fn });
      return seq;
    },
    clearTimeout: (h: unknown) => void timers.delete(h as number),
    advance(ms: number) {
      const end = t + ms;
      for (;;) {
        const next = [...timers].filter(([, v]) => v.due <= end).sort((a, b) => a[1].due - b[1].due)[0];
        if (!next) break;
        timers.delete(next[0]);
        t = next[1].due;
        next[1].fn();
      }
      t = end;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('tail passes data through and stops once the job ended and output went quiet', async () => {
  const { ops, state } = fakeFollow();
  const timers = fakeTimers();
  let endJob!: () => void;
  const jobEnded = new Promise<void>((r) => (endJob = r));
  const got: string[] = [];
  const ends: string[] = [];
  tailJobOutput(ops, '/home/u/slurm-1.out', {
    offset: 10,
    onData: (c, o) => got.push(`${o}:${c.toString()}`),
    onEnd: (r) => ends.push(r),
    jobEnded,
    quietMs: 2000,
    maxDrainMs: 10_000,
    timers,
  });
  assert.equal(state.path, '/home/u/slurm-1.out');
  assert.equal(state.opts?.offset, 10);
  state.opts?.onData(Buffer.from('a'), 10);
  endJob();
  await tick();
  timers.advance(1500);
  state.opts?.onData(Buffer.from('b'), 11); // last bytes arrive after the end: quiet timer restarts
  timers.advance(1500);
  assert.deepEqual(ends, []);
  timers.advance(600);
  assert.deepEqual(ends, ['job-ended']);
  assert.equal(state.disposed, 1);
  state.opts?.onData(Buffer.from('late'), 12);
  assert.deepEqual(got, ['10:a', '11:b']);
});

test('tail stops at maxDrain even if output keeps coming; dispose ends it once', async () => {
  const { ops, state } = fakeFollow();
  const timers = fakeTimers();
  const ends: string[] = [];
  const d = tailJobOutput(ops, '/p', { onData: () => undefined, onEnd: (r) => ends.push(r), jobEnded: Promise.resolve(), quietMs: 1000, maxDrainMs: 5000, timers });
  await tick();
  for (let i = 0; i < 10; i++) {
    state.opts?.onData(Buffer.from('x'), i);
    timers.advance(900);
  }
  assert.deepEqual(ends, ['job-ended']);
  d.dispose();
  assert.deepEqual(ends, ['job-ended']);
  assert.equal(state.disposed, 1);

  const f2 = fakeFollow();
  const ends2: string[] = [];
  const d2 = tailJobOutput(f2.ops, '/p', { onData: () => undefined, onEnd: (r) => ends2.push(r) });
  d2.dispose();
  d2.dispose();
  assert.deepEqual(ends2, ['disposed']);
});

test('whenJobFinished resolves from the watcher (or at once if it already finished)', async () => {
  const w = new JobWatcher({ clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined } });
  const finished: Job = {
    id: '5',
    name: 'x',
    user: 'u',
    state: 'COMPLETED',
    rawState: 'COMPLETED',
    partition: 'debug',
    elapsed: '',
    timeLimit: '',
    reason: '',
    nodes: '',
    workDir: '/',
    comment: '',
    tags: [],
    exitCode: 0,
  };
  const sched = { list: async () => [], finalState: async () => [finished] };
  w.addHost('h', sched, 'u');
  const wait = whenJobFinished(w, 'h', '5');
  await w.track('h', ['5']);
  assert.equal((await wait.promise).state, 'COMPLETED');
  const again = whenJobFinished(w, 'h', '5');
  assert.equal((await again.promise).id, '5');
  w.dispose();
});
