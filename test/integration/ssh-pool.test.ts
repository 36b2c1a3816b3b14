/**
 * sandbox-turn: exclusive (restarts the sandbox sshd, dropping every session).
 * SessionPool over real connections to the sandbox (sshConnector + connect()): one shared
 * handshake under concurrent acquires, idle eviction, check(), and transparent reconnect after
 * the sshd restarts (restart-sshd.sh drops live sessions).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox, type SandboxDetails } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { memoryLogger, recordingPrompter, tempKnownHosts, totp } from '../support/sshKit';
import { waitUntil } from '../support/wait';
import { SessionPool, type PoolConnect, type StatusEvent } from '../../src/core/ssh/pool';
import { sshConnector } from '../../src/core/ssh/connector';
import { HostDirectory, SshConfig } from '../../src/core/ssh/sshConfig';
import { PassphraseCache, type AuthPrompter } from '../../src/core/ssh/auth';

const skip = sandboxSkip();

let d: SandboxDetails;
let hosts: HostDirectory;
let home: string;
let kh: ReturnType<typeof tempKnownHosts>;

before(async () => {
  if (skip) return;
  d = sandbox();
  home = mkdtempSync(join(tmpdir(), 'rhpc-home-'));
  hosts = new HostDirectory(await SshConfig.load(d.sshConfig, { home }));
  kh = tempKnownHosts(d);
});

after(() => {
  if (skip) return;
  rmSync(home, { recursive: true, force: true });
  kh.cleanup();
});

/** A pool on the sandbox whose connect calls are counted. */
function makePool(opts: { idleTimeoutMs?: number; prompter?: AuthPrompter } = {}) {
  const log = memoryLogger();
  const real = sshConnector({
    resolve: (alias) => hosts.resolve(alias),
    resolveJump: (spec) => hosts.resolveJump(spec),
    prompter: opts.prompter ?? recordingPrompter(),
    knownHostsFiles: [kh.file],
    globalKnownHostsFiles: [],
    agentSocket: null,
    passphrases: new PassphraseCache(),
    logger: log,
  });
  const counter = { connects: 0 };
  const connect: PoolConnect = (alias, ctx) => {
    counter.connects++;
    return real(alias, ctx);
  };
  const pool = new SessionPool({ connect, logger: log, ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}) });
  const events: string[] = [];
  pool.onStatus((e: StatusEvent) => events.push(e.status));
  return { pool, counter, events, log };
}

async function clientPort(session: { exec(argv: string[]): Promise<{ code: number | null; stdout: Buffer }> }): Promise<string> {
  const r = await session.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
  assert.equal(r.code, 0);
  return r.stdout.toString().trim().split(' ')[1]; // client-side port identifies the TCP connection
}

test('concurrent acquires share one handshake and one TCP connection', { skip }, async (t) => {
  const { pool, counter, events } = makePool();
  t.after(() => pool.dispose());
  const leases = await Promise.all(Array.from({ length: 8 }, () => pool.acquire('hpc-sandbox')));
  assert.equal(counter.connects, 1);
  assert.equal(pool.refCount('hpc-sandbox'), 8);
  const ports = await Promise.all(leases.map((l) => clientPort(l.session)));
  assert.equal(new Set(ports).size, 1, 'every lease runs over the same connection');
  for (const l of leases) l.release();
  assert.deepEqual(events, ['connecting', 'connected']);
  assert.equal(await pool.check('hpc-sandbox'), true);
});

test('idle sessions are closed after the idle timeout', { skip }, async (t) => {
  const { pool, counter, events } = makePool({ idleTimeoutMs: 300 });
  t.after(() => pool.dispose());
  const lease = await pool.acquire('hpc-sandbox');
  const session = lease.session;
  lease.release();
  await waitUntil('idle eviction', () => pool.status('hpc-sandbox') === 'disconnected', 3000);
  await waitUntil('the client to close', () => !session.connected, 3000);
  assert.deepEqual(events, ['connecting', 'connected', 'disconnected']);
  await pool.withSession('hpc-sandbox', async (s) => assert.equal((await s.exec(['true'])).code, 0));
  assert.equal(counter.connects, 2, 'the next acquire reconnects');
});

test('reconnects by itself after the sshd restarts (restart-sshd.sh drops sessions): reconnecting, never disconnected', { skip }, async (t) => {
  const { pool, counter, events, log } = makePool();
  t.after(() => pool.dispose());
  const before = await pool.withSession('hpc-sandbox', (s) => clientPort(s));
  execFileSync('bash', [join(d.sandboxDir, '..', 'scripts', 'sandbox', 'restart-sshd.sh')], { stdio: 'ignore', timeout: 60_000 });
  await waitUntil('the drop to be noticed', () => events.includes('reconnecting'), 10_000);
  assert.ok(log.lines.some((l) => l.includes('connection lost (the connection closed); reconnecting')), log.lines.join('\n'));
  // Reopened in the background, without anybody asking.
  await waitUntil('the reconnect', () => pool.status('hpc-sandbox') === 'connected', 30_000);
  const afterPort = await pool.withSession('hpc-sandbox', (s) => clientPort(s));
  assert.notEqual(afterPort, before, 'a new TCP connection');
  assert.ok(counter.connects >= 2);
  assert.deepEqual(events.slice(0, 3), ['connecting', 'connected', 'reconnecting']);
  assert.equal(events.at(-1), 'connected');
  assert.ok(!events.includes('disconnected'), events.join(' '));
});

test('one pool, several hosts: a direct one and a ProxyJump + 2FA one, closed independently', { skip }, async (t) => {
  const prompter = recordingPrompter({ keyboard: () => totp(d) });
  const { pool, counter } = makePool({ prompter });
  t.after(() => pool.dispose());
  const statuses = new Map<string, string[]>();
  pool.onStatus((e) => statuses.set(e.alias, [...(statuses.get(e.alias) ?? []), e.status]));
  const [direct, jumped] = await Promise.all([pool.acquire('hpc-sandbox'), pool.acquire('hpc-sandbox-jump')]);
  assert.equal(counter.connects, 2);
  assert.equal((await direct.session.exec(['sh', '-c', 'echo "$SSH_CONNECTION"'])).stdout.toString().trim().split(' ')[3], String(d.port));
  assert.equal((await jumped.session.exec(['sh', '-c', 'echo "$SSH_CONNECTION"'])).stdout.toString().trim().split(' ')[3], String(d.port2fa));
  assert.equal(prompter.asked.length, 1, 'one TOTP question, for the 2FA target only');
  direct.release();
  jumped.release();
  pool.close('hpc-sandbox');
  assert.equal(pool.status('hpc-sandbox'), 'disconnected');
  assert.equal(await pool.check('hpc-sandbox'), false);
  assert.equal(await pool.check('hpc-sandbox-jump'), true, 'the other host is untouched');
  assert.deepEqual(statuses.get('hpc-sandbox-jump'), ['connecting', 'connected']);
});
