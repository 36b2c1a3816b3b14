/**
 * The host pool (PoolManager) on the sandbox's three pool hosts (scripts/sandbox/pool-hosts.sh:
 * sshds on 2240-2242, the same machine and user, so every job keeps its own folder): 30 jobs
 * over 3 hosts × 2 slots with every output captured and no slot running two jobs at once (by
 * the hosts' own start/end times), a host whose sshd is stopped mid-run turning `error` with its
 * jobs finishing elsewhere, and a second controller reattaching to running jobs and cancelling
 * one. Stops and restarts only its own pool sshd.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, repoRoot, sandbox, type DirectConnection } from '../support/sandbox';
import { sandboxPoolSkip } from '../support/prerequisites';
import { sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import type { CommandRunner } from '../../src/core/scheduler/command';
import { PoolManager, type PoolRunState } from '../../src/core/scheduler/pool/manager';
import { PoolRuns } from '../../src/core/scheduler/pool/runs';
import { PoolJobBuilder, parsePoolFile, poolJobSpecs } from '../../src/core/scheduler/poolSpec';

const skip = sandboxPoolSkip();
const HOSTILE = `it's "q" $(touch pwned) \`id\` ✓`;

/** One connection per host, opened again when it dropped (and refused while the host's sshd is down). */
class HostRunners {
  private readonly conns = new Map<string, DirectConnection>();
  constructor(private readonly ports: Map<string, number>) {}
  runner(host: string): CommandRunner {
    return {
      run: async (argv, opts) => {
        let c = this.conns.get(host);
        if (!c || !c.session.connected) {
          c?.close();
          this.conns.delete(host);
          c = await connectDirect({ port: this.ports.get(host) as number });
          this.conns.set(host, c);
        }
        return sessionRunner(c.session).run(argv, opts);
      },
    };
  }
  /** Drops the connection under a host (its sshd is gone: so are its sessions). */
  destroy(host: string): void {
    this.conns.get(host)?.destroy();
    this.conns.delete(host);
  }
  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

let ports: Map<string, number>;
let runners: HostRunners;
let local: string;
const runIds: string[] = [];

function poolScript(...args: string[]): void {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/sandbox/pool-hosts.sh'), ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `pool-hosts.sh ${args.join(' ')}: ${r.stderr}`);
}

function runId(tag: string): string {
  const id = `it-${tag}-${process.pid}-${Date.now().toString(36)}`;
  runIds.push(id);
  return id;
}

function manager(id: string, jobs: ReturnType<typeof poolJobSpecs>, slotsPerHost = 2): PoolManager {
  return PoolManager.create({ runId: id, pool: 'sandbox', name: id, hosts: [...ports.keys()], slotsPerHost, jobs }, { runner: (h) => runners.runner(h), readFile: async (p) => readFileSync(join(local, p)) });
}

async function runToEnd(m: PoolManager, timeoutMs: number): Promise<void> {
  await waitUntil('the pool run to finish', async () => (await m.tick(), m.finished), timeoutMs, 200);
}

async function cat(host: string, path: string): Promise<string> {
  const r = await runners.runner(host).run(['cat', '--', path]);
  assert.equal(r.code, 0, `cat ${path}: ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}

before(async () => {
  if (skip) return;
  const hosts = sandbox().poolHosts ?? [];
  ports = new Map(hosts.map((h) => [h.alias, h.port]));
  runners = new HostRunners(ports);
  local = mkdtempSync(join(tmpdir(), 'rhpc-pool-'));
  writeFileSync(join(local, `in put ${HOSTILE}.txt`), 'input-bytes ✓\n');
});

after(async () => {
  if (skip) return;
  poolScript('start-one', '2');
  const r = runners.runner([...ports.keys()][0] as string);
  await r.run(['bash', '-c', 'cd && rm -rf -- "$@"', 'x', ...runIds.map((id) => `.remote-hpc/pool/${id}`)]);
  runners.close();
  rmSync(local, { recursive: true, force: true });
});

test('30 jobs over 3 hosts × 2 slots: every output captured, never two jobs in one slot', { skip, timeout: 90_000 }, async () => {
  // glimpse's example: three job kinds, SetRepeat(10), from a .pool.json and from the Builder alike.
  const file = parsePoolFile(
    JSON.stringify({
      repeat: 10,
      jobs: ['a', 'b', 'c'].map((k) => ({
        name: `${k} ${HOSTILE}`,
        commands: ['bash', '-c', 'echo "$1 $RHPC_POOL_JOB $RHPC_POOL_REPEAT"; cat -- *.txt; echo "err $1" >&2; sleep 0.4', 'job', `${k} ${HOSTILE}`],
        files: [`in put ${HOSTILE}.txt`],
      })),
    }),
  );
  const specs = poolJobSpecs(file);
  const built = new PoolJobBuilder().setRepeat(10);
  for (const j of file.jobs) built.addJob(j);
  assert.deepEqual(built.makeJobSpecs(), specs);
  assert.equal(specs.length, 30);

  const m = manager(runId('thirty'), specs);
  const t0 = Date.now();
  await runToEnd(m, 80_000);
  const wall = Date.now() - t0;
  const jobs = m.state.jobs;
  assert.deepEqual(
    jobs.filter((j) => j.state !== 'completed').map((j) => `${j.id} ${j.state} ${j.reason}`),
    [],
  );
  for (const j of jobs) {
    const p = m.outputPaths(j.id);
    assert.ok(p);
    const k = j.name.slice(0, 1);
    assert.equal(await cat(p.host, p.stdout), `${k} ${HOSTILE} ${j.id} ${j.repeatIndex}\ninput-bytes ✓\n`);
    assert.equal(await cat(p.host, p.stderr), `err ${k} ${HOSTILE}\n`);
  }
  // Every slot: its jobs one after the other, by the times the hosts wrote.
  let busy = 0;
  const bySlot = new Map<string, { start: number; end: number }[]>();
  for (const j of jobs) {
    const a = j.attempts.at(-1);
    assert.ok(a?.startedAt !== undefined && a.endedAt !== undefined, `${j.id} has start and end times`);
    const k = `${a.host}#${a.slot}`;
    bySlot.set(k, [...(bySlot.get(k) ?? []), { start: a.startedAt, end: a.endedAt }]);
    busy += a.endedAt - a.startedAt;
  }
  assert.equal(bySlot.size, 6, 'all 6 slots were used');
  for (const [slot, runs] of bySlot) {
    runs.sort((x, y) => x.start - y.start);
    for (let i = 1; i < runs.length; i++) assert.ok((runs[i] as { start: number }).start >= (runs[i - 1] as { end: number }).end, `${slot}: job ${i} started before job ${i - 1} ended`);
  }
  assert.ok(!m.eventLog().includes('retry'), m.eventLog());
  assert.equal(m.eventLog().split('\n').filter((l) => / launch /.test(l)).length, 30);
  assert.equal((await runners.runner('hpc-pool-1').run(['bash', '-c', 'ls ~ | grep -c pwned || true'])).stdout.toString().trim(), '0');
  console.log(`pool: 30 jobs (0.4 s each) over 3 hosts × 2 slots in ${(wall / 1000).toFixed(1)} s wall, slot utilisation ${((100 * busy) / (wall * 6)).toFixed(0)} %`);
  assert.deepEqual(new Set(m.slots().map((s) => s.state)), new Set(['done']));
});

