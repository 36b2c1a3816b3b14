import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../../src/core/scheduler/types';
import { JobsController, type JobsSettings } from '../../src/core/jobs/controller';
import { JobsModel } from '../../src/core/jobs/model';
import type { FinishedNotice } from '../../src/core/jobs/notices';
import { FakeClock, job, task } from '../support/jobs';
import { flush } from '../support/wait';

class FakeHosts {
  hosts: { alias: string; status: string }[] = [];
  private listeners = new Set<(e: unknown) => void>();
  list() {
    return this.hosts;
  }
  onDidChange(l: (e: unknown) => void) {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }
  set(hosts: { alias: string; status: string }[]) {
    this.hosts = hosts;
    for (const l of this.listeners) l(undefined);
  }
}

class FakeScheduler {
  queue: Job[] = [];
  acct: Job[] = [];
  history_: Job[] = [];
  down: Error | undefined;
  listCalls = 0;
  historyCalls = 0;
  async list(user: string): Promise<Job[]> {
    assert.equal(user, 'alice');
    this.listCalls++;
    if (this.down) throw this.down;
    return this.queue.map((j) => ({ ...j }));
  }
  async finalState(ids: string[]): Promise<Job[]> {
    return this.acct.filter((j) => ids.includes(j.id) || ids.includes(j.arrayJobId ?? ''));
  }
  async history(): Promise<Job[]> {
    this.historyCalls++;
    return this.history_;
  }
  /** What `getent passwd` knows on this host, and the uids each lookup asked for. */
  passwd = new Map<string, string>();
  nameLookups: string[][] = [];
  async userNames(uids: Iterable<string>): Promise<Map<string, string>> {
    this.nameLookups.push([...uids]);
    return new Map([...this.passwd].filter(([u]) => this.nameLookups.flat().includes(u)));
  }
}

function setup(settings: Partial<JobsSettings> = {}) {
  const clock = new FakeClock();
  const hosts = new FakeHosts();
  const sched = new FakeScheduler();
  const model = new JobsModel();
  const notices: FinishedNotice[][] = [];
  const controller = new JobsController({
    hosts,
    schedulers: { scheduler: () => sched, user: async () => 'alice', userNames: (_h: string, uids: Iterable<string>) => sched.userNames(uids), forget: () => undefined },
    model,
    log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    settings: () => ({ pollIntervalSeconds: 30, historyDays: 3, notifyStates: ['COMPLETED', 'FAILED'], ...settings }),
    onNotices: (n) => notices.push(n),
    clock,
    jitter: 0,
  });
  return { clock, hosts, sched, model, notices, controller };
}

test('a connected host is polled while the view is visible; every poll reaches the model', async () => {
  const { clock, hosts, sched, model, controller } = setup();
  sched.queue = [job({ id: '1', elapsed: '0:01' })];
  sched.history_ = [job({ id: '0', state: 'COMPLETED' }), job({ id: '1', state: 'RUNNING' })];
  hosts.set([{ alias: 'hpc', status: 'connected' }, { alias: 'off', status: 'disconnected' }]);
  controller.setVisible(true);
  await clock.advance(0);
  assert.deepEqual(model.hostList().map((h) => h.host), ['hpc']);
  assert.deepEqual(model.get('hpc')?.active.map((j) => j.id), ['1']);
  assert.deepEqual(model.get('hpc')?.recent.map((j) => j.id), ['0'], 'history keeps finished jobs only');
  assert.equal(sched.listCalls, 1);
  sched.queue = [job({ id: '1', elapsed: '0:31' })];
  await clock.advance(30_000);
  assert.equal(sched.listCalls, 2);
  assert.equal(model.get('hpc')?.active[0]?.elapsed, '0:31', 'elapsed moves although the watcher sees no change');
  controller.dispose();
});

test('hidden and idle: no polling; a submitted job is tracked anyway', async () => {
  const { clock, hosts, sched, model, controller } = setup();
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  await clock.advance(600_000);
  assert.equal(sched.listCalls, 0);
  sched.queue = [job({ id: '5', state: 'PENDING' })];
  await controller.track('hpc', ['5']);
  assert.equal(sched.listCalls, 1);
  assert.deepEqual(model.get('hpc')?.active.map((j) => j.id), ['5']);
  controller.dispose();
});

test('a job leaving the queue stays shown until accounting has its final state; then one notice', async () => {
  const { clock, hosts, sched, model, notices, controller } = setup();
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  controller.setVisible(true);
  sched.queue = [job({ id: '7' })];
  await clock.advance(0);
  sched.queue = [];
  await controller.refreshNow('hpc');
  assert.deepEqual(model.shownActive('hpc').map((j) => j.id), ['7'], 'leaving, final state unknown');
  sched.acct = [job({ id: '7', state: 'COMPLETED', exitCode: 0 })];
  await clock.advance(30_000);
  assert.deepEqual(model.shownActive('hpc'), []);
  assert.equal(model.get('hpc')?.recent[0]?.state, 'COMPLETED');
  assert.equal(notices.length, 0, 'notices wait for the batch');
  await clock.advance(2000);
  assert.deepEqual(notices.map((b) => b.map((n) => n.message)), [['Job 7 (train) on hpc completed after 0:05.']]);
  const done = controller.whenFinished('hpc', '7');
  assert.equal((await done.promise).state, 'COMPLETED');
  controller.dispose();
});

