/**
 * Directory listing: 10,000 and 100,000 entries, with a filter, at 0 ms and 30 ms RTT (latency
 * proxy with 15 ms each way), through:
 *   agent        RemoteOps over the agent (scandir + filter + sort remote, one round trip)
 *   sftp         RemoteOps SFTP fallback (READDIRs pipelined, filter + sort here)
 *   ssh2-readdir ssh2's own sftp.readdir(path) (one READDIR at a time, what ssh2-sftp-client's
 *                list() does) + the same filter and sort
 *   openssh      OpenSSH `sftp -b -` running `ls -l` (its connection set-up subtracted)
 *   ssh-ls       a fresh `ssh host ls -la <dir>` (connection included: what a terminal user waits)
 * Each measurement runs in a fresh Node process started from the file's esbuild bundle (as the
 * extension runs, without tsx's loader), so the peak RSS column is that method's own.
 *
 * Find in a huge folder (part "find", the largest size): time to the first filtered result of a
 * name query (first 200 matches, sorted, counted) through the agent and the SFTP fallback —
 * cold (the folder read afresh) and while typing (the listing on screen still kept) — side by side with `ssh host ls <dir> | grep -F <text>` (a fresh OpenSSH connection,
 * as typed in a terminal; its set-up time shown apart).
 *
 * Part "million" (not run by default): first pages of a 1,000,000-entry folder through the agent, Go to Entry,
 * the client's and the agent's peak RSS; then the same sorted by modified time (newest first) in an
 * agent of its own, beside a fresh `ssh host ls -lt <dir> | head -n 200`.
 *
 *   node --import tsx bench/listing.ts [--sizes 10000,100000] [--rtts 0,30] [--reps 3] [--parts list,find,million]
 */
import { connectDirect, sandbox } from '../test/support/sandbox';
import { openRemote } from '../src/core/remote/openRemote';
import type { AgentOps } from '../src/core/remote/agentOps';
import { compileFilter } from '../src/core/remote/filters';
import { sortEntries, isDirLike } from '../src/core/remote/common';
import { typeFromMode } from '../src/core/remote/sftpOps';
import { silentLogger } from '../src/core/log';
import type { PathFilter, RemoteEntry } from '../src/core/remote/types';
import type { FileEntryWithStats, Stats } from 'ssh2';
import { ensureListingDir as ensureDir, median, opensshOptions, peakRssMiB, runChild, startProxy, table, timed } from './remote-support';
import { commandLine } from '../src/core/ssh/quote';
import { spawnSync } from 'node:child_process';

const FILTER: PathFilter = { fileReject: ['\\.tmp$'] };
const METHODS = ['agent', 'sftp', 'ssh2-readdir', 'openssh', 'ssh-ls'] as const;
const FIND_METHODS = ['find-agent', 'find-sftp', 'find-ssh-grep'] as const;
type Method = (typeof METHODS)[number] | (typeof FIND_METHODS)[number];
/** The name query of part "find": 10 of the 100,000 names (f012340 … f012349, some .tmp). */
const QUERY = '01234';

interface Measure {
  ms: number[];
  firstPageMs?: number[];
  /** The first page in natural order (what the explorer asks by default). */
  naturalPageMs?: number[];
  nextPageMs?: number[];
  returned: number;
  rssMiB?: number;
  /** Agent: the peak RSS after the page requests, before any full listing. */
  pageRssMiB?: number;
}

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

interface FindMeasure {
  /** Time to the first result, the folder read afresh (ms, each rep). */
  coldMs: number[];
  /** The same query while the folder's listing is kept (the folder on screen, typing on). */
  warmMs?: number[];
  /** OpenSSH connection set-up alone (`ssh host true`), for find-ssh-grep. */
  setupMs?: number[];
  matches: number;
}