test('a host whose sshd stops mid-run turns error and its jobs finish elsewhere', { skip, timeout: 60_000 }, async () => {
  const specs = new PoolJobBuilder().addJob({ name: 'sleeper', commands: ['bash', '-c', 'sleep 1.5; echo done-$RHPC_POOL_JOB'], repeat: 9 }).makeJobSpecs();
  const m = manager(runId('kill'), specs);
  await waitUntil('six jobs running', async () => (await m.tick(), m.slots().filter((s) => s.state === 'busy').length === 6), 20_000, 100);
  const onTwo = m.state.jobs.filter((j) => j.state === 'running' && j.attempts.at(-1)?.host === 'hpc-pool-2').map((j) => j.id);
  assert.equal(onTwo.length, 2);
  poolScript('stop-one', '2');
  runners.destroy('hpc-pool-2');
  await runToEnd(m, 45_000);
  assert.equal(m.hostState('hpc-pool-2'), 'error');
  assert.ok(m.slots().filter((s) => s.host === 'hpc-pool-2').every((s) => s.state === 'error'));
  for (const j of m.state.jobs) {
    assert.equal(j.state, 'completed', `${j.id}: ${j.reason}`);
    const p = m.outputPaths(j.id);
    assert.ok(p && p.host !== 'hpc-pool-2');
    assert.equal(await cat(p.host, p.stdout), `done-${j.id}\n`);
  }
  for (const id of onTwo) {
    const j = m.job(id);
    assert.equal(j?.attempts[0]?.lost, 'host hpc-pool-2 failed');
    assert.equal(j?.attempts.length, 2);
  }
  const log = m.eventLog();
  assert.match(log, /error +hpc-pool-2 failed/);
  assert.equal(log.split('\n').filter((l) => / retry /.test(l)).length, 2, log);
  poolScript('start-one', '2');
});

