/**
 * 512 MiB download and upload at 0 ms and 30 ms RTT (latency proxy, 15 ms each way):
 *   ours          src/core/remote/transfer.ts (several SFTP channels, pipelined requests)
 *   ssh2 fastGet  ssh2's fastGet/fastPut (one channel, 64 requests in flight) for reference
 *   scp, sftp     OpenSSH 'scp' and 'sftp -b' (their connection set-up subtracted)
 * Each run is a fresh process; peak RSS is that process's.
 *
 *   node --import tsx bench/transfer.ts [--mib 512] [--rtts 0,30] [--channels N (default: the product's)] [--reps 3]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectDirect, sandbox } from '../test/support/sandbox';
import { download, upload } from '../src/core/remote/transfer';
import { opensshOptions, peakRssMiB, runChild, startProxy, table, timed, transferFiles, transferLocalDir as localDir } from './remote-support';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

const METHODS = ['ours', 'ssh2-fast', 'scp', 'sftp'] as const;
type Method = (typeof METHODS)[number];
interface Measure {
  ms: number;
  rssMiB?: number;
}

async function child(method: Method, dir: 'down' | 'up', port: number, remote: string, local: string, channels: number | undefined): Promise<Measure> {
  const d = sandbox();
  const out = dir === 'down' ? join(localDir, `dl-${method}.bin`) : `${remote}.up-${method}`;
  if (method === 'scp' || method === 'sftp') {
    const opts = opensshOptions();
    const base = timed(['sftp', '-q', '-b', '-', '-P', String(port), ...opts, `${d.user}@${d.host}`], 'pwd\n').ms;
    const r =
      method === 'scp'
        ? timed(['scp', '-q', '-P', String(port), ...opts, ...(dir === 'down' ? [`${d.user}@${d.host}:${remote}`, out] : [local, `${d.user}@${d.host}:${out}`])])
        : timed(['sftp', '-q', '-b', '-', '-P', String(port), ...opts, `${d.user}@${d.host}`], dir === 'down' ? `get ${remote} ${out}\n` : `put ${local} ${out}\n`);
    if (r.code !== 0) throw new Error(r.stderr);
    return { ms: r.ms - base, rssMiB: r.rssKiB ? Math.round(r.rssKiB / 1024) : undefined };
  }
  const conn = await connectDirect({ port });
  try {
    const t0 = performance.now();
    if (method === 'ours') {
      if (dir === 'down') await download(conn.session, remote, out, channels ? { channels } : {});
      else await upload(conn.session, local, out, channels ? { channels } : {});
    } else {
      const sftp = await conn.session.sftp();
      await new Promise<void>((resolve, reject) => {
        const cb = (err?: Error | null) => (err ? reject(err) : resolve());
        if (dir === 'down') sftp.fastGet(remote, out, cb);
        else sftp.fastPut(local, out, cb);
      });
    }
    return { ms: performance.now() - t0, rssMiB: peakRssMiB() };
  } finally {
    conn.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [, , , method, dir, port, remote, local, channels] = process.argv;
    console.log(JSON.stringify(await child(method as Method, dir as 'down' | 'up', Number(port), remote, local, Number(channels) || undefined)));
    return;
  }
  const mib = Number(arg('mib', '512'));
  const rtts = arg('rtts', '0,30').split(',').map(Number);
  const channels = arg('channels', '');
  const reps = Number(arg('reps', '3'));
  const methods = arg('methods', METHODS.join(',')).split(',') as Method[];
  const d = sandbox();
  const bytes = mib << 20;
  const conn = await connectDirect();
  const { local, remote, cleanup } = await transferFiles(conn.session, mib);
  const rows: (string | number)[][] = [];
  try {
    for (const rtt of rtts) {
      const proxy = rtt > 0 ? await startProxy(rtt / 2) : undefined;
      const port = proxy?.port ?? d.port;
      try {
        for (const dir of ['down', 'up'] as const) {
          // Rounds interleave the methods so that load from elsewhere hits them alike; best of the rounds.
          const results = new Map<Method, Measure>();
          for (let round = 0; round < reps; round++) {
            for (const method of methods) {
              process.stderr.write(`  ${rtt} ms RTT, ${dir}, ${method}, round ${round + 1}… `);
              const m = runChild<Measure>(__filename, [method, dir, String(port), remote, local, channels]);
              const best = results.get(method);
              if (!best || m.ms < best.ms) results.set(method, m);
              process.stderr.write(`${(m.ms / 1000).toFixed(2)} s\n`);
              rmSync(join(localDir, `dl-${method}.bin`), { force: true });
              await cleanup();
            }
          }
          const bestOpenssh = Math.min(results.get('scp')?.ms ?? Infinity, results.get('sftp')?.ms ?? Infinity);
          for (const [method, m] of results) {
            rows.push([
              rtt,
              dir === 'down' ? 'download' : 'upload',
              method,
              (m.ms / 1000).toFixed(2),
              (bytes / 1e6 / (m.ms / 1000)).toFixed(0),
              Number.isFinite(bestOpenssh) ? `${(bestOpenssh / m.ms).toFixed(2)}×` : '',
              m.rssMiB ?? '',
            ]);
          }
        }
      } finally {
        proxy?.stop();
      }
    }
  } finally {
    await cleanup();
    conn.close();
  }
  console.log(`\n${mib} MiB transfers, best of ${reps} (ours: up to ${channels || 'the default number of'} SFTP channels; "vs OpenSSH" = best of scp/sftp time ÷ this time, >1 is faster):\n`);
  console.log(table(['RTT ms', 'direction', 'method', 's', 'MB/s', 'vs OpenSSH', 'peak RSS MiB'], rows));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
