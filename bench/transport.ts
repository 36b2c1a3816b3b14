/**
 * The two SSH transports and plain OpenSSH side by side in one run (issue 10), at 0 and 30 ms
 * RTT (latency proxy, 15 ms each way):
 *   ssh2      the built-in transport (ssh2 in this process)
 *   OpenSSH   the OpenSSH transport (src/core/ssh/openssh: a ControlMaster, one `ssh -S` client
 *             process per channel)
 *   ssh/sftp/scp  plain OpenSSH as a terminal user runs it: a fresh login per operation
 * Figures: connect (a fresh login; reusing the user's live ControlMaster, with a prompter that
 * records every question and must see none), exec round trip (`true`), a 100,000-entry listing
 * through RemoteOps (agent and SFTP fallback), download and upload (src/core/remote/transfer.ts).
 * Plain sftp/scp/ssh figures of listing and transfer have their login (`pwd` / `true` over a
 * fresh connection) subtracted, as bench/listing.ts and bench/transfer.ts do.
 *
 * Both OpenSSH sides use one temporary ssh config whose Host blocks copy the sandbox's
 * hpc-sandbox block, pointed at the proxy's port (HostKeyAlias keeps known_hosts matching):
 *   bench-fresh  ControlPath none (every login is fresh)
 *   bench-user   ControlMaster auto, ControlPath <tmp>/user-%C: the user's own master, started
 *                with `ssh -N` before the connect-reuse figures
 * Every measurement runs in a fresh Node process, the transports alternating over --rounds rounds
 * (load from elsewhere hits both alike; medians over the pooled samples). The profile (--profile auto: when an exec on the
 * OpenSSH transport is above 1.2× ssh2 or a reusing connect takes 50 ms or more) takes an exec and
 * a connect apart: process starts, `ssh -G`, the mux client, the prelude.
 *
 *   node --import tsx bench/transport.ts [--mib 512] [--rtts 0,30] [--entries 100000] [--reps 3]
 *     [--connects 6] [--execs 30] [--rounds 3] [--transfer-reps 3] [--channels 4] [--parts connect,exec,list,transfer] [--profile yes|no|auto]
 *     [--ciphers aes128-gcm@openssh.com]
 * --mib sets the transfer size (512 MiB by default; a full run takes ~10 min on this 2-core VM).
 * --ciphers sets Ciphers for every OpenSSH side (transport and plain): OpenSSH prefers
 * chacha20-poly1305, ssh2 picks aes128-gcm where AES-NI is there, which decides the 0 ms transfers.
 * Prints a Markdown table; writes bench/results/transport.json (transport-<cipher>.json with --ciphers).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, sandbox } from '../test/support/sandbox';
import { connectOpenSsh } from '../src/core/ssh/openssh/connector';
import { transportConnector } from '../src/core/ssh/transportConnector';
import { SshConfig } from '../src/core/ssh/sshConfig';
import { nullConfig } from '../src/core/ssh/openssh/binary';
import type { AuthPrompter } from '../src/core/ssh/auth';
import type { Session } from '../src/core/ssh/session';
import { commandLineWith } from '../src/core/ssh/quote';
import { openRemote } from '../src/core/remote/openRemote';
import { download, upload } from '../src/core/remote/transfer';
import { silentLogger } from '../src/core/log';
import { BENCH_FRESH, BENCH_USER, ensureListingDir, median, repoRoot, runChild, startProxy, table, timed, transferFiles, transferLocalDir, writeBenchSshConfig } from './remote-support';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

type Transport = 'ssh2' | 'openssh';
const TRANSPORTS: Transport[] = ['ssh2', 'openssh'];
const FRESH = BENCH_FRESH;
const USER = BENCH_USER;

/** What a child process measures. */
interface Spec {
  part: 'connect' | 'exec' | 'list' | 'down' | 'up' | 'profile';
  transport: Transport;
  /** Where ssh2 connects (the sandbox or the proxy). */
  port: number;
  /** The temporary ssh config (bench-fresh, bench-user) for this RTT. */
  config: string;
  reps: number;
  mode?: 'agent' | 'sftp';
  dir?: string;
  remote?: string;
  local?: string;
  channels?: number;
}

