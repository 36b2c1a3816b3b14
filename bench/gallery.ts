/**
 * Gallery benchmark: a folder of 1,000 images on the sandbox host (made once, remotely), opened
 * as the gallery does it (remote thumbnails, 256 px, on-screen first) versus fetching the
 * full images. Measures time to the first 50 images and bytes on the wire (counted by the
 * proxy, so SSH framing is included), at 0 and 30 ms RTT.
 *
 *   node --import tsx bench/gallery.ts [--rtt 0,30] [--first 50] [--all] [--ops agent|sftp] [--mbps 100]
 *
 * The delay comes from bench/latency-proxy.ts when it exists (one-way delay each way), else
 * from the small forwarder below, which also counts the bytes in front of it. Results:
 * printed, and bench/results/gallery.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, repoRoot, sandbox } from '../test/support/sandbox';
import { openRemote } from '../src/core/remote/openRemote';
import { silentLogger } from '../src/core/log';
import { PreviewCache } from '../src/core/preview/cache';
import { ThumbnailService, type ThumbOutcome } from '../src/core/preview/thumbnails';
import type { RemoteOps } from '../src/core/remote/types';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const RTTS = opt('rtt', '0,30').split(',').map(Number);
const FIRST = Number(opt('first', '50'));
const ALL = args.includes('--all');
const KIND = opt('ops', 'agent');
/** Link bandwidth in Mbit/s (0: unlimited, as on loopback). */
const MBPS = Number(opt('mbps', '0'));
const COUNT = 1000;
const THUMB = 256;
const DIR = 'bench-gallery-1000-v2';

interface Proxy {
  port: number;
  /** Bytes from the server to the client, and the other way. */
  down: number;
  up: number;
  close(): Promise<void>;
}

interface Forwarder {
  port: number;
  close(): Promise<void>;
}

/** Plain TCP forwarder to `targetPort`; `onChunk(d, n)` sees every chunk (d: 'up' | 'down') and may delay it. */
function forwarder(targetPort: number, oneWayMs: number, onChunk: (dir: 'up' | 'down', n: number) => void, bytesPerMs = 0): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const pipe = (from: net.Socket, to: net.Socket, dir: 'up' | 'down') => {
    let chain = Promise.resolve();
    let linkFreeAt = 0; // bandwidth: a chunk leaves once the previous ones have been "sent"
    from.on('data', (d: Buffer) => {
      onChunk(dir, d.length);
      if (oneWayMs === 0 && bytesPerMs === 0) {
        to.write(d);
        return;
      }
      const start = Math.max(Date.now(), linkFreeAt);
      linkFreeAt = bytesPerMs > 0 ? start + d.length / bytesPerMs : start;
      const due = linkFreeAt + oneWayMs;
      chain = chain.then(() => new Promise<void>((r) => setTimeout(() => (to.writable && to.write(d), r()), Math.max(0, due - Date.now()))));
    });
    from.on('end', () => void chain.then(() => to.end()));
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

interface LatencyProxyLike {
  start(): Promise<number>;
  close(): Promise<void>;
}

/**
 * client → byte counter → delay (bench/latency-proxy.ts when present, else a built-in one) → sshd.
 * The module is found at run time so this file builds without it.
 */
async function delayProxy(targetPort: number, oneWayMs: number): Promise<Proxy & { via: string }> {
  let delay: Forwarder;
  let via = 'built-in delay';
  const modPath = './latency-proxy';
  try {
    const mod = (await import(modPath)) as { LatencyProxy: new (o: { targetPort: number; delayMs: number }) => LatencyProxyLike };
    const lp = new mod.LatencyProxy({ targetPort, delayMs: oneWayMs });
    delay = { port: await lp.start(), close: () => lp.close() };
    via = 'bench/latency-proxy.ts';
  } catch {
    delay = await forwarder(targetPort, oneWayMs, () => undefined);
  }
  const stats = { up: 0, down: 0 };
  const counter = await forwarder(delay.port, 0, (dir, n) => (stats[dir] += n), MBPS > 0 ? (MBPS * 1e6) / 8 / 1000 : 0);
  return {
    port: counter.port,
    via,
    get down() {
      return stats.down;
    },
    get up() {
      return stats.up;
    },
    close: async () => {
      await counter.close();
      await delay.close();
    },
  };
}

async function run(ops: RemoteOps, argv: string[]): Promise<string> {
  const r = await ops.run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** 1,000 distinct 1280x960 JPEGs with grain (sizes like camera or render output), made once by the remote's ffmpeg. */
async function ensureImages(ops: RemoteOps): Promise<string> {
  const home = await ops.home();
  const dir = `${home}/${DIR}`;
  const [done] = await ops.stat([`${dir}/.complete`]);
  if (!done) {
    console.log(`creating ${COUNT} images in ${dir} (once)…`);
    await run(ops, ['sh', '-c', `rm -rf "$1" "$HOME/bench-gallery-1000" && mkdir -p "$1" && cd "$1" && ffmpeg -v error -f lavfi -i testsrc2=size=1280x960:rate=25 -vf noise=alls=12:allf=t -frames:v ${COUNT} -q:v 3 'img_%04d.jpg' && touch .complete`, 'sh', dir]);
  }
  return dir;
}

interface Row {
  rttMs: number;
  mode: 'thumbnails' | 'full images';
  images: number;
  ms: number;
  wireBytes: number;
  payloadBytes: number;
}

let proxyVia = '';

async function measure(rttMs: number, dir: string, n: number): Promise<Row[]> {
  const d = sandbox();
  const proxy = await delayProxy(d.port, rttMs / 2);
  proxyVia = proxy.via;
  const rows: Row[] = [];
  try {
    // Thumbnails, as the gallery: list, then ask for the first n (on screen first).
    {
      const conn = await connectDirect({ port: proxy.port });
      const ops = await openRemote(conn.session, silentLogger, { forceFallback: KIND === 'sftp' });
      await ops.home(); // session and agent warm before timing
      const cacheDir = await mkdtemp(join(tmpdir(), 'bench-gallery-'));
      const cache = await PreviewCache.open(cacheDir, { maxBytes: 1e9 });
      const before = proxy.down + proxy.up;
      const t0 = performance.now();
      const { entries } = await ops.list(dir, { hidden: false, limit: COUNT });
      const targets = entries.slice(0, n).map((e) => ({ path: e.path, size: e.size, mtimeMs: e.mtimeMs }));
      const svc = new ThumbnailService({ host: 'bench', getOps: async () => ops, cache, size: THUMB });
      const got: ThumbOutcome[] = [];
      await new Promise<void>((resolve) => {
        svc.onResult((r) => {
          got.push(...r);
          if (got.length >= targets.length) resolve();
        });
        svc.want(targets);
      });
      const ms = performance.now() - t0;
      if (!got.every((g) => g.ok)) throw new Error(`thumbnail failures: ${JSON.stringify(got.filter((g) => !g.ok).slice(0, 2))}`);
      rows.push({ rttMs, mode: 'thumbnails', images: n, ms, wireBytes: proxy.down + proxy.up - before, payloadBytes: svc.bytesTransferred });
      svc.dispose();
      ops.dispose();
      conn.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
    // Full images: list, then read the first n originals, 4 at a time.
    {
      const conn = await connectDirect({ port: proxy.port });
      const ops = await openRemote(conn.session, silentLogger, { forceFallback: KIND === 'sftp' });
      await ops.home();
      const before = proxy.down + proxy.up;
      const t0 = performance.now();
      const { entries } = await ops.list(dir, { hidden: false, limit: COUNT });
      const paths = entries.slice(0, n).map((e) => e.path);
      let payload = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < paths.length) {
            const data = await ops.readFile(paths[next++]);
            payload += data.length;
          }
        }),
      );
      const ms = performance.now() - t0;
      rows.push({ rttMs, mode: 'full images', images: n, ms, wireBytes: proxy.down + proxy.up - before, payloadBytes: payload });
      ops.dispose();
      conn.close();
    }
  } finally {
    await proxy.close();
  }
  return rows;
}