async function findChild(method: Method, dir: string, port: number, reps: number): Promise<FindMeasure> {
  const d = sandbox();
  if (method === 'find-ssh-grep') {
    const ssh = ['ssh', '-p', String(port), ...opensshOptions(), `${d.user}@${d.host}`];
    const setupMs: number[] = [];
    const coldMs: number[] = [];
    let matches = 0;
    for (let i = 0; i < reps; i++) {
      setupMs.push(timed([...ssh, 'true']).ms);
      // What a user types: the listing comes over, grep runs here.
      const r = timed(['bash', '-c', '"${@:2}" | grep -F -c -- "$1"', 'bash', QUERY, ...ssh, commandLine(['ls', '--', dir])]);
      if (r.code !== 0) throw new Error(r.stderr);
      coldMs.push(r.ms);
    }
    const out = spawnSync('bash', ['-c', '"${@:2}" | grep -F -c -- "$1"', 'bash', QUERY, ...ssh, commandLine(['ls', '--', dir])]);
    matches = Number(out.stdout.toString().trim());
    return { coldMs, setupMs, matches };
  }
  const conn = await connectDirect({ port });
  try {
    const ops = await openRemote(conn.session, silentLogger, { forceFallback: method === 'find-sftp' });
    if (ops.kind !== (method === 'find-sftp' ? 'sftp' : 'agent')) throw new Error(`wanted ${method}, got ${ops.kind}`);
    await ops.list(dir, { limit: 1 }); // warm-up (agent start, server caches)
    const query = { name: QUERY, natural: true, limit: 200 };
    const coldMs: number[] = [];
    const warmMs: number[] = [];
    let matches = 0;
    // Cold first: a new folder mtime empties the agent's cache; the fallback keeps no listing yet.
    for (let i = 0; i < reps; i++) {
      await conn.session.exec(['touch', '--', dir]);
      const t0 = performance.now();
      matches = (await ops.list(dir, query)).total;
      coldMs.push(performance.now() - t0);
    }
    await ops.list(dir, { natural: true, limit: 200 }); // the folder on screen: its sorted listing kept
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const w = await ops.list(dir, query);
      warmMs.push(performance.now() - t0);
      if (w.total !== matches) throw new Error('warm and cold disagree');
    }
    ops.dispose();
    return { coldMs, ...(warmMs.length ? { warmMs } : {}), matches };
  } finally {
    conn.close();
  }
}