test('an array ending at once is one notice', async () => {
  const { clock, hosts, sched, notices, controller } = setup();
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  controller.setVisible(true);
  sched.queue = [task('9', '0'), task('9', '1'), task('9', '2')];
  await clock.advance(0);
  sched.queue = [];
  sched.acct = [task('9', '0', { state: 'COMPLETED' }), task('9', '1', { state: 'FAILED' }), task('9', '2', { state: 'COMPLETED' })];
  await clock.advance(30_000);
  await clock.advance(2000);
  assert.equal(notices.length, 1);
  assert.equal(notices[0]?.length, 1);
  assert.equal(notices[0]?.[0]?.severity, 'error');
  controller.dispose();
});

test('an array whose tasks run one after another is announced once, when its last task ends', async () => {
  const { clock, hosts, sched, notices, controller } = setup();
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  controller.setVisible(true);
  sched.queue = [task('9', '0'), task('9', '1', { state: 'PENDING' })];
  await clock.advance(0);
  // Task 0 ends; task 1 is still queued: no notice yet.
  sched.queue = [task('9', '1')];
  sched.acct = [task('9', '0', { state: 'COMPLETED' })];
  await clock.advance(30_000);
  await clock.advance(2000);
  assert.equal(notices.length, 0, 'an array is not announced while a task is still queued');
  sched.queue = [];
  sched.acct = [task('9', '0', { state: 'COMPLETED' }), task('9', '1', { state: 'FAILED' })];
  await clock.advance(30_000);
  await clock.advance(2000);
  assert.equal(notices.flat().length, 1);
  assert.match(notices.flat()[0]?.message ?? '', /2 tasks ended — 1 failed · 1 completed/);
  controller.dispose();
});

test('unreachable scheduler: the host is degraded once, and recovers by itself', async () => {
  const { clock, hosts, sched, model, controller } = setup();
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  controller.setVisible(true);
  sched.down = new Error('squeue: error: Unable to contact slurm controller (connect failure)');
  await clock.advance(0);
  assert.match(model.get('hpc')?.degraded ?? '', /Unable to contact/);
  const calls = sched.listCalls;
  await clock.advance(60_000);
  assert.ok(sched.listCalls - calls <= 2, 'backs off');
  sched.down = undefined;
  await clock.advance(300_000);
  assert.equal(model.get('hpc')?.degraded, undefined);
  controller.dispose();
});

test('disconnecting drops the host; settings change rebuilds the watcher without losing hosts', async () => {
  let interval = 30;
  const clock = new FakeClock();
  const hosts = new FakeHosts();
  const sched = new FakeScheduler();
  const model = new JobsModel();
  const controller = new JobsController({
    hosts,
    schedulers: { scheduler: () => sched, user: async () => 'alice', userNames: async () => new Map(), forget: () => undefined },
    model,
    log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    settings: () => ({ pollIntervalSeconds: interval, historyDays: 0, notifyStates: [] }),
    onNotices: () => undefined,
    clock,
    jitter: 0,
  });
  hosts.set([{ alias: 'a', status: 'connected' }, { alias: 'b', status: 'connected' }]);
  controller.setVisible(true);
  sched.queue = [job({ id: '1' })];
  await clock.advance(0);
  assert.equal(sched.listCalls, 2);
  assert.equal(sched.historyCalls, 0, 'historyDays 0: no history');
  hosts.set([{ alias: 'a', status: 'connected' }]);
  assert.deepEqual(model.hostList().map((h) => h.host), ['a']);
  interval = 10;
  controller.settingsChanged();
  await flush();
  await clock.advance(0);
  const before = sched.listCalls;
  await clock.advance(10_000);
  assert.equal(sched.listCalls, before + 1, 'polls on the new interval, only host a');
  controller.dispose();
});

test('a job submitted before the host is set up is tracked once it is', async () => {
  const clock = new FakeClock();
  const hosts = new FakeHosts();
  const sched = new FakeScheduler();
  const model = new JobsModel();
  let release: (u: string) => void = () => undefined;
  const userP = new Promise<string>((r) => (release = r));
  const controller = new JobsController({
    hosts,
    schedulers: { scheduler: () => sched, user: () => userP, userNames: async () => new Map(), forget: () => undefined },
    model,
    log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    settings: () => ({ pollIntervalSeconds: 30, historyDays: 0, notifyStates: [] }),
    onNotices: () => undefined,
    clock,
    jitter: 0,
  });
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  sched.queue = [job({ id: '42', state: 'PENDING' })];
  await controller.track('hpc', ['42']);
  assert.equal(sched.listCalls, 0);
  release('alice');
  await clock.advance(0);
  assert.equal(sched.listCalls, 1, 'hidden view, but the submitted job is polled');
  assert.deepEqual(model.get('hpc')?.active.map((j) => j.id), ['42']);
  controller.dispose();
});