async function main(): Promise<void> {
  const setup = await connectDirect();
  const setupOps = await openRemote(setup.session, silentLogger);
  const dir = await ensureImages(setupOps);
  setupOps.dispose();
  setup.close();
  const rows: Row[] = [];
  for (const rtt of RTTS) {
    rows.push(...(await measure(rtt, dir, FIRST)));
    if (ALL) rows.push(...(await measure(rtt, dir, COUNT)));
  }
  const mb = (b: number) => (b / 1e6).toFixed(2);
  console.log(`\nGallery of ${COUNT} JPEGs (1280x960, ~370 KB each), thumbnails ${THUMB} px, ${KIND} RemoteOps: time to the first N images and bytes on the wire\n`);
  console.log(`(delay: ${proxyVia}; bandwidth: ${MBPS > 0 ? `${MBPS} Mbit/s` : 'unlimited (loopback)'})`);
  console.log('RTT ms | images | mode         |   time ms | wire MB | payload MB');
  for (const r of rows) console.log(`${String(r.rttMs).padStart(6)} | ${String(r.images).padStart(6)} | ${r.mode.padEnd(12)} | ${r.ms.toFixed(0).padStart(9)} | ${mb(r.wireBytes).padStart(7)} | ${mb(r.payloadBytes).padStart(10)}`);
  console.log('\nfull ÷ thumbnails:');
  for (const rtt of RTTS) {
    for (const n of ALL ? [FIRST, COUNT] : [FIRST]) {
      const t = rows.find((r) => r.rttMs === rtt && r.images === n && r.mode === 'thumbnails');
      const f = rows.find((r) => r.rttMs === rtt && r.images === n && r.mode === 'full images');
      if (t && f) console.log(`  RTT ${rtt} ms, ${n} images: bytes ×${(f.wireBytes / t.wireBytes).toFixed(1)}, time ×${(f.ms / t.ms).toFixed(2)}`);
    }
  }
  const out = join(repoRoot, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `gallery-${KIND}${MBPS ? `-${MBPS}mbps` : ''}.json`), JSON.stringify({ date: new Date().toISOString(), ops: KIND, mbps: MBPS, proxy: proxyVia, rows }, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
