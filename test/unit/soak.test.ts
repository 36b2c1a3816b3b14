/**
 * Soak and load of the core layer (issue 14), on a fake clock so a simulated day takes seconds:
 *
 * - 24 simulated hours with 100 watched jobs (10 ending and 10 new ones submitted every hour, a
 *   waiter on each new one), 10 open files and 5 watched folders held through PooledOpsProvider,
 *   whose session drops every hour (the subscriptions re-attached the way the file system layer
 *   does): heap, listeners, subscriptions, leases and pending timers printed per hour and bounded;
 *   nothing left after dispose.
 * - 1,000 queued array tasks on each of 10 connected hosts: a refresh of the Jobs view model (list
 *   → model → grouped and sorted entries, as the tree draws them), time and heap.
 *
 * The scheduler and the remote ops are fakes (what they return is synthesised); everything
 * between them and the model is the product's code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Job } from '../../src/core/scheduler/types';
import { JobsController } from '../../src/core/jobs/controller';
import { JobsModel } from '../../src/core/jobs/model';
import { groupJobs } from '../../src/core/jobs/grouping';
import { sortEntries } from '../../src/core/jobs/sorting';
import { PooledOpsProvider, type Lease } from '../../src/core/remote/opsProvider';
import type { ChangeEvent, RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';
import type { Disposable } from '../../src/core/cancel';
import { FakeClock, job, task } from '../support/jobs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMiB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

class Hosts {
  constructor(readonly hosts: { alias: string; status: string }[]) {}
  readonly listeners = new Set<(e: unknown) => void>();
  list() {
    return this.hosts;
  }
  onDidChange(l: (e: unknown) => void) {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }
}

class Queue {
  queue: Job[] = [];
  acct: Job[] = [];
  listCalls = 0;
  async list(): Promise<Job[]> {
    this.listCalls++;
    return this.queue.map((j) => ({ ...j }));
  }
  async finalState(ids: string[]): Promise<Job[]> {
    const want = new Set(ids);
    return this.acct.filter((j) => want.has(j.id));
  }
  async history(): Promise<Job[]> {
    return [];
  }
}

function controllerFor(hosts: Hosts, queues: Map<string, Queue>, clock: FakeClock, model: JobsModel, maxQueriesPerMinute?: number): JobsController {
  return new JobsController({
    hosts,
    schedulers: {
      scheduler: (h) => queues.get(h) as Queue,
      user: async () => 'alice',
      userNames: async () => new Map(),
      forget: () => undefined,
    },
    model,
    log: quiet,
    settings: () => ({ pollIntervalSeconds: 10, historyDays: 0, notifyStates: ['COMPLETED', 'FAILED'] }),
    onNotices: () => undefined,
    clock,
    jitter: 0.1,
    ...(maxQueriesPerMinute ? { maxQueriesPerMinute } : {}),
  });
}

/** Remote ops whose watches are counted; `closed` once its session dropped. */
class CountingOps {
  static live = 0;
  closed = false;
  readonly kind = 'agent';
  watch(_paths: string[], _l: (e: ChangeEvent[]) => void): Disposable {
    CountingOps.live++;
    let done = false;
    return {
      dispose: () => {
        if (!done) CountingOps.live--;
        done = true;
      },
    };
  }
  async stat(paths: string[]) {
    return paths.map(() => null);
  }
  dispose(): void {
    this.closed = true;
  }
}

