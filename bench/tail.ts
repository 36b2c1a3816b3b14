/**
 * Live tail benchmark: a remote writer appends a timestamped line about every 0.2 s; RemoteOps.follow
 * (the agent pushing appended bytes, and the SFTP fallback polling stat + read) delivers them.
 * Reports write-to-delivery latency (same machine, same clock), bytes delivered vs appended, and
 * whether every line arrived once and in order — at 0 and 30 ms emulated RTT.
 *
 *   node --import tsx bench/tail.ts [--rtt 0,30] [--lines 50] [--period 0.21]
 */
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../src/core/log';
import { openRemote } from '../src/core/remote/openRemote';
import { connectDirect } from '../test/support/sandbox';
import { median, startProxy, table } from './remote-support';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] as string) : def;
};
const RTTS = opt('rtt', '0,30').split(',').map(Number);
const LINES = Number(opt('lines', '50'));
// Not exactly the followers' 0.2 s poll period, so the write phase sweeps across it instead of
// aliasing to one fixed offset (which would report a constant ~0 or ~200 ms).
const PERIOD_S = Number(opt('period', '0.21'));

const WRITER = `
import sys, time
path, n, period = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
with open(path, 'a', buffering=1) as f:
    for i in range(n):
        f.write('%d %.6f %s\\n' % (i, time.time(), 'x' * 60))
        time.sleep(period)
`;

interface Row {
  rtt: number;
  ops: string;
  p50: number;
  p95: number;
  max: number;
  appended: number;
  delivered: number;
  exact: boolean;
}

async function measure(rtt: number, kind: 'agent' | 'sftp'): Promise<Row> {
  const proxy = rtt > 0 ? await startProxy(rtt / 2) : undefined;
  const follower = await connectDirect(proxy ? { host: '127.0.0.1', port: proxy.port } : {});
  const writer = await connectDirect();
  const ops = await openRemote(follower.session, silentLogger, { forceFallback: kind === 'sftp' });
  const path = `/tmp/rhpc-tail-${randomBytes(4).toString('hex')}.log`;
  const latencies: number[] = [];
  const seen: number[] = [];
  let delivered = 0;
  let partial = '';
  const sub = ops.follow(path, {
    onData(chunk) {
      const now = Date.now() / 1000;
      delivered += chunk.length;
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const [i, ts] = line.split(' ');
        seen.push(Number(i));
        latencies.push((now - Number(ts)) * 1000);
      }
    },
  });
  try {
    const w = await writer.session.exec(['python3', '-c', WRITER, path, String(LINES), String(PERIOD_S)]);
    if (w.code !== 0) throw new Error(`writer failed: ${w.stderr.toString()}`);
    const size = Number((await writer.session.exec(['stat', '-c', '%s', path])).stdout.toString());
    const deadline = Date.now() + 10_000;
    while (delivered < size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    latencies.sort((a, b) => a - b);
    return {
      rtt,
      ops: kind,
      p50: median(latencies),
      p95: latencies[Math.floor(latencies.length * 0.95)] ?? NaN,
      max: latencies[latencies.length - 1] ?? NaN,
      appended: size,
      delivered,
      exact: seen.length === LINES && seen.every((v, i) => v === i),
    };
  } finally {
    sub.dispose();
    await writer.session.exec(['rm', '-f', path]);
    ops.dispose();
    follower.close();
    writer.close();
    proxy?.stop();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const rtt of RTTS) for (const kind of ['agent', 'sftp'] as const) rows.push(await measure(rtt, kind));
  console.log(`Tail: ${LINES} lines, one every ${PERIOD_S} s; latency = delivery time − write time (ms)\n`);
  console.log(
    table(
      ['RTT ms', 'ops', 'p50 ms', 'p95 ms', 'max ms', 'bytes appended', 'bytes delivered', 'once, in order'],
      rows.map((r) => [r.rtt, r.ops, r.p50.toFixed(0), r.p95.toFixed(0), r.max.toFixed(0), r.appended, r.delivered, r.exact ? 'yes' : 'NO']),
    ),
  );
  if (rows.some((r) => !r.exact || r.delivered !== r.appended)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
