/**
 * Port forwarding to a job (issue 11): the product's Forward a Port (PortForwards over the cached
 * session, ssh2 and the OpenSSH transport) against `ssh -L` as a user types it, at 0 and 30 ms RTT
 * (latency proxy, 15 ms each way).
 *   time to first byte  from asking for the forward until the first byte of a reply has come
 *                       back through the local port (product: the session is already connected,
 *                       as in the editor; `ssh -L -N`: its login included, the local port polled)
 *   bytes/s             one connection reading --mib MiB that the server on the node sends
 * The server is a SLURM job on the sandbox (`python3`, one line in: the byte count to send back).
 *
 *   node --import tsx bench/forward.ts [--mib 64] [--rtts 0,30] [--reps 5]
 * Prints a Markdown table; writes bench/results/forward.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, sandbox } from '../test/support/sandbox';
import { sessionRunner } from '../test/support/schedulerRunner';
import { waitUntil } from '../test/support/wait';
import { connectOpenSsh } from '../src/core/ssh/openssh/connector';
import { PortForwards } from '../src/core/compute/portForwards';
import { SlurmScheduler } from '../src/core/scheduler/slurm/slurmScheduler';
import { silentLogger } from '../src/core/log';
import type { Session } from '../src/core/ssh/session';
import { BENCH_FRESH, median, repoRoot, startProxy, writeBenchSshConfig } from './remote-support';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const mib = Number(arg('mib', '64'));
const rtts = arg('rtts', '0,30').split(',').map(Number);
const reps = Number(arg('reps', '5'));

const server = (port: number) => `#!/usr/bin/env python3
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', ${port})); s.listen(16)
chunk = b'x' * 65536
def serve(c):
    n = int(c.makefile().readline())
    while n > 0:
        c.sendall(chunk[:min(n, len(chunk))]); n -= len(chunk)
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

/** Asks for `bytes` through 127.0.0.1:port; resolves at the first byte and at the last. */
function fetchBytes(port: number, bytes: number): Promise<{ firstMs: number; lastMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let got = 0;
    const s = connect(port, '127.0.0.1', () => s.write(`${bytes}\n`));
    s.on('data', (d: Buffer) => {
      if (!first) first = performance.now();
      got += d.length;
    });
    s.once('error', reject);
    s.once('close', () => (got >= bytes ? resolve({ firstMs: first - t0, lastMs: performance.now() - t0 }) : reject(new Error(`got ${got} of ${bytes} bytes`))));
  });
}

/** A free local port (for `ssh -L`). */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

interface Sample {
  firstByteMs: number[];
  mbps: number[];
}

async function product(session: Session, node: string, port: number): Promise<Sample> {
  const out: Sample = { firstByteMs: [], mbps: [] };
  for (let i = 0; i < reps; i++) {
    const forwards = new PortForwards({ acquire: async () => ({ session, release: () => undefined }), log: silentLogger });
    const t0 = performance.now();
    const f = await forwards.open({ host: 'bench', jobId: '0', node, port });
    const r = await fetchBytes(f.localPort, 1);
    out.firstByteMs.push(performance.now() - t0 - (r.lastMs - r.firstMs));
    const big = await fetchBytes(f.localPort, mib << 20);
    out.mbps.push((mib * 1.048576) / ((big.lastMs - big.firstMs) / 1000));
    forwards.dispose();
  }
  return out;
}

async function sshL(config: string, node: string, port: number): Promise<Sample> {
  const out: Sample = { firstByteMs: [], mbps: [] };
  for (let i = 0; i < reps; i++) {
    const local = await freePort();
    const t0 = performance.now();
    const child: ChildProcess = spawn('ssh', ['-F', config, '-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes', '-N', '-L', `127.0.0.1:${local}:${node}:${port}`, BENCH_FRESH], { stdio: 'ignore' });
    try {
      await waitUntil('ssh -L to listen', () => fetchBytes(local, 1).then(() => true), 20_000, 5);
      out.firstByteMs.push(performance.now() - t0);
      const big = await fetchBytes(local, mib << 20);
      out.mbps.push((mib * 1.048576) / ((big.lastMs - big.firstMs) / 1000));
    } finally {
      child.kill();
    }
  }
  return out;
}

async function main(): Promise<void> {
  const d = sandbox();
  const base = await connectDirect();
  const sched = new SlurmScheduler(sessionRunner(base.session));
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const { id } = await sched.submit({ scriptText: server(port), name: 'rhpc bench forward', time: '30', cwd: '/tmp' });
  const tmp = mkdtempSync(join(tmpdir(), 'rhpc-bf-'));
  const rows: { rtt: number; figure: string; ssh2: number; openssh: number; sshL: number }[] = [];
  try {
    const job = await waitUntil('the server job to run', async () => (await sched.list(d.user)).find((j) => j.id === id && j.state === 'RUNNING'), 60_000);
    const [node] = sched.expandNodeList(job.nodes);
    if (!node) throw new Error('no node');
    for (const rtt of rtts) {
      const proxy = rtt > 0 ? await startProxy(rtt / 2) : undefined;
      const sshPort = proxy?.port ?? d.port;
      const config = writeBenchSshConfig(tmp, sshPort);
      try {
        const ssh2 = await connectDirect({ port: sshPort });
        const runtimeDir = mkdtempSync(join(tmp, 'rt-'));
        const openssh = await connectOpenSsh(BENCH_FRESH, { signal: new AbortController().signal }, { prompter: { password: async () => undefined, passphrase: async () => undefined, keyboardInteractive: async () => undefined, confirmHostKey: async () => false }, configFile: config, runtimeDir, persistSeconds: 60 });
        try {
          // The server answers before anything is measured.
          const probe = new PortForwards({ acquire: async () => ({ session: ssh2.session, release: () => undefined }), log: silentLogger });
          await waitUntil('the server to listen', () => probe.open({ host: 'bench', jobId: '0', node, port }).then(() => true), 20_000);
          probe.dispose();
          const a = await product(ssh2.session, node, port);
          const b = await product(openssh.session, node, port);
          const c = await sshL(config, node, port);
          rows.push({ rtt, figure: 'forward → first byte, ms', ssh2: median(a.firstByteMs), openssh: median(b.firstByteMs), sshL: median(c.firstByteMs) });
          rows.push({ rtt, figure: `${mib} MiB through the forward, MB/s`, ssh2: median(a.mbps), openssh: median(b.mbps), sshL: median(c.mbps) });
        } finally {
          ssh2.close();
          openssh.close();
        }
      } finally {
        proxy?.stop();
      }
    }
  } finally {
    await sched.cancel([id]).catch(() => undefined);
    base.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const fmt = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  console.log(`\nForward a Port (PortForwards over the connected session) vs ssh -L (a fresh login), median of ${reps}:\n`);
  console.log('| figure | RTT | ssh2 | OpenSSH transport | ssh -L |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.figure} | ${r.rtt} ms | ${fmt(r.ssh2)} | ${fmt(r.openssh)} | ${fmt(r.sshL)} |`);
  const out = join(repoRoot, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'forward.json'), JSON.stringify({ date: new Date().toISOString(), mib, reps, rows }, null, 2));
  console.log('\nwritten bench/results/forward.json');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