test("the user's own cancels (a job, an array by parent) end without a notice; other ends still announce", async () => {
  const { clock, hosts, sched, notices, controller } = setup({ notifyStates: ['COMPLETED', 'FAILED', 'CANCELLED'] });
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  controller.setVisible(true);
  sched.queue = [job({ id: '7' }), job({ id: '8' }), task('9', '0'), task('9', '1')];
  await clock.advance(0);
  controller.expectCancel('hpc', ['7', '9']);
  sched.queue = [];
  sched.acct = [job({ id: '7', state: 'CANCELLED' }), job({ id: '8', state: 'CANCELLED' }), task('9', '0', { state: 'CANCELLED' }), task('9', '1', { state: 'CANCELLED' })];
  await clock.advance(30_000);
  await clock.advance(2000);
  assert.deepEqual(notices.flat().map((n) => n.message), ['Job 8 (train) on hpc was cancelled after 0:05.'], 'someone else cancelled 8 (scancel in a shell, an admin)');
  controller.dispose();
});

test('who cancelled a job is named by user name: one lookup for all the uids of a batch, none again for known ones', async () => {
  const { clock, hosts, sched, model, notices, controller } = setup({ notifyStates: ['CANCELLED'] });
  sched.passwd = new Map([['1001', 'alice'], ['0', 'root']]);
  sched.history_ = [
    job({ id: '1', state: 'CANCELLED', cancelledBy: '1001' }),
    job({ id: '2', state: 'CANCELLED', cancelledBy: '0' }),
    job({ id: '3', state: 'CANCELLED', cancelledBy: '4242' }),
    job({ id: '4', state: 'CANCELLED', cancelledBy: '1001' }),
  ];
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  controller.setVisible(true);
  sched.queue = [job({ id: '8' })];
  await clock.advance(0);
  await flush();
  assert.deepEqual(sched.nameLookups, [['1001', '0', '4242']], 'one lookup, each uid once');
  assert.deepEqual([...(model.get('hpc')?.users ?? [])], [['1001', 'alice'], ['0', 'root']]);
  // An admin cancels a running job: the notice names them.
  sched.queue = [];
  sched.acct = [job({ id: '8', state: 'CANCELLED', rawState: 'CANCELLED by 0', cancelledBy: '0' })];
  await clock.advance(30_000);
  await clock.advance(2000);
  await flush();
  assert.deepEqual(notices.flat().map((n) => n.message), ['Job 8 (train) on hpc was cancelled by root after 0:05.']);
  assert.equal(sched.nameLookups.length, 1, 'root was known already');
  await controller.loadHistory('hpc', true);
  assert.equal(sched.nameLookups.length, 2, 'only the unknown uid is asked again');
  assert.deepEqual(sched.nameLookups[1], ['4242']);
  controller.dispose();
});

test('view hidden: a job whose end is awaited (a tailed output) is watched and its end seen within 15 s; released, nothing polls', async () => {
  const { clock, hosts, sched, model, controller } = setup({ pollIntervalSeconds: 10 }); // the default
  hosts.set([{ alias: 'hpc', status: 'connected' }]);
  sched.queue = [job({ id: '5', elapsed: '3:00' })];
  await clock.advance(600_000);
  assert.equal(sched.listCalls, 0, 'hidden, nobody waits: nothing polls');
  const waiting = controller.whenFinished('hpc', '5');
  let ended: Job | undefined;
  void waiting.promise.then((j) => (ended = j));
  await clock.advance(0);
  assert.equal(sched.listCalls, 1, 'awaiting a job polls at once');
  assert.ok(model.get('hpc')?.polledAt !== undefined, 'the model knows when its list was asked for');
  await clock.advance(300_000);
  assert.ok(sched.listCalls >= 10, `watched while awaited: ${sched.listCalls} polls in 5 min`);
  sched.queue = [];
  sched.acct = [job({ id: '5', state: 'COMPLETED', exitCode: 0 })];
  const endedAt = clock.now();
  await clock.advance(15_000);
  assert.equal(ended?.state, 'COMPLETED', 'the end is seen within 15 s');
  assert.ok(clock.now() - endedAt <= 15_000);
  const calls = sched.listCalls;
  await clock.advance(3_600_000);
  assert.equal(sched.listCalls, calls, 'ended and hidden: polling stops');

  // Someone else's job, nobody waiting, notifications off: not polled while hidden.
  controller.dispose();
  const quiet = setup({ notifyStates: [] });
  quiet.hosts.set([{ alias: 'hpc', status: 'connected' }]);
  quiet.sched.queue = [job({ id: '6' })];
  await quiet.clock.advance(0);
  const w = quiet.controller.whenFinished('hpc', '6');
  await quiet.clock.advance(0);
  w.dispose();
  const before = quiet.sched.listCalls;
  await quiet.clock.advance(3_600_000);
  assert.ok(quiet.sched.listCalls - before <= 1, `released, notifications off, hidden: ${quiet.sched.listCalls - before} polls in an hour`);
  quiet.controller.dispose();
});
