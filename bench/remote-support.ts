/** Shared plumbing of bench/listing.ts, bench/transfer.ts and bench/transport.ts: proxy process, fixtures, OpenSSH argv, child runs, tables. */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildSync } from 'esbuild';
import type { Session } from '../src/core/ssh/session';
import { connectDirect, sandbox } from '../test/support/sandbox';

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

const bundles = new Map<string, string>();

/**
 * The benchmark file bundled by esbuild like the extension (dist/bench/<name>.js): a child run
 * from it carries what the extension host carries, not tsx's loader (~35 MiB of peak RSS).
 */
function bundled(file: string): string {
  let out = bundles.get(file);
  if (!out) {
    out = join(repoRoot, 'dist', 'bench', basename(file).replace(/\.ts$/, '.js'));
    buildSync({ entryPoints: [file], outfile: out, bundle: true, platform: 'node', format: 'cjs', target: 'node18', external: ['vscode', 'cpu-features', '*.node'], loader: { '.py': 'text' }, logLevel: 'warning' });
    bundles.set(file, out);
  }
  return out;
}

/**
 * Runs this benchmark file again in a fresh Node process for one measurement; it prints one JSON
 * line. `bundled`: run the file's esbuild bundle (the extension's footprint) instead of tsx.
 */
export function runChild<T>(file: string, args: string[], opts: { bundled?: boolean } = {}): T {
  const argv = opts.bundled ? [bundled(file)] : ['--import', 'tsx', file];
  const r = spawnSync(process.execPath, [...argv, '--child', ...args], { cwd: repoRoot, maxBuffer: 1 << 26 });
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

/** Creates ~/bench-cache/dir<N> once: 90% `.dat` files, 9% `.tmp` files, 1% folders; returns its absolute path. */
export async function ensureListingDir(n: number): Promise<string> {
  const { session, close } = await connectDirect();
  try {
    const script = [
      'import os, sys',
      'd, n = sys.argv[1], int(sys.argv[2])',
      'mark = d + ".complete"',
      'if not os.path.exists(mark):',
      '    os.makedirs(d, exist_ok=True)',
      '    for i in range(n):',
      '        if i % 100 == 0: os.makedirs("%s/d%06d" % (d, i), exist_ok=True)',
      '        else: open("%s/f%06d.%s" % (d, i, "tmp" if i % 11 == 0 else "dat"), "w").close()',
      '    open(mark, "w").close()',
      'print(os.path.abspath(d))',
    ].join('\n');
    const r = await session.exec(['sh', '-c', 'cd && mkdir -p bench-cache && exec python3 -c "$0" "bench-cache/dir$1" "$1"', script, String(n)]);
    if (r.code !== 0) throw new Error(r.stderr.toString());
    return r.stdout.toString().trim();
  } finally {
    close();
  }
}

/** Where the transfer benches keep their local files. */
export const transferLocalDir = '/tmp/rhpc-bench';

/**
 * The transfer benches' files, made once and kept: <transferLocalDir>/up-<mib>M.bin (random, to
 * upload) and ~/bench-cache/big-<mib>M.bin on the sandbox (random, to download). `cleanup` removes
 * the uploads (`<remote>.up-*`).
 */
export async function transferFiles(session: Session, mib: number): Promise<{ local: string; remote: string; cleanup(): Promise<unknown> }> {
  const bytes = mib << 20;
  mkdirSync(transferLocalDir, { recursive: true });
  const local = join(transferLocalDir, `up-${mib}M.bin`);
  if (!existsSync(local) || statSync(local).size !== bytes) {
    const fd = openSync(local, 'w');
    for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(1 << 20));
    closeSync(fd);
  }
  const made = await session.exec(['sh', '-c', 'cd && mkdir -p bench-cache && f="bench-cache/big-$1M.bin" && { [ "$(stat -c %s "$f" 2>/dev/null)" = "$2" ] || head -c "$2" /dev/urandom > "$f"; } && printf "%s/%s" "$HOME" "$f"', 'sh', String(mib), String(bytes)]);
  if (made.code !== 0) throw new Error(made.stderr.toString());
  const remote = made.stdout.toString();
  return { local, remote, cleanup: () => session.exec(['sh', '-c', 'rm -f -- "$1".up-*', 'sh', remote]) };
}

/** Host aliases of {@link writeBenchSshConfig}: every login fresh, or through the user's own master. */
export const BENCH_FRESH = 'bench-fresh';
export const BENCH_USER = 'bench-user';

/** A temp ssh config for one RTT: the sandbox's hpc-sandbox block, pointed at `port` (the proxy's). */
export function writeBenchSshConfig(dir: string, port: number, ciphers?: string): string {
  const d = sandbox();
  const block = readFileSync(d.sshConfig, 'utf8').split(/^Host /m).find((b) => b.startsWith('hpc-sandbox\n'));
  if (!block) throw new Error(`no Host hpc-sandbox in ${d.sshConfig}`);
  const kept = block
    .split('\n')
    .slice(1)
    .filter((l) => /^\s+[^\s#]/.test(l) && !/^\s*(HostName|Port|ControlMaster|ControlPath|ControlPersist)\b/i.test(l));
  const file = join(dir, `ssh_config-${port}`);
  writeFileSync(
    file,
    [
      `Host ${BENCH_FRESH}`,
      '  ControlMaster no',
      '  ControlPath none',
      `Host ${BENCH_USER}`,
      '  ControlMaster auto',
      `  ControlPath ${join(dir, 'user-%C')}`,
      '  ControlPersist 60',
      `Host ${BENCH_FRESH} ${BENCH_USER}`,
      `  HostName ${d.host}`,
      `  Port ${port}`,
      // known_hosts names the sandbox by its own port; through the proxy the key is the same.
      `  HostKeyAlias [${d.host}]:${d.port}`,
      ...(ciphers ? [`  Ciphers ${ciphers}`] : []),
      ...kept,
      '',
    ].join('\n'),
  );
  return file;
}