test('soak: 24 simulated hours, 100 watched jobs, 10 open files, 5 watched folders, a reconnect every hour: memory, listeners, subscriptions and timers bounded', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  const hosts = new Hosts([{ alias: 'hpc', status: 'connected' }]);
  const q = new Queue();
  const model = new JobsModel();
  const controller = controllerFor(hosts, new Map([['hpc', q]]), clock, model);
  let nextId = 1000;
  const waiters = new Map<string, { dispose(): void }>();
  const submit = (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = String(nextId++);
      ids.push(id);
      q.queue.push(job({ id, state: i % 3 ? 'RUNNING' : 'PENDING', elapsed: '0:01', timeLimit: '1-00:00:00' }));
      const w = controller.whenFinished('hpc', id);
      waiters.set(id, w);
      void w.promise.then(() => waiters.delete(id));
    }
    return controller.track('hpc', ids);
  };

  // The ops provider over a session that drops every hour; the fs layer re-attaches on invalidate.
  let leases = 0;
  let session = { connected: true } as unknown as Session;
  const provider = new PooledOpsProvider({
    acquire: async (): Promise<Lease> => {
      leases++;
      let released = false;
      return { session, release: () => void (released || (leases--, (released = true))) };
    },
    open: async () => new CountingOps() as unknown as RemoteOps,
  });
  const paths = [...Array.from({ length: 10 }, (_, i) => `/home/alice/open${i}.py`), ...Array.from({ length: 5 }, (_, i) => `/home/alice/folder${i}`)];
  let handles: Disposable[] = [];
  const attach = async () => {
    const ops = await provider.ops('hpc');
    handles = paths.map((p) => ops.watch([p], () => undefined));
    await ops.stat(paths);
  };
  const invalidations = provider.onDidInvalidate(() => {
    for (const h of handles) h.dispose();
    handles = [];
  });

  controller.setVisible(true);
  await clock.advance(0);
  void submit(100);
  await clock.advance(60_000);
  await attach();
  const rows: string[] = [];
  const samples: { hour: number; heap: number; timers: number; listeners: number; subs: number; leases: number; waiters: number }[] = [];
  for (let hour = 1; hour <= 24; hour++) {
    // 10 jobs end (accounting has them), 10 new ones are submitted; every job's elapsed time moves.
    const ending = q.queue.slice(0, 10);
    q.queue = q.queue.slice(10).map((j) => ({ ...j, state: 'RUNNING', elapsed: `${hour}:00:00` }));
    q.acct.push(...ending.map((j) => ({ ...j, state: 'COMPLETED' as const, rawState: 'COMPLETED' })));
    if (q.acct.length > 200) q.acct.splice(0, q.acct.length - 200);
    void submit(10);
    await clock.advance(30 * 60_000);
    // The connection drops and comes back (the pool reconnects); the open files re-attach.
    (session as unknown as { connected: boolean }).connected = false;
    session = { connected: true } as unknown as Session;
    await attach();
    await clock.advance(30 * 60_000);
    const s = {
      hour,
      heap: heapMiB(),
      timers: clock.timers.size,
      listeners: hosts.listeners.size,
      subs: CountingOps.live,
      leases,
      waiters: waiters.size,
    };
    samples.push(s);
    if ([1, 2, 6, 12, 18, 24].includes(hour)) rows.push(`hour ${String(hour).padStart(2)}: heap ${s.heap.toFixed(1)} MiB, pending timers ${s.timers}, host listeners ${s.listeners}, watch subscriptions ${s.subs}, leases ${s.leases}, end waiters ${s.waiters}, squeue calls so far ${q.listCalls}`);
  }
  for (const r of rows) console.log(r);
  const first = samples[1] as (typeof samples)[number];
  const last = samples[samples.length - 1] as (typeof samples)[number];
  console.log(`heap growth hour 2 → 24: ${(last.heap - first.heap).toFixed(2)} MiB; ${model.get('hpc')?.active.length} active jobs shown, ${model.get('hpc')?.recent.length} recent`);
  assert.equal(model.get('hpc')?.active.length, 100);
  for (const s of samples) {
    assert.ok(s.timers <= 3, `hour ${s.hour}: ${s.timers} timers pending`);
    assert.equal(s.subs, 15, `hour ${s.hour}: ${s.subs} live watch subscriptions`);
    assert.ok(s.leases <= 1, `hour ${s.hour}: ${s.leases} leases held`);
    assert.ok(s.waiters <= 100, `hour ${s.hour}: ${s.waiters} end waiters`);
  }
  assert.ok(last.heap - first.heap < 4, `heap grew ${last.heap - first.heap} MiB over 22 simulated hours`);
  // ~10 s to 20 s per poll while jobs are watched: not more than one squeue every 10 s, not fewer than one every 20 s.
  assert.ok(q.listCalls <= (24 * 3600) / 10 + 300 && q.listCalls >= (24 * 3600) / 20, `${q.listCalls} squeue calls in 24 h`);

  for (const w of [...waiters.values()]) w.dispose();
  for (const h of handles) h.dispose();
  invalidations.dispose();
  provider.dispose();
  controller.dispose();
  model.dispose();
  await clock.advance(3_600_000);
  assert.equal(clock.timers.size, 0, 'no timer left after dispose');
  assert.equal(CountingOps.live, 0);
  assert.equal(leases, 0);
  assert.equal(hosts.listeners.size, 0, 'the controller unsubscribed from the hosts');
});

test('load: 1,000 queued array tasks on each of 10 connected hosts, one refresh of the Jobs view model', { timeout: 60_000 }, async () => {
  const clock = new FakeClock();
  const aliases = Array.from({ length: 10 }, (_, i) => `hpc${i}`);
  const hosts = new Hosts(aliases.map((alias) => ({ alias, status: 'connected' })));
  const queues = new Map(aliases.map((a) => [a, new Queue()]));
  for (const [, q] of queues) q.queue = Array.from({ length: 1000 }, (_, i) => task('5000', String(i), { state: 'PENDING', reason: 'Priority', elapsed: '0:00' }));
  const model = new JobsModel();
  const heap0 = heapMiB();
  const controller = controllerFor(hosts, queues, clock, model, Infinity);
  controller.setVisible(true);
  await clock.advance(0);
  // What the tree draws per host: the array grouped under its parent, sorted.
  const draw = () => aliases.reduce((n, a) => n + sortEntries(groupJobs(model.shownActive(a)), 'state').length, 0);
  assert.equal(draw(), 10);
  const timings: number[] = [];
  for (let round = 0; round < 5; round++) {
    // Every task changes (a state or reason moves), so nothing is skipped as unchanged.
    for (const [, q] of queues) q.queue = q.queue.map((j, i) => ({ ...j, reason: round % 2 ? 'Priority' : 'Resources', state: i < round * 10 ? 'RUNNING' : 'PENDING' }));
    const t0 = process.hrtime.bigint();
    await controller.refresh();
    draw();
    timings.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const heap = heapMiB() - heap0;
  timings.sort((a, b) => a - b);
  const median = timings[2] as number;
  console.log(`10 hosts × 1,000 queued array tasks: refresh + model + grouped/sorted entries median ${median.toFixed(1)} ms (min ${timings[0]?.toFixed(1)}, max ${timings[4]?.toFixed(1)}), heap held ${heap.toFixed(1)} MiB`);
  assert.equal(aliases.reduce((n, a) => n + model.shownActive(a).length, 0), 10_000);
  assert.ok(median < 1000, `refresh took ${median} ms`);
  assert.ok(heap < 64, `heap held ${heap} MiB`);
  controller.dispose();
  model.dispose();
});