async function child(method: Method, dir: string, port: number, reps: number): Promise<Measure> {
  const d = sandbox();
  if (method === 'ssh-ls') {
    const ssh = ['ssh', '-p', String(port), ...opensshOptions(), `${d.user}@${d.host}`, commandLine(['ls', '-la', '--', dir])];
    const ms: number[] = [];
    let rss: number | undefined;
    for (let i = 0; i < reps; i++) {
      const r = timed(ssh);
      if (r.code !== 0) throw new Error(r.stderr);
      ms.push(r.ms);
      rss = r.rssKiB !== undefined ? Math.round(r.rssKiB / 1024) : undefined;
    }
    return { ms, returned: 0, rssMiB: rss };
  }
  if (method === 'openssh') {
    const ssh = ['sftp', '-q', '-b', '-', '-P', String(port), ...opensshOptions(), `${d.user}@${d.host}`];
    const base: number[] = [];
    const ms: number[] = [];
    let rss: number | undefined;
    for (let i = 0; i < reps; i++) {
      base.push(timed(ssh, 'pwd\n').ms);
      const r = timed(ssh, `ls -l ${dir}\n`);
      if (r.code !== 0) throw new Error(r.stderr);
      ms.push(r.ms);
      rss = r.rssKiB !== undefined ? Math.round(r.rssKiB / 1024) : undefined;
      if (r.ms > 20_000) break;
    }
    const setup = median(base);
    return { ms: ms.map((m) => Math.max(0, m - setup)), returned: 0, rssMiB: rss };
  }
  const conn = await connectDirect({ port });
  try {
    const ms: number[] = [];
    const firstPageMs: number[] = [];
    const naturalPageMs: number[] = [];
    const nextPageMs: number[] = [];
    let returned = 0;
    let pageRssMiB: number | undefined;
    if (method === 'agent' || method === 'sftp') {
      const ops = await openRemote(conn.session, silentLogger, { forceFallback: method === 'sftp' });
      if (ops.kind !== method) throw new Error(`wanted ${method}, got ${ops.kind}`);
      await ops.list(dir, { filter: FILTER, limit: 1 }); // warm-up (agent start, server caches)
      // Touching the folder changes its mtime, which empties the agent's short-lived listing cache:
      // every measured listing is a full scan.
      const touch = () => conn.session.exec(['touch', '--', dir]);
      // Pages first (what the explorer asks): their peak RSS is taken before any full listing.
      for (let i = 0; i < (method === 'agent' ? reps : 0); i++) {
        await touch();
        const t1 = performance.now();
        const p = await ops.list(dir, { filter: FILTER, limit: 200 });
        firstPageMs.push(performance.now() - t1);
        if (p.entries.length !== 200) throw new Error('first page wrong');
        returned = p.total;
        const t2 = performance.now();
        await ops.list(dir, { filter: FILTER, offset: 200, limit: 200 });
        nextPageMs.push(performance.now() - t2);
        await touch();
        const tn = performance.now();
        await ops.list(dir, { filter: FILTER, natural: true, limit: 200 });
        naturalPageMs.push(performance.now() - tn);
      }
      pageRssMiB = peakRssMiB();
      for (let i = 0; i < reps; i++) {
        await touch();
        const t0 = performance.now();
        const r = await ops.list(dir, { filter: FILTER });
        ms.push(performance.now() - t0);
        if (method === 'agent' && r.entries.length !== returned) throw new Error('first page total and full listing disagree');
        returned = r.entries.length;
        if (ms[ms.length - 1] > 20_000) break;
      }
      ops.dispose();
    } else {
      const sftp = await conn.session.sftp();
      const filter = compileFilter(FILTER);
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        const raw = await new Promise<FileEntryWithStats[]>((resolve, reject) => sftp.readdir(dir, (err, list) => (err ? reject(err) : resolve(list))));
        const entries: RemoteEntry[] = raw.map((r) => ({
          name: r.filename,
          path: `${dir}/${r.filename}`,
          type: typeFromMode((r.attrs as Stats).mode),
          size: r.attrs.size,
          mtimeMs: r.attrs.mtime * 1000,
          mode: r.attrs.mode & 0o7777,
        }));
        const kept = sortEntries(
          entries.filter((e) => filter.keep(e.path, isDirLike(e))),
          'name',
        );
        ms.push(performance.now() - t0);
        returned = kept.length;
        if (ms[ms.length - 1] > 20_000) break;
      }
    }
    return { ms, firstPageMs: firstPageMs.length ? firstPageMs : undefined, naturalPageMs: naturalPageMs.length ? naturalPageMs : undefined, nextPageMs: nextPageMs.length ? nextPageMs : undefined, returned, rssMiB: peakRssMiB(), ...(method === 'agent' ? { pageRssMiB } : {}) };
  } finally {
    conn.close();
  }
}

interface MillionMeasure {
  firstPageMs: number[];
  naturalPageMs: number[];
  nextPageMs: number[];
  /** Go to Entry: the page holding a name halfway down, natural order (what the explorer asks). */
  locateMs: number[];
  total: number;
  rssMiB: number;
  /** The agent's own peak RSS on the remote (VmHWM). */
  agentRssMiB: number;
}

