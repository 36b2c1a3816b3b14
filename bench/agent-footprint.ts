/**
 * The agent's footprint on the sandbox: RSS (now and peak, from /proc) and CPU% of the remote
 * agent process while idle, with 10 watched folders, during and after a 100,000-entry listing
 * (next to the sftp-server process serving the same listing over the SFTP fallback), and the
 * time the agent takes to exit after the SSH connection is killed under it.
 *
 *   node --import tsx bench/agent-footprint.ts [--entries 100000] [--window 5]
 */
import { connectDirect } from '../test/support/sandbox';
import { openRemote } from '../src/core/remote/openRemote';
import { AgentOps } from '../src/core/remote/agentOps';
import { silentLogger } from '../src/core/log';
import type { Session } from '../src/core/ssh/session';
import { table } from './remote-support';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const ENTRIES = Number(arg('entries', '100000'));
const WINDOW_S = Number(arg('window', '5'));

async function sh(session: Session, script: string, ...args: string[]): Promise<string> {
  const r = await session.exec(['sh', '-c', script, 'sh', ...args]);
  if (r.code !== 0) throw new Error(`sh failed (${r.code}): ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}

/** RSS and peak RSS (MiB) and CPU ticks of a remote process, read from its /proc entries. */
async function probe(session: Session, pid: number): Promise<{ rss: number; peak: number; ticks: number; hz: number } | undefined> {
  const out = await session.exec(['sh', '-c', 'cat "/proc/$1/status" "/proc/$1/stat" && getconf CLK_TCK', 'sh', String(pid)]);
  if (out.code !== 0) return undefined;
  const text = out.stdout.toString();
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const lines = text.trim().split('\n');
  const stat = lines[lines.length - 2].split(') ')[1].split(' ');
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024, ticks: Number(stat[11]) + Number(stat[12]), hz: Number(lines[lines.length - 1]) };
}

/** CPU% of pid over `during` (or a sleep of the window), with RSS after it. */
async function measure(session: Session, pid: number, during?: () => Promise<unknown>): Promise<{ cpu: number; rss: number; peak: number; ms: number }> {
  const a = await probe(session, pid);
  const t0 = Date.now();
  await (during ? during() : new Promise((r) => setTimeout(r, WINDOW_S * 1000)));
  const ms = Date.now() - t0;
  const b = await probe(session, pid);
  if (!a || !b) throw new Error(`process ${pid} is gone`);
  return { cpu: ((b.ticks - a.ticks) / b.hz / (ms / 1000)) * 100, rss: b.rss, peak: b.peak, ms };
}

async function ensureFixtures(session: Session): Promise<{ big: string; watched: string[] }> {
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
    'print(os.path.abspath(big))',
  ].join('\n');
  const big = (await sh(session, 'cd && mkdir -p bench-cache/footprint && exec python3 -c "$1" bench-cache/footprint "$2"', script, String(ENTRIES))).trim();
  const base = big.slice(0, big.lastIndexOf('/'));
  return { big, watched: Array.from({ length: 10 }, (_, i) => `${base}/watch${i}`) };
}

async function main(): Promise<void> {
  const probeConn = await connectDirect();
  const conn = await connectDirect();
  const { big, watched } = await ensureFixtures(probeConn.session);
  const ops = await openRemote(conn.session, silentLogger);
  if (!(ops instanceof AgentOps)) throw new Error('the agent did not start');
  const pid = (await ops.client.request('info', {})).result.pid;
  const s = probeConn.session;
  const rows: (string | number)[][] = [];
  const row = (what: string, m: { cpu: number; rss: number; peak: number; ms: number }, extra = '') =>
    rows.push([what, m.rss.toFixed(1), m.peak.toFixed(1), m.cpu.toFixed(1), `${(m.ms / 1000).toFixed(1)} s`, extra]);

  row('agent idle', await measure(s, pid));
  const subs = watched.map((d) => ops.watch([d], () => undefined));
  await new Promise((r) => setTimeout(r, 1000));
  row('agent, 10 watched folders (200 entries each)', await measure(s, pid));
  for (const w of subs) w.dispose();
  let total = 0;
  row(
    `agent, during a ${ENTRIES.toLocaleString('en')}-entry listing`,
    await measure(s, pid, async () => (total = (await ops.list(big)).total)),
    `${total} entries`,
  );
  row('agent, after the listing', await measure(s, pid));

  // The SFTP fallback's server process for the same listing.
  const sftpConn = await connectDirect();
  const sftp = await openRemote(sftpConn.session, silentLogger, { forceFallback: true });
  await sftp.list(`${big}/..`, { limit: 1 });
  const sftpPid = Number((await sh(s, 'pgrep -n -u "$(id -u)" sftp-server || true')).trim());
  if (sftpPid > 0) {
    row('sftp-server, during the same listing', await measure(s, sftpPid, () => sftp.list(big)));
  }
  sftp.dispose();
  sftpConn.close();

  // Time to exit after the connection dies under a busy agent (a content search running).
  const victim = await connectDirect();
  const vops = await openRemote(victim.session, silentLogger);
  if (!(vops instanceof AgentOps)) throw new Error('the agent did not start');
  const vpid = (await vops.client.request('info', {})).result.pid;
  vops.search(big, { contentPattern: 'never' }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  victim.destroy();
  while ((await probe(s, vpid)) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 100));
  const exitMs = Date.now() - t0;

  ops.dispose();
  conn.close();
  probeConn.close();
  console.log(table(['process / phase', 'RSS MiB', 'peak RSS MiB', 'CPU %', 'window', 'note'], rows));
  console.log(`\nagent exit after its SSH connection was killed (search running): ${(exitMs / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
