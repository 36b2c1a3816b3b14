/**
 * The login-node footprint of one connected session (what HPC admins police): every process of
 * the session on the sandbox "login node" (the sshd processes of the connection and what runs
 * under them: the agent, SFTP servers of a transfer…), their RSS and CPU, at rest, with 10 watched
 * folders, and under load (10 watched folders, 5 open files, a 100,000-entry listing, a tail and a
 * 64 MiB upload at once); side by side with what a plain interactive `ssh` session costs. Then
 * the sftp-server of the SFTP fallback on the same listing, and the time the agent takes to exit
 * after the SSH connection is killed under it.
 *
 *   node --import tsx bench/footprint.ts [--entries 100000] [--window 10]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectDirect, sandbox } from '../test/support/sandbox';
import { openRemote } from '../src/core/remote/openRemote';
import { AgentOps } from '../src/core/remote/agentOps';
import { upload } from '../src/core/remote/transfer';
import { silentLogger } from '../src/core/log';
import type { Session } from '../src/core/ssh/session';
import { table } from './remote-support';
import { sessionProcesses as subtree, type SessionProcess as Proc } from '../test/support/sessionProcesses';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const ENTRIES = Number(arg('entries', '100000'));
const WINDOW_S = Number(arg('window', '10'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sh(session: Session, script: string, ...args: string[]): Promise<string> {
  const r = await session.exec(['sh', '-c', script, 'sh', ...args]);
  if (r.code !== 0) throw new Error(`sh failed (${r.code}): ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}

interface Phase {
  /** Most processes seen at once, and their names. */
  processes: number;
  names: string;
  agentRss: number;
  agentPeak: number;
  agentCpu: number;
  /** Sum of the session's RSS at its largest sample (shared pages counted in each process). */
  totalRss: number;
  totalCpu: number;
  seconds: number;
}

/** Samples the session of `pid` every 250 ms over `during` (or a quiet window): CPU from tick deltas. */
async function measure(probe: Session, pid: number, agentPid: number | undefined, during?: () => Promise<unknown>): Promise<Phase> {
  const first = await subtree(probe, pid);
  const start = new Map(first.procs.map((p) => [p.pid, p.ticks]));
  const last = new Map<number, Proc>(first.procs.map((p) => [p.pid, p]));
  let processes = first.procs.length;
  let names = first.procs.map((p) => p.comm).sort().join(', ');
  let totalRss = first.procs.reduce((a, p) => a + p.rssKiB, 0);
  let done = false;
  const t0 = Date.now();
  const work = (during ? during() : sleep(WINDOW_S * 1000)).finally(() => (done = true));
  while (!done) {
    await Promise.race([work, sleep(250)]);
    const s = await subtree(probe, pid);
    for (const p of s.procs) last.set(p.pid, p);
    if (s.procs.length > processes) {
      processes = s.procs.length;
      names = s.procs.map((p) => p.comm).sort().join(', ');
    }
    totalRss = Math.max(totalRss, s.procs.reduce((a, p) => a + p.rssKiB, 0));
  }
  await work;
  const end = await subtree(probe, pid);
  for (const p of end.procs) last.set(p.pid, p);
  const seconds = (Date.now() - t0) / 1000;
  const cpu = (p: Proc) => ((p.ticks - (start.get(p.pid) ?? 0)) / first.hz / seconds) * 100;
  const agent = agentPid === undefined ? undefined : last.get(agentPid);
  return {
    processes,
    names,
    agentRss: (agent?.rssKiB ?? 0) / 1024,
    agentPeak: (agent?.hwmKiB ?? 0) / 1024,
    agentCpu: agent ? cpu(agent) : 0,
    totalRss: totalRss / 1024,
    totalCpu: [...last.values()].reduce((a, p) => a + cpu(p), 0),
    seconds,
  };
}

async function ensureFixtures(session: Session): Promise<{ big: string; base: string; watched: string[]; files: string[] }> {
  const script = [
    'import os, sys',
    'base, n = sys.argv[1], int(sys.argv[2])',
    'big = "%s/dir%d" % (base, n)',
    'if not os.path.exists(big + ".complete"):',
    '    os.makedirs(big, exist_ok=True)',
    '    for i in range(n): open("%s/f%07d.dat" % (big, i), "w").close()',
    '    open(big + ".complete", "w").close()',
    'for w in range(10):',
    '    d = "%s/watch%d" % (base, w)',
    '    os.makedirs(d, exist_ok=True)',
    '    for i in range(200): open("%s/f%d" % (d, i), "a").close()',
    'for i in range(5):',
    '    with open("%s/open%d.py" % (base, i), "w") as f: f.write("x = %d\\n" % i * 2000)',
    'print(os.path.abspath(big))',
  ].join('\n');
  const big = (await sh(session, 'cd && mkdir -p bench-cache/footprint && exec python3 -c "$1" bench-cache/footprint "$2"', script, String(ENTRIES))).trim();
  const base = big.slice(0, big.lastIndexOf('/'));
  return { big, base, watched: Array.from({ length: 10 }, (_, i) => `${base}/watch${i}`), files: Array.from({ length: 5 }, (_, i) => `${base}/open${i}.py`) };
}