// ---------------------------------------------------------------- child side

/** Records every question; the bench fails if there is one (key login, known host key). */
function recordingPrompter(asked: string[]): AuthPrompter {
  return {
    password: async (host, user) => void asked.push(`password for ${user}@${host}`),
    passphrase: async (key) => void asked.push(`passphrase of ${key}`),
    keyboardInteractive: async (host, _n, _i, prompts) => void asked.push(`keyboard-interactive ${host}: ${prompts.map((p) => p.prompt).join(' / ')}`),
    confirmHostKey: async (q) => (asked.push(`host key of ${q.host}:${q.port}`), false),
  };
}

interface Opened {
  session: Session;
  /** How long the connect itself took (ms). */
  connectMs: number;
  reason?: string;
  /** The control socket the session's channels go through (OpenSSH). */
  controlPath(): string;
  close(): void;
}

/** A session on one transport. OpenSSH: our own master in a fresh private folder (so nothing is reused), or the user's. */
async function open(spec: Spec, asked: string[], alias = FRESH): Promise<Opened> {
  if (spec.transport === 'ssh2') {
    const t0 = performance.now();
    const c = await connectDirect({ port: spec.port });
    return { ...c, connectMs: performance.now() - t0, controlPath: () => 'none' };
  }
  const runtimeDir = mkdtempSync(join(tmpdir(), 'rhpc-bt-rt-'));
  const t0 = performance.now();
  const conn = await connectOpenSsh(alias, { signal: new AbortController().signal }, { prompter: recordingPrompter(asked), configFile: spec.config, runtimeDir, persistSeconds: 60 });
  const connectMs = performance.now() - t0;
  const ours = readdirSync(runtimeDir).find((f) => f.startsWith('cm-'));
  const controlPath = () => (ours ? join(runtimeDir, ours) : userControlPath(spec.config));
  return {
    session: conn.session,
    connectMs,
    reason: conn.transport.reason,
    controlPath,
    close: () => {
      conn.close();
      // Our master ends now (not in the background), so the next measurement does not share the CPU with it.
      if (ours) spawnSync('ssh', ['-F', nullConfig(), '-S', controlPath(), '-O', 'exit', 'x'], { stdio: 'ignore' });
      rmSync(runtimeDir, { recursive: true, force: true });
    },
  };
}

function userControlPath(config: string): string {
  const out = spawnSync('ssh', ['-F', config, '-G', USER]).stdout.toString();
  return /^controlpath (.*)$/m.exec(out)?.[1] ?? 'none';
}

/**
 * A connect the way the extension makes one (src/hosts/hostService.ts): a transportConnector
 * built for the attempt (`ssh -V`, `ssh -G`, a check for the user's master, then the transport,
 * host key checked against the sandbox known_hosts). Returns how long it took.
 */
async function productConnect(spec: Spec, asked: string[], alias: string, transport: 'ssh2' | 'openssh' | 'auto'): Promise<{ ms: number; reason: string }> {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'rhpc-bt-rt-'));
  const sshConfig = await SshConfig.load(spec.config);
  let reason = '';
  const t0 = performance.now();
  const conn = await transportConnector({
    prompter: recordingPrompter(asked),
    agentSocket: null,
    configFile: spec.config,
    runtimeDir,
    persistSeconds: 60,
    resolve: (a) => sshConfig.resolve(a),
    sshConfig,
    settingsHost: () => undefined,
    transportFor: () => transport,
    onChosen: (_a, t) => (reason = `${t.kind}: ${t.reason}`),
  })(alias, { signal: new AbortController().signal, explicit: true });
  const ms = performance.now() - t0;
  conn.close();
  const ours = readdirSync(runtimeDir).find((f) => f.startsWith('cm-'));
  if (ours) spawnSync('ssh', ['-F', nullConfig(), '-S', join(runtimeDir, ours), '-O', 'exit', 'x'], { stdio: 'ignore' });
  rmSync(runtimeDir, { recursive: true, force: true });
  return { ms, reason };
}

