/**
 * Faults of the link and of the login node (issue 14), each test printing what it measures:
 * - an sshd restarted mid-save (a dedicated sshd on 127.0.0.1:2250, started and restarted by this
 *   file, so no other test's session is dropped): the save fails or completes whole, the pool
 *   reconnects by itself without a prompt (key login), and a command in flight is not run twice;
 * - a 2FA host (publickey + TOTP, the sandbox's sshd on 2223 behind a latency proxy) whose link is
 *   cut: the reconnect asks exactly one new one-time code, nothing else;
 * - a slow link (600 ms RTT) kept, then the link frozen without closing (the latency proxy drops
 *   every byte, nothing closes): detection time against ServerAliveInterval × ServerAliveCountMax,
 *   then a silent reconnect;
 * - the link cut mid-upload and mid-download: the remote / local file is the old content or
 *   nothing, never a partial file under the user's name; no partial local file left;
 * - the agent killed with SIGKILL mid-request: the request fails at once and clearly, the next
 *   call starts a new agent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connectDirect, sandbox, type DirectConnection, type SandboxDetails } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { memoryLogger, recordingPrompter, totp, type PrompterAnswers } from '../support/sshKit';
import { waitUntil } from '../support/wait';
import { LatencyProxy } from '../../bench/latency-proxy';
import { SessionPool, type StatusEvent } from '../../src/core/ssh/pool';
import { sshConnector } from '../../src/core/ssh/connector';
import { HostDirectory, SshConfig } from '../../src/core/ssh/sshConfig';
import { PassphraseCache } from '../../src/core/ssh/auth';
import { PooledOpsProvider } from '../../src/core/remote/opsProvider';
import { openRemote } from '../../src/core/remote/openRemote';
import { AgentOps } from '../../src/core/remote/agentOps';
import { download, upload } from '../../src/core/remote/transfer';
import { silentLogger } from '../../src/core/log';

const skip = sandboxSkip();
const SSHD_PORT = 2250;
const KEEPALIVE_S = 1;
const KEEPALIVE_COUNT = 3;

let d: SandboxDetails;
let tmp: string;
let probe: DirectConnection;
let work: string;
let proxy: LatencyProxy;
let proxy2fa: LatencyProxy;
let sshd: ChildProcess | undefined;
let hosts: HostDirectory;

/** Our own sshd on SSHD_PORT: the sandbox's main config and host key, another port. */
async function startSshd(): Promise<void> {
  const conf = join(tmp, 'sshd.conf');
  writeFileSync(conf, readFileSync(join(d.sandboxDir, 'etc', 'sshd_main.conf'), 'utf8').replace(/^Port .*/m, `Port ${SSHD_PORT}`));
  sshd = spawn(join(d.sandboxDir, 'bin', 'sshd-hpc-main'), ['-D', '-f', conf, '-h', join(d.sandboxDir, 'hostkeys', 'ssh_host_ed25519_key'), '-E', join(tmp, 'sshd.log')], { stdio: 'ignore' });
  await waitUntil(`sshd on ${SSHD_PORT}`, () => new Promise<boolean>((resolve) => {
    const s = netConnect(SSHD_PORT, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  }), 10_000, 100);
}

/** Stops our sshd and every session it serves (a reboot of the login node's sshd). */
async function stopSshd(): Promise<void> {
  const pid = sshd?.pid;
  if (!pid || sshd?.exitCode !== null) return;
  const children = (p: number): number[] => {
    try {
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return [...kids, ...kids.flatMap(children)];
    } catch {
      return [];
    }
  };
  const all = [pid, ...children(pid)];
  const exited = new Promise((r) => sshd?.once('exit', r));
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  await exited;
}

before(async () => {
  if (skip) return;
  d = sandbox();
  tmp = mkdtempSync(join(tmpdir(), 'rhpc-faults-'));
  await startSshd();
  proxy = new LatencyProxy({ targetPort: d.port });
  const proxyPort = await proxy.start();
  proxy2fa = new LatencyProxy({ targetPort: d.port2fa });
  const proxy2faPort = await proxy2fa.start();
  const kh = join(tmp, 'known_hosts');
  writeFileSync(kh, [SSHD_PORT, proxyPort, proxy2faPort].map((p) => `[127.0.0.1]:${p} ${d.hostKey}\n`).join(''));
  const entry = (alias: string, port: number) =>
    [`Host ${alias}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${d.user}`, `  IdentityFile ${d.key}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${kh}`, '  StrictHostKeyChecking yes', `  ServerAliveInterval ${KEEPALIVE_S}`, `  ServerAliveCountMax ${KEEPALIVE_COUNT}`, ''].join('\n');
  const config = join(tmp, 'ssh_config');
  writeFileSync(config, entry('faults-sshd', SSHD_PORT) + entry('faults-proxy', proxyPort) + entry('faults-2fa', proxy2faPort));
  hosts = new HostDirectory(await SshConfig.load(config, { home: tmp }));
  probe = await connectDirect();
  const r = await probe.session.exec(['sh', '-c', 'mktemp -d "$HOME/faults-XXXXXX"']);
  work = r.stdout.toString().trim();
  assert.ok(work.includes('faults-'), r.stderr.toString());
});

after(async () => {
  if (skip) return;
  await stopSshd();
  await proxy?.close();
  await proxy2fa?.close();
  if (work) await probe.session.exec(['rm', '-rf', '--', work]);
  probe?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The product's stack for one host: pool (reconnects), pooled ops (agent). Prompts are recorded (and answered from `answers`). */
function stack(answers: PrompterAnswers = {}) {
  const log = memoryLogger();
  const prompter = recordingPrompter(answers);
  const connect = sshConnector({
    resolve: (alias) => hosts.resolve(alias),
    resolveJump: (spec) => hosts.resolveJump(spec),
    prompter,
    knownHostsFiles: [join(tmp, 'known_hosts')],
    globalKnownHostsFiles: [],
    agentSocket: null,
    passphrases: new PassphraseCache(),
    logger: log,
  });
  const pool = new SessionPool({ connect, logger: log, backoffInitialMs: 200 });
  const events: { status: string; at: number }[] = [];
  pool.onStatus((e: StatusEvent) => events.push({ status: e.status, at: Date.now() }));
  const provider = new PooledOpsProvider({
    acquire: (host) => pool.acquire(host),
    open: (session) => openRemote(session, silentLogger),
    checkConnection: (host) => pool.check(host),
    stallMs: 2000,
  });
  const dispose = () => {
    provider.dispose();
    pool.dispose();
  };
  return { pool, provider, events, prompter, log, dispose };
}

const sh = async (script: string, ...args: string[]) => (await probe.session.exec(['sh', '-c', script, 'sh', ...args])).stdout.toString();

test('sshd restarted mid-save: the file is old or whole, a silent reconnect (no prompt), a command in flight runs once', { skip, timeout: 60_000 }, async () => {
  const s = stack();
  try {
    const path = `${work}/restart-target.bin`;
    const original = `original ${randomBytes(8).toString('hex')}\n`;
    await sh('printf %s "$2" > "$1"', path, original);
    const ops = await s.provider.ops('faults-sshd');
    assert.ok(ops.kind === 'agent');
    const counter = `${work}/ran-once.log`;
    const content = randomBytes(24 << 20);
    const saving = ops.writeFileAtomic(path, content).then(
      () => 'saved',
      (e: Error) => `failed: ${e.message}`,
    );
    const appending = ops.run(['sh', '-c', 'sleep 0.3; echo ran >> "$1"', 'sh', counter]).then(
      () => 'ran',
      (e: Error) => `failed: ${e.message}`,
    );
    await new Promise((r) => setTimeout(r, 150));
    const restartAt = Date.now();
    await stopSshd();
    await startSshd();
    const [saved, appended] = await Promise.all([saving, appending]);
    await waitUntil('the reconnect', () => s.pool.status('faults-sshd') === 'connected' && s.events.some((e) => e.status === 'reconnecting'), 30_000, 50);
    const reconnectMs = (s.events.filter((e) => e.status === 'connected').pop()?.at ?? NaN) - restartAt;
    const now = await sh('cat -- "$1" | sha256sum', path);
    const whole = now === (await sh('printf %s "$1" | sha256sum', original)) || (await sh('stat -c %s -- "$1"', path)).trim() === String(content.length);
    const temps = (await sh('ls -A -- "$1"', work)).split('\n').filter((n) => n.includes('remote-hpc'));
    const runs = (await sh('cat -- "$1" 2>/dev/null || true', counter)).split('\n').filter(Boolean).length;
    console.log(`sshd restart mid-save: save ${saved.slice(0, 60)}; in-flight command ${appended.slice(0, 60)}, ran ${runs}×; reconnected ${reconnectMs} ms after the restart began, prompts ${s.prompter.asked.length}, statuses ${s.events.map((e) => e.status).join(' → ')}; temp files left ${temps.length}`);
    assert.ok(whole, 'the file is the old content or the whole new one');
    assert.ok(runs <= 1, 'the command ran at most once (never replayed)');
    assert.deepEqual(s.prompter.asked, [], 'a key login reconnects without asking anything');
    assert.ok(!s.events.some((e) => e.status === 'disconnected' || e.status === 'failed'), 'reconnecting, never disconnected');
    // The next save on the new connection goes through, once.
    const again = await s.provider.ops('faults-sshd');
    await again.writeFileAtomic(path, Buffer.from('after the restart\n'));
    assert.equal(await sh('cat -- "$1"', path), 'after the restart\n');
  } finally {
    s.dispose();
  }
});

test(`a frozen link is noticed within ServerAliveInterval × ServerAliveCountMax (${KEEPALIVE_S} s × ${KEEPALIVE_COUNT}), then reconnected silently`, { skip, timeout: 60_000 }, async () => {
  const s = stack();
  try {
    const ops = await s.provider.ops('faults-proxy');
    const counter = `${work}/frozen-once.log`;
    await ops.run(['sh', '-c', 'echo before >> "$1"', 'sh', counter]);
    // A slow link (600 ms RTT, keepalives answered late) is not taken for a dead one.
    proxy.slow(300);
    const slowStart = Date.now();
    await new Promise((r) => setTimeout(r, KEEPALIVE_S * (KEEPALIVE_COUNT + 1) * 1000));
    const slowRun = await ops.run(['echo', 'slow']);
    const slowMs = Date.now() - slowStart;
    assert.equal(slowRun.stdout.toString(), 'slow\n');
    assert.ok(!s.events.some((e) => e.status === 'reconnecting'), `a slow link was dropped: ${s.events.map((e) => e.status).join(' → ')}`);
    proxy.slow(0);
    proxy.freezeAll();
    const frozenAt = Date.now();
    // Sent into the black hole: it never arrives, fails once the loss is noticed, and is not replayed.
    const lost = ops.run(['sh', '-c', 'echo lost >> "$1"', 'sh', counter]).then(
      () => 'ran',
      (e: Error) => `failed: ${e.message}`,
    );
    await waitUntil('the loss to be noticed', () => s.events.some((e) => e.status === 'reconnecting'), 20_000, 20);
    const detectedMs = (s.events.find((e) => e.status === 'reconnecting')?.at ?? NaN) - frozenAt;
    const outcome = await lost;
    await waitUntil('the silent reconnect', () => s.pool.status('faults-proxy') === 'connected' && s.events.filter((e) => e.status === 'connected').length >= 2, 30_000, 50);
    const reconnectedMs = (s.events.filter((e) => e.status === 'connected').pop()?.at ?? NaN) - frozenAt;
    const next = await s.provider.ops('faults-proxy');
    await next.run(['sh', '-c', 'echo after >> "$1"', 'sh', counter]);
    const lines = (await sh('cat -- "$1"', counter)).trim().split('\n');
    console.log(`slow link (600 ms RTT) kept for ${slowMs} ms without a reconnect; frozen link: noticed after ${detectedMs} ms (goal ≤ ${KEEPALIVE_S * KEEPALIVE_COUNT * 1000} ms), reconnected after ${reconnectedMs} ms, prompts ${s.prompter.asked.length}; request in flight: ${outcome.slice(0, 70)}; remote log ${lines.join(',')}`);
    assert.ok(detectedMs <= KEEPALIVE_S * KEEPALIVE_COUNT * 1000 + 500, `detected after ${detectedMs} ms`);
    assert.match(outcome, /^failed/);
    assert.deepEqual(lines, ['before', 'after'], 'the lost command was neither run nor replayed');
    assert.deepEqual(s.prompter.asked, []);
  } finally {
    s.dispose();
  }
});

test('a 2FA host whose link is cut: the reconnect asks exactly one new one-time code, nothing else', { skip, timeout: 60_000 }, async () => {
  const s = stack({ keyboard: () => totp(d) });
  try {
    const ops = await s.provider.ops('faults-2fa');
    assert.equal((await ops.run(['echo', 'before'])).stdout.toString(), 'before\n');
    assert.equal(s.prompter.asked.length, 1, `the login asks one code: ${s.prompter.asked.join('; ')}`);
    const cutAt = Date.now();
    proxy2fa.cutAll();
    await waitUntil('the reconnect', () => s.pool.status('faults-2fa') === 'connected' && s.events.some((e) => e.status === 'reconnecting'), 30_000, 50);
    const reconnectedMs = (s.events.filter((e) => e.status === 'connected').pop()?.at ?? NaN) - cutAt;
    const next = await s.provider.ops('faults-2fa');
    assert.equal((await next.run(['echo', 'after'])).stdout.toString(), 'after\n');
    console.log(`2FA link cut: reconnected after ${reconnectedMs} ms; prompts ${s.prompter.asked.length} (${s.prompter.asked.join('; ')}); statuses ${s.events.map((e) => e.status).join(' → ')}`);
    assert.equal(s.prompter.asked.length, 2, 'one code for the login, exactly one more for the reconnect');
    assert.ok(s.prompter.asked.every((q) => q.startsWith('kbd ')), 'only one-time codes are asked (no password, passphrase or host key)');
    assert.ok(!s.events.some((e) => e.status === 'disconnected' || e.status === 'failed'), 'reconnecting, never disconnected');
  } finally {
    s.dispose();
  }
});

test('the link cut mid-upload and mid-download: old content or nothing, never a partial file under the user\'s name', { skip, timeout: 60_000 }, async () => {
  const cutter = new LatencyProxy({ targetPort: d.port });
  const port = await cutter.start();
  const local = mkdtempSync(join(tmp, 'transfer-'));
  try {
    const size = 32 << 20;
    const blob = join(local, 'big.bin');
    writeFileSync(blob, randomBytes(size));
    const remote = `${work}/upload-target.bin`;
    const old = 'old remote content\n';
    await sh('printf %s "$2" > "$1"', remote, old);
    const results: string[] = [];
    const cutAt = (bytes: number) => (p: { bytes: number }) => p.bytes >= bytes && cutter.cutAll();

    const up = await connectDirect({ port });
    await assert.rejects(upload(up.session, blob, remote, { onProgress: cutAt(8 << 20), progressIntervalMs: 10 }));
    up.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const remoteNow = await sh('cat -- "$1"', remote);
    const remoteTemps = (await sh('ls -A -- "$1"', work)).split('\n').filter((n) => n.includes('remote-hpc') || n.startsWith('.upload-target'));
    results.push(`upload cut at 8 of 32 MiB: remote file ${remoteNow === old ? 'old content' : `${remoteNow.length} B`}, hidden temps left ${remoteTemps.join(', ') || 'none'}`);
    assert.equal(remoteNow, old, 'the remote file keeps its old content');

    const src = `${work}/download-source.bin`;
    await sh('head -c "$2" /dev/urandom > "$1"', src, String(size));
    const dest = join(local, 'download.bin');
    writeFileSync(dest, 'old local content\n');
    const down = await connectDirect({ port });
    await assert.rejects(download(down.session, src, dest, { onProgress: cutAt(8 << 20), progressIntervalMs: 10 }));
    down.destroy();
    const left = readdirSync(local).filter((n) => n !== 'big.bin');
    const destNow = existsSync(dest) ? readFileSync(dest, 'utf8') : undefined;
    results.push(`download cut at 8 of 32 MiB: local file ${destNow === 'old local content\n' ? 'old content' : `${destNow?.length} B`}, local files ${left.join(', ')}`);
    console.log(results.join('; '));
    assert.equal(destNow, 'old local content\n', 'the local file keeps its old content');
    assert.deepEqual(left, ['download.bin'], 'no partial download left beside it');
  } finally {
    await cutter.close();
  }
});

test('the agent killed with SIGKILL mid-request: the request fails at once and clearly, the next one starts a new agent', { skip, timeout: 60_000 }, async () => {
  const conn = await connectDirect();
  let opened = 0;
  const provider = new PooledOpsProvider({
    acquire: async () => ({ session: conn.session, release: () => undefined }),
    open: (session) => (opened++, openRemote(session, silentLogger)),
  });
  try {
    const ops = await provider.ops('h');
    assert.equal(ops.kind, 'agent');
    const info = (await (ops as unknown as AgentOps).client.request('info', {})) as { result: { pid: number } };
    const pid = info.result.pid;
    let failedAt = 0;
    const slow = ops.run(['sleep', '30']).then(
      () => undefined,
      (e: Error) => ((failedAt = Date.now()), e),
    );
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = Date.now();
    await sh('kill -KILL "$1"', String(pid));
    const err = await slow;
    const failMs = failedAt - killedAt;
    assert.ok(err, 'the request failed');
    const next = await provider.ops('h');
    const r = await next.run(['echo', 'alive']);
    const pid2 = ((await (next as unknown as AgentOps).client.request('info', {})) as { result: { pid: number } }).result.pid;
    console.log(`agent SIGKILL mid-request: failed after ${failMs} ms with "${err.message}"; next call: a new agent (pid ${pid} → ${pid2}), ${opened} opens`);
    assert.ok(failMs < 5000, `failed after ${failMs} ms`);
    assert.equal(r.stdout.toString(), 'alive\n');
    assert.notEqual(pid2, pid);
    assert.equal(opened, 2);
  } finally {
    provider.dispose();
    conn.close();
  }
});
