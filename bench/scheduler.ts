/**
 * Scheduler benchmarks on the sandbox (run as root on the sandbox machine, for sdiag).
 *
 * (a) One job-list query: on a warm session (quoted exec, and the agent's argv `run`) versus a
 *     fresh `ssh -F .sandbox/ssh_config hpc-sandbox squeue -u hpcuser`, at 0 and 30 ms RTT
 *     (bench/latency-proxy.ts, one-way delay = RTT/2 each way). Target: ≥10× faster at 30 ms.
 * (b) Controller load: slurmctld's own RPC counters (`sdiag`, reset with `sdiag -r`) while the
 *     JobWatcher watches 1, 10 and 100 of the user's jobs for a fixed time with a fast poll;
 *     next to it, naive per-job polling (`squeue -j <id>` per job per cycle) for contrast.
 *
 * (c) What the user sees (issue 15): N short jobs (5–20 s of `sleep`) are submitted, and two
 *     watchers follow them side by side as the Jobs view does (visible, each job tracked on
 *     submit) — the product's policy and the one before issue 15 (LEGACY_POLL_POLICY), each
 *     with its own scheduler and command count. Per job: the delay between the real start / end
 *     (sacct Start / End) and when the watcher reported it; per policy: scheduler commands per
 *     host per minute (every squeue, sacct and scontrol it ran).
 *
 *   node --import tsx bench/scheduler.ts [--rtt 0,30] [--n 20] [--fresh 5] [--jobs 1,10,100] [--seconds 20] [--poll-ms 500] [--latency-jobs 10] [--skip-a] [--skip-b] [--skip-c]
 *
 * Prints tables; writes bench/results/scheduler.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, repoRoot, sandbox } from '../test/support/sandbox';
import { sessionRunner } from '../test/support/schedulerRunner';
import { LatencyProxy } from './latency-proxy';
import { SlurmScheduler } from '../src/core/scheduler/slurm/slurmScheduler';
import { JobWatcher, LEGACY_POLL_POLICY } from '../src/core/scheduler/watcher';
import { isTerminal, type Job } from '../src/core/scheduler/types';
import { openRemote } from '../src/core/remote/openRemote';
import { silentLogger } from '../src/core/log';
import type { CommandRunner } from '../src/core/scheduler/command';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] as string) : def;
};
const RTTS = opt('rtt', '0,30').split(',').map(Number);
const N = Number(opt('n', '20'));
const FRESH = Number(opt('fresh', '5'));
const JOBS = opt('jobs', '1,10,100').split(',').map(Number);
const SECONDS = Number(opt('seconds', '20'));
const POLL_MS = Number(opt('poll-ms', '500'));
const LATENCY_JOBS = Number(opt('latency-jobs', '10'));
const d = sandbox();
const user = d.user;
const slurmEnv = { ...process.env, SLURM_CONF: d.slurmConf };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.9) - 1)] as number;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** A fresh OpenSSH client per query, as a shell script or a naive extension would do it. */
function freshSsh(port: number, knownHosts: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('ssh', ['-F', d.sshConfig, '-p', String(port), '-o', `UserKnownHostsFile=${knownHosts}`, 'hpc-sandbox', 'squeue', '-u', user], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.stdout.resume();
    p.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`ssh exited ${code}: ${err}`))));
  });
}

interface RowA {
  rttMs: number;
  method: string;
  medianMs: number;
  p90Ms: number;
  runs: number;
}

/** squeue's own run time on the login node, timed there by the shell (no SSH in the loop): the floor. */
async function squeueAlone(runs: number): Promise<number> {
  const conn = await connectDirect();
  try {
    const script = 'n=$1; shift; s=$(date +%s%N); i=0; while [ $i -lt $n ]; do "$@" >/dev/null || exit 1; i=$((i+1)); done; e=$(date +%s%N); echo $(( (e - s) / n ))';
    const r = await conn.session.exec(['sh', '-c', script, 'sh', String(runs), 'squeue', '-h', '-r', '--local', '-u', user, '-o', '%i']);
    if (r.code !== 0) throw new Error(`squeue loop failed: ${r.stderr.toString()}`);
    return Number(r.stdout.toString().trim()) / 1e6;
  } finally {
    conn.close();
  }
}