/** Runs `measure` against a fresh agent (started, and the folder read once); adds both ends' peak RSS. */
async function withAgent<T>(
  dir: string,
  port: number,
  measure: (ops: AgentOps, touch: () => Promise<unknown>) => Promise<T>,
): Promise<T & { rssMiB: number; agentRssMiB: number }> {
  const conn = await connectDirect({ port });
  try {
    const ops = await openRemote(conn.session, silentLogger, {});
    if (ops.kind !== 'agent') throw new Error(`wanted the agent, got ${ops.kind}`);
    await ops.list(dir, { filter: FILTER, limit: 1 });
    const m = await measure(ops as AgentOps, () => conn.session.exec(['touch', '--', dir]));
    const agentRssMiB = await agentPeakRssMiB(conn, ops as AgentOps);
    ops.dispose();
    return { ...m, rssMiB: peakRssMiB(), agentRssMiB };
  } finally {
    conn.close();
  }
}

/** Times one call into `into` (ms); returns its result. */
async function timeInto<T>(into: number[], call: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await call();
  into.push(performance.now() - t);
  return r;
}

/** Part "million": first pages of a 1,000,000-entry folder through the agent, and both ends' memory. */
function millionChild(dir: string, port: number, reps: number): Promise<MillionMeasure> {
  return withAgent(dir, port, async (ops, touch) => {
    const m = { firstPageMs: [] as number[], naturalPageMs: [] as number[], nextPageMs: [] as number[], locateMs: [] as number[], total: 0 };
    for (let i = 0; i < reps; i++) {
      await touch();
      m.total = (await timeInto(m.firstPageMs, () => ops.list(dir, { filter: FILTER, limit: 200 }))).total;
      await timeInto(m.nextPageMs, () => ops.list(dir, { filter: FILTER, offset: 200, limit: 200 }));
      await touch();
      await timeInto(m.naturalPageMs, () => ops.list(dir, { filter: FILTER, natural: true, limit: 200 }));
      await touch();
      const found = await timeInto(m.locateMs, () => ops.list(dir, { filter: FILTER, natural: true, limit: 200, locate: 'f543210.dat' }));
      if (!found.entries.some((e) => e.name === 'f543210.dat')) throw new Error('Go to Entry missed its name');
    }
    return m;
  });
}

interface MillionByTimeMeasure {
  /** The newest 200 (sorted by modified time, newest first), each a fresh scan. */
  firstPageMs: number[];
  nextPageMs: number[];
  /** Go to Entry of a name halfway down, in that order. */
  locateMs: number[];
  /** A fresh `ssh host ls -lt <dir> | head -n 200`: what a terminal user types. */
  sshLsMs: number[];
  rssMiB: number;
  agentRssMiB: number;
}

/** The same folder sorted by modified time, in an agent of its own (its peak RSS is this order's). */
function millionByTimeChild(dir: string, port: number, reps: number): Promise<MillionByTimeMeasure> {
  const d = sandbox();
  const ssh = ['ssh', '-p', String(port), ...opensshOptions(), `${d.user}@${d.host}`];
  return withAgent(dir, port, async (ops, touch) => {
    const order = { filter: FILTER, sort: 'mtime', descending: true, natural: true, limit: 200 } as const;
    const m = { firstPageMs: [] as number[], nextPageMs: [] as number[], locateMs: [] as number[], sshLsMs: [] as number[] };
    for (let i = 0; i < reps; i++) {
      await touch();
      await timeInto(m.firstPageMs, () => ops.list(dir, order));
      await timeInto(m.nextPageMs, () => ops.list(dir, { ...order, offset: 200 }));
      await touch();
      const found = await timeInto(m.locateMs, () => ops.list(dir, { ...order, locate: 'f543210.dat' }));
      if (!found.entries.some((e) => e.name === 'f543210.dat')) throw new Error('Go to Entry missed its name');
      m.sshLsMs.push(timed(['bash', '-c', '"$@" | head -n 200 >/dev/null', 'bash', ...ssh, commandLine(['ls', '-lt', '--', dir])]).ms);
    }
    return m;
  });
}