async function timeIt(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

async function execTrue(session: Session, argv: readonly string[] = ['true']): Promise<void> {
  const r = await session.exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.toString()}`);
}

/** Runs a local process to its end (spawned the way the OpenSSH transport spawns, async). */
function run(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: 'pipe' });
    c.stdin.end();
    c.stdout.resume();
    c.stderr.resume();
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

async function repeat(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push(await timeIt(f));
  return ms;
}

async function child(spec: Spec): Promise<unknown> {
  const asked: string[] = [];
  const noPrompts = () => {
    if (asked.length) throw new Error(`${spec.transport} asked: ${asked.join('; ')}`);
  };
  if (spec.part === 'connect') {
    // One unmeasured login first: module loading and JIT are not the login's.
    (await open(spec, asked)).close();
    const t = spec.transport;
    const freshMs: number[] = [];
    const productMs: number[] = [];
    for (let i = 0; i < spec.reps; i++) {
      const c = await open(spec, asked);
      freshMs.push(c.connectMs);
      c.close();
      const p = await productConnect(spec, asked, FRESH, t);
      if (!p.reason.startsWith(t)) throw new Error(`asked for ${t}, got ${p.reason}`);
      productMs.push(p.ms);
    }
    const reuseMs: number[] = [];
    const reuseProductMs: number[] = [];
    if (t === 'openssh') {
      for (let i = 0; i < spec.reps; i++) {
        const c = await open(spec, asked, USER);
        try {
          reuseMs.push(c.connectMs);
          if (!c.reason?.startsWith('reusing')) throw new Error(`did not reuse the user's master: ${c.reason}`);
          await execTrue(c.session); // and it works
        } finally {
          c.close();
        }
        // What the extension does with remoteHpc.transport "auto": a live user master picks OpenSSH.
        const p = await productConnect(spec, asked, USER, 'auto');
        if (!p.reason.startsWith('openssh: reusing')) throw new Error(`auto did not reuse the user's master: ${p.reason}`);
        reuseProductMs.push(p.ms);
      }
    }
    noPrompts();
    return { freshMs, productMs, reuseMs, reuseProductMs };
  }
  const c = await open(spec, asked);
  try {
    if (spec.part === 'exec') {
      await repeat(3, () => execTrue(c.session));
      const ms = await repeat(spec.reps, () => execTrue(c.session));
      // As a user acts: one exec, then a pause (the OpenSSH transport's spare client is ready again).
      const spacedMs: number[] = [];
      for (let i = 0; i < spec.reps; i++) {
        await new Promise((r) => setTimeout(r, 100));
        spacedMs.push(await timeIt(() => execTrue(c.session)));
      }
      // What features' commands (scheduler queries, …) take when the agent is up: RemoteOps.run over its one channel.
      const ops = await openRemote(c.session, silentLogger);
      if (ops.kind !== 'agent') throw new Error(`wanted the agent, got ${ops.kind}`);
      const run = async () => {
        const r = await ops.run(['true']);
        if (r.code !== 0) throw new Error(`true exited ${r.code} through the agent`);
      };
      await repeat(3, run);
      const agentMs = await repeat(spec.reps, run);
      ops.dispose();
      return { ms, spacedMs, agentMs };
    }
    if (spec.part === 'list') {
      const dir = spec.dir as string;
      const ops = await openRemote(c.session, silentLogger, { forceFallback: spec.mode === 'sftp' });
      if (ops.kind !== spec.mode) throw new Error(`wanted ${spec.mode}, got ${ops.kind}`);
      await ops.list(dir, { limit: 1 }); // agent start, server caches
      const ms: number[] = [];
      let returned = 0;
      for (let i = 0; i < spec.reps; i++) {
        // A new folder mtime empties the agent's listing cache: every listing is a full scan.
        await c.session.exec(['touch', '--', dir]);
        ms.push(
          await timeIt(async () => {
            returned = (await ops.list(dir)).entries.length;
          }),
        );
      }
      ops.dispose();
      return { ms, returned };
    }
    if (spec.part === 'down' || spec.part === 'up') {
      const remote = spec.remote as string;
      const t0 = performance.now();
      if (spec.part === 'down') await download(c.session, remote, join(transferLocalDir, `dl-${spec.transport}.bin`), { channels: spec.channels });
      else await upload(c.session, spec.local as string, `${remote}.up-${spec.transport}`, { channels: spec.channels });
      return { ms: performance.now() - t0 };
    }
    // profile: the exec round trip on the OpenSSH transport, taken apart.
    const ctl = c.controlPath();
    const ssh2 = await connectDirect({ port: spec.port });
    try {
      const mux = ['ssh', '-F', nullConfig(), '-S', ctl, '-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-o', 'ProxyCommand=false', '-e', 'none'];
      // The prelude OpenSshSession puts before every exec (src/core/ssh/openssh/session.ts PID_PRELUDE).
      const prelude = ['/bin/sh', '-c', 'printf "%s\\n" "$$" >&2; exec "$@"', 'remote-hpc', 'true'];
      const steps: [string, () => Promise<unknown>][] = [
        ['Node spawns a local /bin/true', () => run(['/bin/true'])],
        ['Node spawns `ssh -V` (ssh start alone)', () => run(['ssh', '-V'])],
        ['Node spawns `ssh -G` (the connect resolves the host)', () => run(['ssh', '-F', spec.config, '-G', USER])],
        ['Node spawns `ssh -O check` (the connect looks for a master; ssh start + mux hello)', () => run([...mux, '-O', 'check', 'x'])],
        ['Node spawns `ssh -S ctl -T x true` (a mux channel, no prelude)', () => run([...mux, '-T', 'x', '--', 'true'])],
        ['Node spawns `ssh -S ctl -T x <prelude> true`', () => run([...mux, '-T', 'x', '--', commandLineWith(prelude)])],
        ['OpenSshSession.exec([true]) (the product)', () => execTrue(c.session)],
        ['ssh2 exec(true)', () => execTrue(ssh2.session)],
        ['ssh2 exec(<prelude> true): the prelude on the remote', () => execTrue(ssh2.session, prelude)],
      ];
      const rows: { step: string; ms: number }[] = [];
      for (const [step, f] of steps) {
        await repeat(3, f);
        rows.push({ step, ms: median(await repeat(spec.reps, f)) });
      }
      return { rows };
    } finally {
      ssh2.close();
    }
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------- parent side

interface Row {
  rtt: number;
  figure: string;
  unit: 'ms' | 's';
  /** Warm figures have the ≤ 1.2× goal. */
  warm: boolean;
  ssh2?: number;
  openssh?: number;
  ssh?: number;
  sftp?: number;
  scp?: number;
  /** Another goal than the ratio (connect reusing a master: < 50 ms). */
  goal?: { text: string; met: boolean };
}

function plain(config: string, alias: string, ...rest: string[]): string[] {
  return ['ssh', '-F', config, '-o', 'BatchMode=yes', ...rest, alias];
}

/** Wall time of a local command (ms), failing on a non-zero exit. */
function wall(argv: string[], input?: string): number {
  const r = timed(argv, input);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.ms;
}

function wallMedian(reps: number, argv: string[], input?: string): number {
  return median(Array.from({ length: reps }, () => wall(argv, input)));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    console.log(JSON.stringify(await child(JSON.parse(process.argv[3]) as Spec)));
    return;
  }
  const mib = Number(arg('mib', '512'));
  const rtts = arg('rtts', '0,30').split(',').map(Number);
  const entries = Number(arg('entries', '100000'));
  const reps = Number(arg('reps', '3'));
  const execs = Number(arg('execs', '30'));
  const connects = Number(arg('connects', '6'));
  const rounds = Number(arg('rounds', '3'));
  const transferReps = Number(arg('transfer-reps', '3'));
  const channels = Number(arg('channels', '4'));
  const parts = new Set(arg('parts', 'connect,exec,list,transfer').split(','));
  const profile = arg('profile', 'auto');
  const ciphers = arg('ciphers', '') || undefined;
  const d = sandbox();
  const tmp = mkdtempSync(join(tmpdir(), 'rhpc-bt-'));
  const rows: Row[] = [];
  const profiles: { rtt: number; rows: { step: string; ms: number }[] }[] = [];
  const log = (s: string) => process.stderr.write(s);
  const measure = <T>(spec: Omit<Spec, 'config' | 'port'>, env: { config: string; port: number }): T => {
    log(`  ${spec.part}${spec.mode ? ` ${spec.mode}` : ''} over ${spec.transport}… `);
    const r = runChild<T>(__filename, [JSON.stringify({ ...spec, ...env })]);
    log('done\n');
    return r;
  };
  /** Both transports in alternating rounds, so load from elsewhere hits them alike; the rounds' samples are pooled. */
  const interleaved = <T extends Record<string, unknown>>(spec: Omit<Spec, 'config' | 'port' | 'transport'>, env: { config: string; port: number }): Record<Transport, T> => {
    const out: Partial<Record<Transport, Record<string, unknown>>> = {};
    for (let round = 0; round < rounds; round++) {
      for (const t of TRANSPORTS) {
        const acc = (out[t] ??= {});
        for (const [k, v] of Object.entries(measure<T>({ ...spec, transport: t }, env))) acc[k] = Array.isArray(v) ? [...((acc[k] as unknown[] | undefined) ?? []), ...v] : v;
      }
    }
    return out as Record<Transport, T>;
  };
  const perRound = (n: number) => Math.max(1, Math.ceil(n / rounds));

  let listDir: string | undefined;
  if (parts.has('list')) {
    log(`preparing a ${entries}-entry folder… `);
    listDir = await ensureListingDir(entries);
    log(`${listDir}\n`);
  }
  const setup = await connectDirect();
  const files = parts.has('transfer') ? await transferFiles(setup.session, mib) : undefined;
  mkdirSync(transferLocalDir, { recursive: true });

  try {
    for (const rtt of rtts) {
      const proxy = rtt > 0 ? await startProxy(rtt / 2) : undefined;
      const port = proxy?.port ?? d.port;
      const config = writeBenchSshConfig(tmp, port, ciphers);
      const env = { config, port };
      log(`${rtt} ms RTT (port ${port}, ${config})\n`);
      // The user's own master, as `ssh -N` in a terminal would leave it.
      wall(plain(config, USER, '-o', 'ControlMaster=yes', '-o', `ControlPath=${join(tmp, 'user-%C')}`, '-o', 'ControlPersist=60', '-N'));
      const row = (r: Omit<Row, 'rtt'>) => rows.push({ rtt, ...r });
      let slowReuse = false;
      try {
        if (parts.has('connect')) {
          const c = interleaved<{ freshMs: number[]; productMs: number[]; reuseMs: number[]; reuseProductMs: number[] }>({ part: 'connect', reps: perRound(connects) }, env);
          // Plain: the same master login ours does (`ssh -N` with ControlPersist returns once logged in), then its exit.
          const plainMaster = ['-o', 'ControlMaster=yes', '-o', `ControlPath=${join(tmp, 'plain-%C')}`, '-o', 'ControlPersist=10', '-N'];
          const plainFresh = median(
            Array.from({ length: connects }, () => {
              const ms = wall(plain(config, FRESH, ...plainMaster));
              spawnSync('ssh', ['-F', config, '-o', `ControlPath=${join(tmp, 'plain-%C')}`, '-O', 'exit', FRESH], { stdio: 'ignore' });
              return ms;
            }),
          );
          row({ figure: 'connect, fresh login: the transport (ssh: `ssh -N` master up)', unit: 'ms', warm: false, ssh2: median(c.ssh2.freshMs), openssh: median(c.openssh.freshMs), ssh: plainFresh });
          row({ figure: "connect, fresh login: the extension's path (transportConnector)", unit: 'ms', warm: false, ssh2: median(c.ssh2.productMs), openssh: median(c.openssh.productMs) });
          // A child that saw a question failed, so every figure here had none.
          const goal = (ms: number) => ({ text: '< 50 ms, 0 prompts', met: ms < 50 });
          const reuse = median(c.openssh.reuseMs);
          row({ figure: 'connect reusing the user master: connectOpenSsh (ssh: `ssh host true` over it)', unit: 'ms', warm: false, openssh: reuse, ssh: wallMedian(connects, [...plain(config, USER), 'true']), goal: goal(reuse) });
          slowReuse = reuse >= 50;
          row({ figure: "connect reusing the user master: the extension's path (auto)", unit: 'ms', warm: false, openssh: median(c.openssh.reuseProductMs), goal: goal(median(c.openssh.reuseProductMs)) });
        }
        if (parts.has('exec')) {
          const x = interleaved<{ ms: number[]; spacedMs: number[]; agentMs: number[] }>({ part: 'exec', reps: perRound(execs) }, env);
          const e = { ssh2: median(x.ssh2.ms), openssh: median(x.openssh.ms) };
          row({ figure: 'exec `true` back to back: Session.exec (ssh: a fresh `ssh host true`)', unit: 'ms', warm: true, ...e, ssh: wallMedian(reps, [...plain(config, FRESH), 'true']) });
          row({ figure: 'exec `true` every 100 ms: Session.exec (ssh: `ssh host true` over a master)', unit: 'ms', warm: true, ssh2: median(x.ssh2.spacedMs), openssh: median(x.openssh.spacedMs), ssh: wallMedian(reps, [...plain(config, USER), 'true']) });
          row({ figure: 'exec `true`: RemoteOps.run through the agent (ssh: `ssh host true` over a master)', unit: 'ms', warm: true, ssh2: median(x.ssh2.agentMs), openssh: median(x.openssh.agentMs), ssh: wallMedian(reps, [...plain(config, USER), 'true']) });
          if (profile === 'yes' || (profile === 'auto' && (e.openssh > 1.2 * e.ssh2 || slowReuse))) {
            profiles.push({ rtt, rows: measure<{ rows: { step: string; ms: number }[] }>({ part: 'profile', transport: 'openssh', reps: execs }, env).rows });
          }
        }
        if (listDir) {
          const dir = listDir;
          const login = wallMedian(reps, [...plain(config, FRESH), 'true']);
          const sftpLogin = wallMedian(reps, ['sftp', '-q', '-F', config, '-o', 'BatchMode=yes', '-b', '-', FRESH], 'pwd\n');
          const sshLs = wallMedian(reps, [...plain(config, FRESH), 'ls', '-la', '--', dir]) - login;
          const sftpLs = wallMedian(reps, ['sftp', '-q', '-F', config, '-o', 'BatchMode=yes', '-b', '-', FRESH], `ls -l ${dir}\n`) - sftpLogin;
          for (const mode of ['agent', 'sftp'] as const) {
            const m = interleaved<{ ms: number[]; returned: number }>({ part: 'list', mode, dir, reps: perRound(reps) }, env);
            for (const t of TRANSPORTS) if (m[t].returned !== entries) throw new Error(`${t} ${mode} listed ${m[t].returned} of ${entries}`);
            row({
              figure: `list ${entries.toLocaleString('en')} entries, ${mode === 'agent' ? 'agent' : 'SFTP fallback'} (ssh: \`ls -la\`, sftp: \`ls -l\`)`,
              unit: 'ms',
              warm: true,
              ssh2: median(m.ssh2.ms),
              openssh: median(m.openssh.ms),
              ...(mode === 'agent' ? { ssh: sshLs } : { sftp: sftpLs }),
            });
          }
        }
        if (files) {
          const sftpBatch = ['sftp', '-q', '-F', config, '-o', 'BatchMode=yes', '-b', '-', FRESH];
          const scp = ['scp', '-q', '-F', config, '-o', 'BatchMode=yes'];
          for (const dir of ['down', 'up'] as const) {
            // Rounds interleave the methods so load from elsewhere hits them alike; best of the rounds.
            const best = new Map<string, number>();
            const keep = (k: string, ms: number) => best.set(k, Math.min(ms, best.get(k) ?? Infinity));
            for (let round = 0; round < transferReps; round++) {
              for (const t of TRANSPORTS) {
                keep(t, measure<{ ms: number }>({ part: dir, transport: t, reps: 1, remote: files.remote, local: files.local, channels }, env).ms);
                rmSync(join(transferLocalDir, `dl-${t}.bin`), { force: true });
              }
              const out = dir === 'down' ? join(transferLocalDir, 'dl-plain.bin') : `${files.remote}.up-plain`;
              const base = wall(sftpBatch, 'pwd\n');
              log(`  ${dir} over scp and sftp… `);
              keep('scp', wall([...scp, ...(dir === 'down' ? [`${FRESH}:${files.remote}`, out] : [files.local, `${FRESH}:${out}`])]) - base);
              keep('sftp', wall(sftpBatch, dir === 'down' ? `get ${files.remote} ${out}\n` : `put ${files.local} ${out}\n`) - base);
              log('done\n');
              rmSync(join(transferLocalDir, 'dl-plain.bin'), { force: true });
              await files.cleanup();
            }
            const s = (k: string) => (best.get(k) as number) / 1000;
            row({ figure: `${dir === 'down' ? 'download' : 'upload'} ${mib} MiB (best of ${transferReps})`, unit: 's', warm: true, ssh2: s('ssh2'), openssh: s('openssh'), sftp: s('sftp'), scp: s('scp') });
          }
        }
      } finally {
        spawnSync('ssh', ['-F', config, '-O', 'exit', USER], { stdio: 'ignore' });
        proxy?.stop();
      }
    }
  } finally {
    await files?.cleanup();
    setup.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  const fmt = (v: number | undefined, unit: 'ms' | 's') => (v === undefined ? '' : unit === 's' ? v.toFixed(2) : v < 10 ? v.toFixed(1) : v.toFixed(0));
  const mbs = (v: number | undefined) => (v === undefined ? '' : ` (${((mib * 1.048576) / v).toFixed(0)} MB/s)`);
  const md = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  console.log(`\nssh2 vs the OpenSSH transport vs plain OpenSSH${ciphers ? ` (OpenSSH Ciphers ${ciphers})` : ''} (median of ${connects} connects, ${execs} execs, ${reps} listings; goal: OpenSSH ≤ 1.2× ssh2 on warm figures):\n`);
  console.log(md(['figure', 'RTT', 'ssh2', 'OpenSSH', 'OpenSSH/ssh2', 'ssh', 'sftp', 'scp', 'goal']));
  console.log(md(Array(9).fill('---')));
  for (const r of rows) {
    const ratio = r.ssh2 !== undefined && r.openssh !== undefined ? r.openssh / r.ssh2 : undefined;
    const cell = (v: number | undefined) => fmt(v, r.unit) + (r.unit === 's' ? mbs(v) : '');
    const goal = r.goal ? `${r.goal.text}: ${r.goal.met ? 'met' : '**missed**'}` : r.warm && ratio !== undefined ? (ratio <= 1.2 ? 'met' : '**missed**') : '';
    console.log(md([`${r.figure}, ${r.unit}`, `${r.rtt} ms`, cell(r.ssh2), cell(r.openssh), ratio === undefined ? '' : `${ratio.toFixed(2)}×`, cell(r.ssh), cell(r.sftp), cell(r.scp), goal]));
  }
  for (const p of profiles) {
    console.log(`\nWhere the OpenSSH transport's time goes, ${p.rtt} ms RTT (median of ${execs} each):\n`);
    console.log(table(['step', 'ms'], p.rows.map((s) => [s.step, s.ms.toFixed(1)])));
  }
  const out = join(repoRoot, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const name = `transport${ciphers ? `-${ciphers.split(/[,@]/)[0]}` : ''}.json`;
  writeFileSync(join(out, name), JSON.stringify({ date: new Date().toISOString(), ciphers: ciphers ?? 'default', mib, entries, reps, execs, transferReps, channels, rows, profiles }, null, 2));
  console.log(`\nwritten bench/results/${name}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