test('a new controller reattaches to running jobs and launches the queued ones; cancel kills the process group', { skip, timeout: 60_000 }, async () => {
  const specs = new PoolJobBuilder()
    .addJob({ name: 'long', commands: ['bash', '-c', 'sleep 60 & wait; echo never'] })
    .addJob({ name: 'short', commands: ['bash', '-c', 'sleep 2; echo short'], repeat: 2 })
    .addJob({ name: 'late', commands: ['cat', '--', `in put ${HOSTILE}.txt`], files: [`in put ${HOSTILE}.txt`] })
    .makeJobSpecs();
  // The runs as VS Code keeps them: global state (JSON) between two controllers.
  let saved: PoolRunState[] = [];
  const runsOptions = () => ({
    runner: (h: string) => runners.runner(h),
    readFile: async (file: string, baseDir: string | undefined) => readFileSync(join(baseDir as string, file)),
    config: () => ({ hosts: [...ports.keys()], slotsPerHost: 1 }),
    store: { load: () => saved, save: (s: PoolRunState[]) => void (saved = JSON.parse(JSON.stringify(s)) as PoolRunState[]) },
    pollMs: 60_000,
  });
  const first = new PoolRuns(runsOptions());
  const id = await first.start({ pool: 'sandbox', name: 'reattach', jobs: specs, baseDir: local });
  runIds.push(id);
  const m1 = first.manager(id) as PoolManager;
  await waitUntil('three jobs running', async () => (await first.poll('sandbox'), m1.state.jobs.filter((j) => j.state === 'running' && j.attempts[0]?.pid).length === 3), 20_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}; the run's event log:\n${m1.eventLog()}`);
  });
  assert.equal(m1.job(`${id}.4`)?.state, 'queued');
  // The first controller goes away (VS Code closes), its connections with it.
  first.dispose();
  runners.close();
  runners = new HostRunners(ports);
  const second = new PoolRuns(runsOptions());
  const m2 = second.manager(id) as PoolManager;
  assert.ok(m2.slots().filter((s) => s.state === 'unknown').length === 3, 'running slots are unknown until a host answers');
  await second.poll('sandbox');
  assert.ok(m2.slots().every((s) => s.state !== 'unknown'));
  await waitUntil('short and late jobs to end', async () => (await second.poll('sandbox'), m2.state.jobs.filter((j) => j.state === 'completed').length === 3), 20_000, 200);
  const late = m2.outputPaths(`${id}.4`);
  assert.ok(late);
  assert.equal(await cat(late.host, late.stdout), 'input-bytes ✓\n', 'the queued job got its file after the reattach');
  const long = m2.job(`${id}.1`);
  const a = long?.attempts[0];
  assert.ok(long && a?.pid);
  await second.manager(id)?.cancel([long.id]);
  await waitUntil('the long job to be cancelled', async () => (await second.poll('sandbox'), m2.finished), 15_000, 200);
  assert.equal(long.state, 'cancelled');
  for (const j of m2.state.jobs) assert.equal(j.attempts.length, 1, `${j.id} was not launched again`);
  // Its whole session is gone, the sleep in the background too (zombies wait for this VM's init to reap them).
  const ps = await runners.runner(a.host).run(['ps', '-o', 'pid=,stat=,args=', '-s', String(a.pid)]);
  const alive = ps.stdout.toString().split('\n').filter((l) => l.trim() && !/^\s*\d+\s+Z/.test(l));
  assert.deepEqual(alive, []);
  assert.match(second.eventLog(id), /reattach +reattached to run .* \(3 running\)/);
  assert.match(second.eventLog(id), /cancel +long cancelled/);
  assert.equal(saved.find((r) => r.runId === id)?.jobs.find((j) => j.name === 'long')?.state, 'cancelled', 'the end is saved');
  second.dispose();
});