/** The agent's own peak RSS on the remote (VmHWM), MiB. */
async function agentPeakRssMiB(conn: Awaited<ReturnType<typeof connectDirect>>, ops: AgentOps): Promise<number> {
  const { pid } = (await ops.client.request('info', {})).result;
  const status = await conn.session.exec(['cat', `/proc/${pid}/status`]);
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status.stdout.toString())?.[1] ?? 0) / 1024);
}

async function millionPart(rtts: number[], reps: number): Promise<void> {
  const n = 1_000_000;
  process.stderr.write(`preparing a ${n}-entry folder (once: a few minutes)… `);
  const dir = await ensureDir(n);
  process.stderr.write(`${dir}\n`);
  const rows: (string | number)[][] = [];
  const byTime: (string | number)[][] = [];
  for (const rtt of rtts) {
    const proxy = rtt > 0 ? await startProxy(rtt / 2) : undefined;
    const port = String(proxy?.port ?? sandbox().port);
    try {
      process.stderr.write(`  ${n} entries, ${rtt} ms RTT, agent pages… `);
      const m = runChild<MillionMeasure>(__filename, ['agent-million', dir, port, String(reps)], { bundled: true });
      process.stderr.write(`${median(m.firstPageMs).toFixed(0)} ms\n`);
      rows.push([n, rtt, median(m.firstPageMs).toFixed(0), median(m.naturalPageMs).toFixed(0), median(m.nextPageMs).toFixed(0), median(m.locateMs).toFixed(0), m.total, m.rssMiB, m.agentRssMiB]);
      process.stderr.write(`  ${n} entries, ${rtt} ms RTT, newest first… `);
      const t = runChild<MillionByTimeMeasure>(__filename, ['agent-million-time', dir, port, String(reps)], { bundled: true });
      process.stderr.write(`${median(t.firstPageMs).toFixed(0)} ms\n`);
      const f = (ms: number[]) => median(ms).toFixed(0);
      byTime.push([n, rtt, f(t.firstPageMs), f(t.nextPageMs), f(t.locateMs), f(t.sshLsMs), t.rssMiB, t.agentRssMiB]);
    } finally {
      proxy?.stop();
    }
  }
  console.log(`\nA 1,000,000-entry folder through the agent: first page (200, filtered, sorted, with total; each a fresh scan), median of ${reps}:\n`);
  console.log(table(['entries', 'RTT ms', 'first page ms', 'natural first page ms', 'next page ms', 'Go to Entry ms', 'total', 'client peak RSS MiB', 'agent peak RSS MiB'], rows));
  console.log(`\nThe same folder sorted by modified time, newest first (every entry stat'ed; an agent of its own), beside a fresh \`ssh host ls -lt <dir> | head -n 200\`, median of ${reps}:\n`);
  console.log(table(['entries', 'RTT ms', 'first page ms', 'next page ms', 'Go to Entry ms', 'ssh ls -lt | head ms', 'client peak RSS MiB', 'agent peak RSS MiB'], byTime));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [, , , method, dir, port, reps] = process.argv;
    if (method === 'agent-million' || method === 'agent-million-time') {
      const run = method === 'agent-million' ? millionChild : millionByTimeChild;
      console.log(JSON.stringify(await run(dir, Number(port), Number(reps))));
      return;
    }
    const run = method.startsWith('find-') ? findChild : child;
    const m = await run(method as Method, dir, Number(port), Number(reps));
    console.log(JSON.stringify(m));
    return;
  }
  const sizes = arg('sizes', '10000,100000').split(',').map(Number);
  const rtts = arg('rtts', '0,30').split(',').map(Number);
  const reps = Number(arg('reps', '3'));
  const methods = arg('methods', METHODS.join(',')).split(',') as Method[];
  const parts = arg('parts', 'list,find').split(',');
  const d = sandbox();
  const rows: (string | number)[][] = [];
  const firstPages: (string | number)[][] = [];
  for (const n of parts.includes('list') ? sizes : []) {
    process.stderr.write(`preparing a ${n}-entry folder… `);
    const dir = await ensureDir(n);
    process.stderr.write(`${dir}\n`);
    for (const rtt of rtts) {
      const proxy = rtt > 0 ? await startProxy(rtt / 2) : undefined;
      const port = proxy?.port ?? d.port;
      try {
        let agentMs: number | undefined;
        for (const method of methods) {
          process.stderr.write(`  ${n} entries, ${rtt} ms RTT, ${method}… `);
          const m = runChild<Measure>(__filename, [method, dir, String(port), String(reps)], { bundled: true });
          const med = median(m.ms);
          if (method === 'agent') agentMs = med;
          process.stderr.write(`${med.toFixed(0)} ms\n`);
          rows.push([
            n,
            rtt,
            method,
            med.toFixed(0),
            agentMs ? `${(med / agentMs).toFixed(1)}×` : '',
            method === 'openssh' || method === 'ssh-ls' ? 'all' : m.returned,
            m.rssMiB ?? '',
          ]);
          if (m.firstPageMs && m.nextPageMs) firstPages.push([n, rtt, median(m.firstPageMs).toFixed(0), m.naturalPageMs ? median(m.naturalPageMs).toFixed(0) : '', median(m.nextPageMs).toFixed(0), med.toFixed(0), m.pageRssMiB ?? '', m.rssMiB ?? '']);
        }
      } finally {
        proxy?.stop();
      }
    }
  }
  if (parts.includes('list')) {
    console.log(`\nListing with filter ${JSON.stringify(FILTER)} (median of ${reps}; time relative to the agent):\n`);
    console.log(table(['entries', 'RTT ms', 'method', 'ms', 'vs agent', 'returned', 'peak RSS MiB'], rows));
    console.log('\nAgent: first page (200 entries, sorted, filtered, with total; plain and natural order, each a fresh scan), the next page, and the full listing:\n');
    console.log(table(['entries', 'RTT ms', 'first page ms', 'natural first page ms', 'next page ms', 'full list ms', 'peak RSS MiB, pages only', 'then full'], firstPages));
  }
  if (parts.includes('find')) await findPart(Math.max(...sizes), rtts, reps);
  if (parts.includes('million')) await millionPart(rtts, reps);
}