/** A plain interactive `ssh` session (a login shell on a tty), and the pid of its shell. */
async function plainSsh(): Promise<{ pid: number; close(): void }> {
  const d = sandbox();
  const child = spawn('ssh', ['-F', d.sshConfig, '-tt', '-o', 'BatchMode=yes', d.sshHosts?.main ?? 'hpc-sandbox'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stdin.write('echo "SHELL""PID=$$"\n');
  for (let i = 0; i < 100 && !/SHELLPID=(\d+)/.test(out); i++) await sleep(100);
  const m = /SHELLPID=(\d+)/.exec(out);
  if (!m) throw new Error(`no shell pid from ssh: ${out}`);
  return { pid: Number(m[1]), close: () => child.kill() };
}

async function main(): Promise<void> {
  const probeConn = await connectDirect();
  const probe = probeConn.session;
  const conn = await connectDirect();
  const fx = await ensureFixtures(probe);
  const ops = await openRemote(conn.session, silentLogger);
  if (!(ops instanceof AgentOps)) throw new Error('the agent did not start');
  const pid = (await ops.client.request('info', {})).result.pid as number;
  const rows: (string | number)[][] = [];
  const row = (what: string, m: Phase, note = '') =>
    rows.push([what, m.processes, m.agentRss ? m.agentRss.toFixed(1) : '', m.agentPeak ? m.agentPeak.toFixed(1) : '', m.agentRss ? m.agentCpu.toFixed(2) : '', m.totalRss.toFixed(1), m.totalCpu.toFixed(2), `${m.seconds.toFixed(1)} s`, note || m.names]);

  const shell = await plainSsh();
  try {
    row('plain `ssh` session (login shell on a tty), idle', await measure(probe, shell.pid, undefined));
  } finally {
    shell.close();
  }
  row('Remote HPC session at rest (agent connected, nothing watched)', await measure(probe, pid, pid));
  const subs = fx.watched.map((d) => ops.watch([d], () => undefined));
  await sleep(1500);
  row('10 watched folders (200 entries each)', await measure(probe, pid, pid));

  // Load: the 10 folders stay watched; 5 open files (read, watched), a listing, a tail, an upload.
  const fileSubs = fx.files.map((f) => ops.watch([f], () => undefined));
  const local = mkdtempSync(join(tmpdir(), 'rhpc-footprint-'));
  const blob = join(local, 'upload.bin');
  writeFileSync(blob, randomBytes(64 << 20));
  const tailed = `${fx.base}/tail.log`;
  await sh(probe, ': > "$1"', tailed);
  let tailedBytes = 0;
  const tail = ops.follow(tailed, { onData: (c) => (tailedBytes += c.length) });
  let total = 0;
  const load = await measure(probe, pid, pid, async () => {
    const writer = sh(probe, 'for i in $(seq 1 40); do echo "line $i of the tail" >> "$1"; sleep 0.1; done', tailed);
    await Promise.all([...fx.files.map((f) => ops.readFile(f)), (async () => (total = (await ops.list(fx.big)).total))(), upload(conn.session, blob, `${fx.base}/upload.bin`), writer]);
  });
  row('under load: + 5 open files, a listing, a tail, a 64 MiB upload', load, `${total.toLocaleString('en')} entries listed, ${tailedBytes} B tailed; ${load.names}`);
  tail.dispose();
  for (const w of [...subs, ...fileSubs]) w.dispose();
  rmSync(local, { recursive: true, force: true });
  await sh(probe, 'rm -f -- "$1"', `${fx.base}/upload.bin`);
  await sleep(1000);
  row('at rest again (watches closed)', await measure(probe, pid, pid));

  // The SFTP fallback's server process for the same listing.
  const sftpConn = await connectDirect();
  const sftp = await openRemote(sftpConn.session, silentLogger, { forceFallback: true });
  await sftp.list(`${fx.big}/..`, { limit: 1 });
  const sftpPid = Number((await sh(probe, 'pgrep -n -u "$(id -u)" sftp-server || true')).trim());
  if (sftpPid > 0) row('SFTP fallback: sftp-server, during the same listing', await measure(probe, sftpPid, sftpPid, () => sftp.list(fx.big)));
  sftp.dispose();
  sftpConn.close();

  // Time to exit after the connection dies under a busy agent (a content search running).
  const victim = await connectDirect();
  const vops = await openRemote(victim.session, silentLogger);
  if (!(vops instanceof AgentOps)) throw new Error('the agent did not start');
  const vpid = (await vops.client.request('info', {})).result.pid as number;
  vops.search(fx.big, { contentPattern: 'never' }).catch(() => undefined);
  await sleep(300);
  const t0 = Date.now();
  victim.destroy();
  while ((await sh(probe, 'kill -0 "$1" 2>/dev/null && echo alive || true', String(vpid))).trim() === 'alive' && Date.now() - t0 < 60_000) await sleep(100);
  const exitMs = Date.now() - t0;

  ops.dispose();
  conn.close();
  probeConn.close();
  console.log(table(['session / phase', 'processes (most at once)', 'agent RSS MiB', 'agent peak RSS MiB', 'agent CPU %', 'session RSS MiB (sum)', 'session CPU %', 'window', 'processes / note'], rows));
  console.log(`\nagent exit after its SSH connection was killed (search running): ${(exitMs / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
