/** Shared plumbing of bench/listing.ts and bench/transfer.ts: proxy process, OpenSSH argv, child runs, tables. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sandbox } from '../test/support/sandbox';

export const repoRoot = join(__dirname, '..');

/** Starts bench/latency-proxy.ts in its own process (so its CPU use does not slow the measured one). */
export async function startProxy(delayMs: number): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'latency-proxy.ts'), '--delay', String(delayMs), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: repoRoot,
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`proxy exited (${code})`)));
  });
  return { port, stop: () => child.kill() };
}

/** Options for OpenSSH's ssh/scp/sftp against the sandbox, host key checked (via the proxy port too). */
export function opensshOptions(): string[] {
  const d = sandbox();
  return [
    '-i',
    d.key,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${d.knownHosts}`,
    '-o',
    `HostKeyAlias=[${d.host}]:${d.port}`,
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ];
}

/** Runs a command, returns wall time (ms) and the peak RSS of the child (KiB, via GNU time when present). */
export function timed(argv: string[], input?: string): { ms: number; rssKiB?: number; code: number | null; stderr: string } {
  const haveTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  const full = haveTime ? ['/usr/bin/time', '-f', '@@RSS %M', ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { input, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const stderr = r.stderr?.toString() ?? '';
  const m = /@@RSS (\d+)/.exec(stderr);
  return { ms, rssKiB: m ? Number(m[1]) : undefined, code: r.status, stderr: stderr.replace(/@@RSS \d+\n?/, '') };
}

/** Runs this benchmark file again in a fresh Node process for one measurement; it prints one JSON line. */
export function runChild<T>(file: string, args: string[]): T {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, '--child', ...args], { cwd: repoRoot, maxBuffer: 1 << 26 });
  const out = r.stdout.toString();
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`child ${args.join(' ')} failed (${r.status}): ${r.stderr.toString().slice(-2000)}`);
  return JSON.parse(line) as T;
}

export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