async function benchA(): Promise<RowA[]> {
  const rows: RowA[] = [];
  const alone = await squeueAlone(N);
  rows.push({ rttMs: 0, method: 'squeue alone on the login node (mean)', medianMs: alone, p90Ms: alone, runs: N });
  const tmp = mkdtempSync(join(tmpdir(), 'rhpc-bench-'));
  try {
    for (const rtt of RTTS) {
      const proxy = new LatencyProxy({ targetPort: d.port, delayMs: rtt / 2 });
      const port = await proxy.start();
      // Both host keys (the sandbox may be mid-rotation), under the proxy's port.
      const kh = join(tmp, `known_hosts_${port}`);
      const keys = [(d as unknown as { hostKey: string }).hostKey, (d as unknown as { altHostKey?: string }).altHostKey].filter(Boolean) as string[];
      writeFileSync(kh, keys.map((k) => `[127.0.0.1]:${port} ${k.split(' ').slice(0, 2).join(' ')}\n`).join(''));
      const conn = await connectDirect({ port });
      try {
        const viaExec = new SlurmScheduler(sessionRunner(conn.session));
        await viaExec.list(user);
        await viaExec.list(user);
        const exec = await timeIt(N, () => viaExec.list(user));
        rows.push({ rttMs: rtt, method: 'warm session, exec (fallback)', medianMs: median(exec), p90Ms: p90(exec), runs: N });

        const ops = await openRemote(conn.session, silentLogger);
        try {
          const viaOps = new SlurmScheduler(ops as CommandRunner);
          await viaOps.list(user);
          await viaOps.list(user);
          const agent = await timeIt(N, () => viaOps.list(user));
          rows.push({ rttMs: rtt, method: `warm session, RemoteOps.run (${ops.kind})`, medianMs: median(agent), p90Ms: p90(agent), runs: N });
        } finally {
          ops.dispose();
        }

        await freshSsh(port, kh);
        const fresh: number[] = [];
        for (let i = 0; i < FRESH; i++) fresh.push(await freshSsh(port, kh));
        rows.push({ rttMs: rtt, method: 'fresh `ssh … squeue -u`', medianMs: median(fresh), p90Ms: p90(fresh), runs: FRESH });
      } finally {
        conn.close();
        await proxy.close();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

// --- (b) controller load ------------------------------------------------------------------


/** slurmctld's RPC counters by message type and by user (sdiag, as root on the controller host). */
function sdiag(): { byType: Record<string, number>; byUser: Record<string, number> } {
  const r = spawnSync('sdiag', [], { env: slurmEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sdiag failed: ${r.stderr}`);
  const byType: Record<string, number> = {};
  const byUser: Record<string, number> = {};
  let section = '';
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('Remote Procedure Call statistics by message type')) section = 'type';
    else if (line.startsWith('Remote Procedure Call statistics by user')) section = 'user';
    else if (/^\S/.test(line)) section = '';
    const m = /^\s+(\S+)\s+\(\s*\d+\)\s+count:(\d+)/.exec(line);
    if (m && section === 'type') byType[m[1] as string] = Number(m[2]);
    if (m && section === 'user') byUser[m[1] as string] = Number(m[2]);
  }
  return { byType, byUser };
}

function sdiagReset(): void {
  const r = spawnSync('sdiag', ['-r'], { env: slurmEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sdiag -r failed (run as root/SlurmUser): ${r.stderr}`);
}

interface RowB {
  jobs: number;
  mode: string;
  seconds: number;
  cycles: number;
  /** slurmctld RPCs from the benchmark's user in the window (includes anyone else's hpcuser traffic). */
  rpcsUser: number;
  jobInfoRpcs: number;
  byType: Record<string, number>;
}

const JOB_QUERY_TYPES = ['REQUEST_JOB_USER_INFO', 'REQUEST_JOB_INFO', 'REQUEST_JOB_INFO_SINGLE'];

async function window(label: string, jobs: number, seconds: number, work: (stop: () => boolean) => Promise<number>): Promise<RowB> {
  sdiagReset();
  const until = Date.now() + seconds * 1000;
  const cycles = await work(() => Date.now() >= until);
  const s = sdiag();
  const types = Object.fromEntries(Object.entries(s.byType).filter(([k]) => k.startsWith('REQUEST_')));
  return {
    jobs,
    mode: label,
    seconds,
    cycles,
    rpcsUser: s.byUser[user] ?? 0,
    jobInfoRpcs: JOB_QUERY_TYPES.reduce((a, k) => a + (s.byType[k] ?? 0), 0),
    byType: types,
  };
}

async function benchB(): Promise<{ rows: RowB[]; perQuery: Record<string, Record<string, number>> }> {
  const conn = await connectDirect();
  const runner = sessionRunner(conn.session);
  const sched = new SlurmScheduler(runner);
  const rows: RowB[] = [];
  const submitted: string[] = [];
  try {
    // RPCs per single query, -u versus --me (each measured alone, twice for noise).
    const perQuery: Record<string, Record<string, number>> = {};
    for (const [label, argv] of [
      ['squeue -u <user>', ['squeue', '-h', '-u', user]],
      ['squeue --me', ['squeue', '-h', '--me']],
      ['squeue --local -u <user>', ['squeue', '-h', '--local', '-u', user]],
    ] as const) {
      sdiagReset();
      for (let i = 0; i < 10; i++) await runner.run([...argv]);
      const s = sdiag();
      perQuery[label] = Object.fromEntries(Object.entries(s.byType).filter(([k]) => k.startsWith('REQUEST_')).map(([k, v]) => [k, v / 10]));
    }

    rows.push(await window('idle (no watcher): background', 0, SECONDS, async (stop) => {
      while (!stop()) await new Promise((r) => setTimeout(r, 200));
      return 0;
    }));

    for (const n of JOBS) {
      // n held jobs: they stay pending (no CPU), all the user's.
      while (submitted.length < n) {
        const batch = Math.min(n - submitted.length, 50);
        const { id } = await sched.submit({ scriptText: '#!/bin/bash\ntrue\n', hold: true, name: 'bench-held', array: batch > 1 ? `0-${batch - 1}` : undefined, cwd: '/tmp' });
        for (let i = 0; i < batch; i++) submitted.push(batch > 1 ? `${id}_${i}` : id);
      }
      const listed = (await sched.list(user)).filter((j) => j.name === 'bench-held').length;
      const w = new JobWatcher({ intervalMs: POLL_MS, maxIntervalMs: POLL_MS, jitter: 0, maxQueriesPerMinute: Infinity }); // RPCs per cycle at a fast poll: no per-minute cap
      w.setVisible(true);
      let cycles = 0;
      const counting: typeof sched = Object.assign(Object.create(sched) as SlurmScheduler, {
        list: (u: string) => {
          cycles++;
          return sched.list(u);
        },
      });
      rows.push(await window(`JobWatcher (${listed} jobs listed)`, n, SECONDS, async (stop) => {
        w.addHost('sandbox', counting, user);
        while (!stop()) await new Promise((r) => setTimeout(r, 100));
        w.dispose();
        return cycles;
      }));

      if (n <= 10) {
        // The anti-pattern for contrast: one squeue per job per cycle.
        rows.push(await window('naive: squeue -j <id> per job', n, SECONDS, async (stop) => {
          let c = 0;
          while (!stop()) {
            const t0 = Date.now();
            for (const id of submitted.slice(0, n)) await runner.run(['squeue', '-h', '-j', id]);
            c++;
            await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (Date.now() - t0))));
          }
          return c;
        }));
      }
    }
    return { rows, perQuery };
  } finally {
    const parents = [...new Set(submitted.map((id) => id.replace(/_.*/, '')))];
    for (let i = 0; i < parents.length; i += 50) await runner.run(['scancel', ...parents.slice(i, i + 50)]);
    conn.close();
  }
}

// --- (c) latency as the user sees it ------------------------------------------------------

interface PolicyRun {
  policy: string;
  /** Per job: ms between the real event (sacct) and the watcher's report of it. */
  start: number[];
  /** …to the first poll that no longer lists it (the view says "ending…"), and to its final state (the notice). */
  left: number[];
  end: number[];
  commands: number;
  minutes: number;
  /** The most commands in any 60 s window. */
  maxPerMinute: number;
  byCommand: Record<string, number>;
}

/** A runner that notes when each command ran (every scheduler command counts). */
function countingRunner(inner: CommandRunner): CommandRunner & { log: { t: number; cmd: string }[] } {
  const log: { t: number; cmd: string }[] = [];
  return { log, run: (argv, o) => (log.push({ t: Date.now(), cmd: argv[0] as string }), inner.run(argv, o)) };
}

async function benchC(): Promise<PolicyRun[]> {
  const conn = await connectDirect();
  const base = sessionRunner(conn.session);
  const submitter = new SlurmScheduler(base);
  const policies = [
    { policy: 'product (issue 15)', opts: {} },
    { policy: 'before (30 s, doubling to 5 min)', opts: LEGACY_POLL_POLICY },
  ].map((p) => {
    const runner = countingRunner(base);
    const w = new JobWatcher({ ...p.opts });
    const started = new Map<string, number>();
    const left = new Map<string, number>();
    const ended = new Map<string, number>();
    let listed = new Set<string>();
    w.on('changed', (_h, jobs) => {
      for (const j of jobs) if (j.state !== 'PENDING' && !started.has(j.id)) started.set(j.id, Date.now());
      const now = new Set(jobs.map((j) => j.id));
      for (const id of listed) if (!now.has(id) && !left.has(id)) left.set(id, Date.now());
      listed = now;
    });
    w.on('finished', (_h, j) => {
      if (!started.has(j.id)) started.set(j.id, Date.now()); // ran between two polls
      if (!left.has(j.id)) left.set(j.id, Date.now());
      ended.set(j.id, Date.now());
    });
    w.setVisible(true);
    w.addHost('sandbox', new SlurmScheduler(runner), user);
    return { ...p, runner, w, started, left, ended };
  });
  const ids: string[] = [];
  const t0 = Date.now();
  try {
    await new Promise((r) => setTimeout(r, 15_000)); // the view has been open a while
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const secs = 5 + Math.round((15 * i) / Math.max(1, LATENCY_JOBS - 1));
      const { id } = await submitter.submit({ scriptText: `#!/bin/bash
sleep ${secs}
`, name: `bench-latency-${secs}s`, cwd: '/tmp', time: '1:00' });
      ids.push(id);
      for (const p of policies) void p.w.track('sandbox', [id]);
      await new Promise((r) => setTimeout(r, 2_000 + ((i * 3_700) % 5_000)));
    }
    const deadline = Date.now() + 15 * 60_000;
    while (Date.now() < deadline && !policies.every((p) => ids.every((id) => p.ended.has(id)))) await new Promise((r) => setTimeout(r, 500));
    const t1 = Date.now();
    // The real start and end, from accounting (local time, 1 s resolution).
    let real: Job[] = [];
    for (let i = 0; i < 20 && !(real.length === ids.length && real.every((j) => isTerminal(j.state) && j.endTime)); i++) {
      real = await submitter.finalState(ids);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const at = (s: string | undefined) => (s ? new Date(s).getTime() : NaN);
    return policies.map((p) => {
      const win = p.runner.log.filter((e) => e.t >= t0 && e.t <= t1);
      const byCommand: Record<string, number> = {};
      for (const e of win) byCommand[e.cmd] = (byCommand[e.cmd] ?? 0) + 1;
      return {
        policy: p.policy,
        start: real.map((j) => (p.started.get(j.id) ?? Infinity) - at(j.startTime)),
        left: real.map((j) => (p.left.get(j.id) ?? Infinity) - at(j.endTime)),
        end: real.map((j) => (p.ended.get(j.id) ?? Infinity) - at(j.endTime)),
        commands: win.length,
        minutes: (t1 - t0) / 60_000,
        maxPerMinute: Math.max(...win.map((e) => win.filter((x) => x.t >= e.t && x.t < e.t + 60_000).length)),
        byCommand,
      };
    });
  } finally {
    for (const p of policies) p.w.dispose();
    if (ids.length) await base.run(['scancel', ...ids]);
    conn.close();
  }
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = { date: new Date().toISOString(), slurm: spawnSync('sinfo', ['--version'], { env: slurmEnv, encoding: 'utf8' }).stdout.trim() };
  if (!args.includes('--skip-a')) {
    const rows = await benchA();
    out.query = rows;
    console.log('\n(a) one job-list query (squeue -u), median of runs');
    console.log('RTT    method                                   median      p90      runs');
    for (const r of rows) console.log(`${String(r.rttMs).padEnd(6)} ${r.method.padEnd(40)} ${fmt(r.medianMs).padStart(10)} ${fmt(r.p90Ms).padStart(10)} ${String(r.runs).padStart(5)}`);
    const floor = rows.find((r) => r.method.startsWith('squeue alone'))?.medianMs ?? 0;
    for (const rtt of RTTS) {
      const fresh = rows.find((r) => r.rttMs === rtt && r.method.startsWith('fresh'));
      for (const r of rows.filter((x) => x.rttMs === rtt && x.method.startsWith('warm'))) {
        if (!fresh) continue;
        const overhead = (fresh.medianMs - floor) / Math.max(1, r.medianMs - floor);
        console.log(`  ${rtt} ms RTT, ${r.method}: ${(fresh.medianMs / r.medianMs).toFixed(1)}× faster than a fresh ssh; ${overhead.toFixed(1)}× less overhead on top of squeue's own ${fmt(floor)}`);
      }
    }
  }
  if (!args.includes('--skip-b')) {
    const { rows, perQuery } = await benchB();
    out.load = { pollMs: POLL_MS, seconds: SECONDS, rows, perQuery };
    console.log('\n(b) slurmctld RPCs per single query (sdiag, mean of 10)');
    for (const [k, v] of Object.entries(perQuery)) console.log(`  ${k.padEnd(28)} ${Object.entries(v).map(([t, c]) => `${t}=${c}`).join(' ')}`);
    console.log(`\n(b) controller load over ${SECONDS} s, poll every ${POLL_MS} ms (sdiag -r before each window)`);
    console.log('jobs  mode                                  cycles  job-info RPCs  all RPCs of user  RPCs/cycle');
    for (const r of rows) {
      console.log(
        `${String(r.jobs).padEnd(5)} ${r.mode.padEnd(37)} ${String(r.cycles).padStart(6)} ${String(r.jobInfoRpcs).padStart(14)} ${String(r.rpcsUser).padStart(17)} ${r.cycles ? (r.rpcsUser / r.cycles).toFixed(1).padStart(11) : '          -'}`,
      );
    }
  }
  if (!args.includes('--skip-c')) {
    const runs = await benchC();
    out.latency = { jobs: LATENCY_JOBS, runs };
    const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'missed');
    console.log(`\n(c) ${LATENCY_JOBS} jobs of 5–20 s, Jobs view visible, each job tracked on submit: delay from the real start / end (sacct) to the watcher's report`);
    console.log('policy                             start p50  start p90   "ending…" p50/p90   end (final state) p50/p90   commands/min (max in any 60 s)');
    for (const r of runs) {
      const cmds = Object.entries(r.byCommand).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`${r.policy.padEnd(34)} ${s(median(r.start)).padStart(9)} ${s(p90(r.start)).padStart(10)} ${`${s(median(r.left))} / ${s(p90(r.left))}`.padStart(19)} ${`${s(median(r.end))} / ${s(p90(r.end))}`.padStart(27)}   ${(r.commands / r.minutes).toFixed(1)} (${r.maxPerMinute}) — ${cmds} in ${r.minutes.toFixed(1)} min`);
    }
  }
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  const file = join(repoRoot, 'bench', 'results', 'scheduler.json');
  // A part skipped this time keeps its previous figures.
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, `${JSON.stringify({ ...previous, ...out }, null, 2)}\n`);
  console.log('\nwritten bench/results/scheduler.json');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