/** Part "find": time to the first filtered result in the biggest folder, per RTT and method. */
async function findPart(n: number, rtts: number[], reps: number): Promise<void> {
  const dir = await ensureDir(n);
  const rows: (string | number)[][] = [];
  for (const rtt of rtts) {
    const proxy = rtt > 0 ? await startProxy(rtt / 2) : undefined;
    try {
      for (const method of FIND_METHODS) {
        process.stderr.write(`  find "${QUERY}" in ${n} entries, ${rtt} ms RTT, ${method}… `);
        const m = runChild<FindMeasure>(__filename, [method, dir, String(proxy?.port ?? sandbox().port), String(reps)], { bundled: true });
        process.stderr.write(`${median(m.coldMs).toFixed(0)} ms\n`);
        const label = method === 'find-agent' ? 'agent (folder read afresh)' : method === 'find-sftp' ? 'SFTP fallback (folder read afresh)' : '`ssh host ls | grep`';
        rows.push([n, rtt, label, median(m.coldMs).toFixed(0), m.setupMs ? `(${median(m.setupMs).toFixed(0)} of it connecting)` : '', m.matches]);
        if (m.warmMs) rows.push([n, rtt, `${method === 'find-agent' ? 'agent' : 'SFTP fallback'} (while typing: listing kept)`, median(m.warmMs).toFixed(0), '', m.matches]);
      }
    } finally {
      proxy?.stop();
    }
  }
  console.log(`\nFind in Folder: time to the first filtered result for "${QUERY}" (first 200 matches, sorted, counted; median of ${reps}):\n`);
  console.log(table(['entries', 'RTT ms', 'method', 'ms', 'note', 'matches'], rows));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
