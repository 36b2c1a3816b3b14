/**
 * sandbox-turn: exclusive (rotates the sandbox host key and restarts its sshd).
 * connect() against the sandbox's real OpenSSH servers: key, ssh-agent, password,
 * publickey + keyboard-interactive TOTP (2223), ProxyJump 2222 → 2223, and host-key decisions
 * (unknown accepted/refused, changed key refused after rotate-hostkey.sh).
 * Every test uses a temp copy of known_hosts; ~/.ssh is never read or written.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { sandbox, type SandboxDetails } from '../support/sandbox';
import { requirePrereq, sandboxSkip } from '../support/prerequisites';
import { memoryLogger, recordingPrompter, sshdAuthLog, tempKnownHosts, totp } from '../support/sshKit';
import { waitUntil } from '../support/wait';
import { connect, type ConnectOptions } from '../../src/core/ssh/connect';
import { ClientSession } from '../../src/core/ssh/session';
import { HostDirectory, SshConfig, type HostConfig } from '../../src/core/ssh/sshConfig';
import { SshError, retryableLogin } from '../../src/core/ssh/errors';
import { PassphraseCache, type HostKeyQuestion } from '../../src/core/ssh/auth';
import { hostKeyQuestionText } from '../../src/core/ssh/knownHosts';

const skip = sandboxSkip();

let d: SandboxDetails;
let hosts: HostDirectory;
let home: string;

before(async () => {
  if (skip) return;
  d = sandbox();
  // A throwaway home: nothing resolves to the real ~/.ssh.
  home = mkdtempSync(join(tmpdir(), 'rhpc-home-'));
  hosts = new HostDirectory(await SshConfig.load(d.sshConfig, { home }));
});

after(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

async function run(client: Client, argv: string[]): Promise<string> {
  const r = await new ClientSession('t', client).exec(argv);
  assert.equal(r.code, 0, r.stderr.toString());
  return r.stdout.toString().trim();
}

/** Options every test shares: temp known_hosts, no agent unless asked, no global files. */
function opts(kh: string, extra: Partial<ConnectOptions> & Pick<ConnectOptions, 'prompter'>): ConnectOptions {
  return {
    knownHostsFiles: [kh],
    globalKnownHostsFiles: [],
    agentSocket: null,
    passphrases: new PassphraseCache(),
    resolveJump: (spec) => hosts.resolveJump(spec),
    readyTimeoutMs: 15_000,
    ...extra,
  };
}

test('key authentication from the sandbox ssh_config (IdentityFile, IdentitiesOnly)', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  const p = recordingPrompter();
  const log = memoryLogger();
  const cfg = hosts.resolve('hpc-sandbox');
  assert.equal(cfg.port, 2222);
  assert.deepEqual(cfg.identityFiles, [d.key]);
  const client = await connect(cfg, opts(kh.file, { prompter: p, logger: log }));
  t.after(() => client.end());
  assert.equal(await run(client, ['whoami']), d.user);
  assert.deepEqual(p.asked, [], 'no questions for a known host and a plain key');
  // Nagle is off on the TCP socket (Node records setNoDelay(true) under an internal symbol).
  const sock = (client as unknown as { _sock: object })._sock;
  const noDelay = Object.getOwnPropertySymbols(sock).find((s) => String(s) === 'Symbol(kSetNoDelay)');
  assert.ok(noDelay && (sock as Record<symbol, unknown>)[noDelay] === true, 'setNoDelay(true) was applied');
  assert.ok(log.lines.some((l) => l.includes(`connected to hpc-sandbox as ${d.user} (publickey ${d.key})`)), log.lines.join('\n'));
});

test('ssh-agent authentication through a real ssh-agent socket', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  const sock = join(kh.dir, 'agent.sock');
  const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  t.after(() => agent.kill());
  await waitUntil('ssh-agent socket', () => existsSync(sock), 5000);
  execFileSync('ssh-add', ['-q', d.key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const p = recordingPrompter();
  const log = memoryLogger();
  // No identity files: only the agent can log us in. SSH_AUTH_SOCK comes from `env`.
  const cfg: HostConfig = { ...hosts.resolve('hpc-sandbox'), identityFiles: [], identitiesOnly: false };
  const client = await connect(cfg, { ...opts(kh.file, { prompter: p, logger: log }), agentSocket: undefined, env: { SSH_AUTH_SOCK: sock } });
  t.after(() => client.end());
  assert.equal(await run(client, ['whoami']), d.user);
  assert.deepEqual(p.asked, []);
  assert.ok(log.lines.some((l) => l.includes('(agent)')), log.lines.join('\n'));

  // IdentitiesOnly: the agent may only offer keys named by IdentityFile.
  const env = { SSH_AUTH_SOCK: sock };
  const other = join(kh.dir, 'other_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const limited: HostConfig = { ...cfg, identityFiles: [other], identitiesOnly: true, preferredAuthentications: ['publickey'] };
  await assert.rejects(
    connect(limited, { ...opts(kh.file, { prompter: p }), agentSocket: undefined, env }),
    (e: unknown) => e instanceof SshError && e.kind === 'auth-failed' && !e.interactive,
  );
  const log2 = memoryLogger();
  const allowed: HostConfig = { ...cfg, identityFiles: [d.key], identitiesOnly: true };
  const c2 = await connect(allowed, { ...opts(kh.file, { prompter: p, logger: log2 }), agentSocket: undefined, env });
  c2.end();
  assert.ok(log2.lines.some((l) => l.includes('(agent)')), log2.lines.join('\n'));
});

test('password authentication (PreferredAuthentications password) and PAM keyboard-interactive password', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  const log = memoryLogger();
  const base = { ...hosts.resolve('hpc-sandbox'), identityFiles: [] };
  const p1 = recordingPrompter({ password: d.password });
  const c1 = await connect({ ...base, preferredAuthentications: ['password'] }, opts(kh.file, { prompter: p1, logger: log }));
  t.after(() => c1.end());
  assert.equal(await run(c1, ['whoami']), d.user);
  assert.deepEqual(p1.asked, [`password ${d.user}@hpc-sandbox`]);

  // Default order: sshd offers keyboard-interactive (PAM asks "Password:") before password.
  const p2 = recordingPrompter({ keyboard: () => d.password });
  const c2 = await connect(base, opts(kh.file, { prompter: p2, logger: log }));
  t.after(() => c2.end());
  assert.equal(await run(c2, ['whoami']), d.user);
  assert.equal(p2.asked.length, 1);
  assert.match(p2.asked[0], /^kbd .*[Pp]assword.*\/false$/);
  assert.ok(!log.lines.some((l) => l.includes(d.password)), 'the password never reaches the log');
});

test('2FA: publickey then keyboard-interactive TOTP from oathtool', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  const p = recordingPrompter({ keyboard: () => totp(d) });
  const cfg = hosts.resolve('hpc-sandbox-2fa');
  assert.equal(cfg.port, d.port2fa);
  const client = await connect(cfg, opts(kh.file, { prompter: p }));
  t.after(() => client.end());
  assert.equal(await run(client, ['sh', '-c', 'echo "$SSH_CONNECTION"']).then((s) => s.split(' ')[3]), String(d.port2fa));
  assert.equal(p.asked.length, 1, p.asked.join('\n'));
  assert.match(p.asked[0], /^kbd .+\/false$/, 'the code prompt is not echoed');
});

/** sshd's count of refused answers on the one connection that had any, when its log is readable (root). */
function sshdFailures(t: TestContext, log: ReturnType<typeof sshdAuthLog>): number | undefined {
  if (!log) {
    requirePrereq('a readable sshd log', false, `run as root to read ${d.sandboxDir}/log`);
    t.diagnostic(`${d.sandboxDir}/log is not readable: sshd's own count is not checked`);
    return undefined;
  }
  const byPort = log.failures(d.user);
  assert.equal(byPort.size, 1, `one connection with refused answers in sshd's log: ${JSON.stringify([...byPort])}`);
  return [...byPort.values()][0];
}

test('wrong passwords (sshd 2222, PAM keyboard-interactive + password): asked 3 times in total, each retry says so; sshd saw 3', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  const log = memoryLogger();
  const authLog = sshdAuthLog(join(d.sandboxDir, 'log', 'sshd-main.log'));
  authLog?.since();
  const retries: string[] = [];
  const p = recordingPrompter({ keyboard: () => 'wrong-password', password: 'wrong-password' });
  const prompter = {
    ...p,
    keyboardInteractive: (...a: Parameters<typeof p.keyboardInteractive>) => (retries.push(a[4] ?? ''), p.keyboardInteractive(...a)),
    password: (...a: Parameters<typeof p.password>) => (retries.push(a[2] ?? ''), p.password(...a)),
  };
  // No key: sshd offers publickey, keyboard-interactive and password; today's OpenSSH client would answer 3 + 3.
  const cfg = { ...hosts.resolve('hpc-sandbox'), identityFiles: [] };
  await assert.rejects(connect(cfg, opts(kh.file, { prompter, logger: log, readyTimeoutMs: 30_000 })), (e: unknown) => {
    assert.ok(e instanceof SshError, String(e));
    assert.equal(e.kind, 'auth-failed');
    assert.equal(e.interactive, true, 'the pool must not retry this by itself');
    assert.equal(e.message, `Login to hpc-sandbox failed: wrong password for ${d.user}@hpc-sandbox, 3 of 3 tries used (NumberOfPasswordPrompts).`);
    return true;
  });
  assert.equal(p.asked.length, 3, p.asked.join('\n'));
  assert.deepEqual(retries, ['', `Wrong password for ${d.user}@hpc-sandbox, try again (2 of 3)`, `Wrong password for ${d.user}@hpc-sandbox, try again (3 of 3)`]);
  assert.ok(!log.lines.some((l) => l.includes('wrong-password')), 'answers never reach the log');
  const seen = sshdFailures(t, authLog);
  if (seen !== undefined) assert.equal(seen, 3, 'sshd refused exactly the three answers');

  // NumberOfPasswordPrompts from the host's SSH config caps it lower; a right answer on the retry logs in.
  const strict = new HostDirectory(await SshConfig.parse(`Host strict\n  HostName ${d.host}\n  Port ${d.port}\n  User ${d.user}\n  NumberOfPasswordPrompts 2\n`, { home }));
  const answers = ['wrong-password', d.password];
  const p2 = recordingPrompter({ keyboard: () => answers.shift() });
  const client = await connect({ ...strict.resolve('strict'), identityFiles: [] }, opts(kh.file, { prompter: p2, readyTimeoutMs: 30_000 }));
  t.after(() => client.end());
  assert.equal(await run(client, ['whoami']), d.user);
  assert.equal(p2.asked.length, 2);
  p.asked.length = 0;
  await assert.rejects(connect({ ...strict.resolve('strict'), identityFiles: [] }, opts(kh.file, { prompter: p, readyTimeoutMs: 30_000 })), /2 of 2 tries used/);
  assert.equal(p.asked.length, 2, p.asked.join('\n'));
});

test('2FA with a wrong TOTP code (sshd 2223): asked once, then a clear auth failure the user may retry; sshd saw 1', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  const authLog = sshdAuthLog(join(d.sandboxDir, 'log', 'sshd-2fa.log'));
  authLog?.since();
  const p = recordingPrompter({ keyboard: () => '000000' });
  await assert.rejects(connect(hosts.resolve('hpc-sandbox-2fa'), opts(kh.file, { prompter: p })), (e: unknown) => {
    assert.ok(e instanceof SshError, String(e));
    assert.equal(e.kind, 'auth-failed');
    assert.equal(e.interactive, true, 'the pool must not retry this by itself');
    assert.match(e.message, new RegExp(`^Login to hpc-sandbox-2fa failed: the one-time code for ${d.user}@hpc-sandbox-2fa was not accepted \\(not retried`));
    assert.equal(retryableLogin(e), 'hpc-sandbox-2fa', '"Try Again" reconnects this host');
    return true;
  });
  assert.equal(p.asked.length, 1, p.asked.join('\n'));
  assert.match(p.asked[0], /^kbd One-time password/);
  const seen = sshdFailures(t, authLog);
  if (seen !== undefined) assert.equal(seen, 1, 'sshd refused one code');
});

test('ProxyJump: hpc-sandbox-jump reaches 2223 through 2222 (forwardOut hop), with 2FA on the target', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  const p = recordingPrompter({ keyboard: () => totp(d) });
  const log = memoryLogger();
  const cfg = hosts.resolve('hpc-sandbox-jump');
  assert.deepEqual(cfg.proxyJump, ['hpc-sandbox']);
  const client = await connect(cfg, opts(kh.file, { prompter: p, logger: log }));
  const conn = await run(client, ['sh', '-c', 'echo "$SSH_CONNECTION"']);
  assert.equal(conn.split(' ')[3], String(d.port2fa), 'the session is on the 2FA server');
  const connected = log.lines.filter((l) => l.includes('] connected to '));
  assert.deepEqual(
    connected.map((l) => l.replace(/^.*connected to (\S+).*$/, '$1')),
    ['hpc-sandbox', 'hpc-sandbox-jump'],
    'one login per hop',
  );
  assert.ok(log.lines.some((l) => l.includes('via hpc-sandbox → hpc-sandbox-jump')));
  const closed = new Promise<void>((r) => client.once('close', () => r()));
  client.end();
  await closed;
});

test('unknown host key: the prompt shows the SHA256 fingerprint; accepted keys are appended and then match', { skip }, async (t) => {
  const kh = tempKnownHosts(d, { empty: true });
  t.after(kh.cleanup);
  const cfg: HostConfig = { ...hosts.resolve('hpc-sandbox'), strictHostKeyChecking: 'ask' };
  const p = recordingPrompter({ acceptHostKey: true });
  const c1 = await connect(cfg, opts(kh.file, { prompter: p }));
  c1.end();
  assert.deepEqual(p.asked, [`hostkey 127.0.0.1:${d.port} ssh-ed25519 ${d.hostKeyFingerprint}`]);
  assert.match(readFileSync(kh.file, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${d.port} ssh-ed25519 `));
  assert.ok(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${d.port}`, '-f', kh.file], { encoding: 'utf8' }).includes('ssh-ed25519'));
  const c2 = await connect(cfg, opts(kh.file, { prompter: p }));
  c2.end();
  assert.equal(p.asked.length, 1, 'known now: no second question');
});

test('unknown host key refused: host-key-rejected and nothing recorded', { skip }, async (t) => {
  const kh = tempKnownHosts(d, { empty: true });
  t.after(kh.cleanup);
  const cfg: HostConfig = { ...hosts.resolve('hpc-sandbox'), strictHostKeyChecking: 'ask' };
  const p = recordingPrompter({ acceptHostKey: false });
  await assert.rejects(connect(cfg, opts(kh.file, { prompter: p })), (e: unknown) => e instanceof SshError && e.kind === 'host-key-rejected' && e.fingerprint === d.hostKeyFingerprint);
  assert.equal(readFileSync(kh.file, 'utf8'), '');
  // The sandbox config says StrictHostKeyChecking yes: refused without asking.
  const strict = recordingPrompter({ acceptHostKey: true });
  await assert.rejects(connect(hosts.resolve('hpc-sandbox'), opts(kh.file, { prompter: strict })), (e: unknown) => e instanceof SshError && e.kind === 'host-key-rejected');
  assert.deepEqual(strict.asked, []);
});

test('changed host key (rotate-hostkey.sh): refused with fingerprint and known_hosts file:line', { skip }, async (t) => {
  const kh = tempKnownHosts(d);
  t.after(kh.cleanup);
  // --keep-sessions: other suites' live sessions on 2222 survive the key swap.
  execFileSync('bash', [join(d.sandboxDir, '..', 'scripts', 'sandbox', 'rotate-hostkey.sh'), '--keep-sessions'], { stdio: 'ignore', timeout: 60_000 });
  try {
    const p = recordingPrompter({ acceptHostKey: true, password: d.password, keyboard: () => d.password });
    const expectedLine = readFileSync(kh.file, 'utf8').split('\n').findIndex((l) => l.startsWith(`[127.0.0.1]:${d.port} `)) + 1;
    await assert.rejects(connect({ ...hosts.resolve('hpc-sandbox'), strictHostKeyChecking: 'ask' }, opts(kh.file, { prompter: p })), (e: unknown) => {
      assert.ok(e instanceof SshError, String(e));
      assert.equal(e.kind, 'host-key-mismatch');
      assert.equal(e.fingerprint, d.altHostKeyFingerprint);
      assert.equal(e.knownHostsFile, kh.file);
      assert.equal(e.knownHostsLine, expectedLine);
      assert.ok(e.message.includes(`${kh.file}:${expectedLine}`) && e.message.includes(d.altHostKeyFingerprint) && e.message.includes('hpc-sandbox'), e.message);
      return true;
    });
    assert.deepEqual(p.asked, [], 'never asks, never sends credentials to a changed host');
  } finally {
    execFileSync('bash', [join(d.sandboxDir, '..', 'scripts', 'sandbox', 'restart-sshd.sh'), '--keep-sessions'], { stdio: 'ignore', timeout: 60_000 });
  }
  const ok = await connect(hosts.resolve('hpc-sandbox'), opts(kh.file, { prompter: recordingPrompter() }));
  ok.end();
});

test('only an RSA key known, the sandbox offers ed25519: the question names the known key, refusal records nothing, acceptance appends', { skip }, async (t) => {
  const kh = tempKnownHosts(d, { empty: true });
  t.after(kh.cleanup);
  // A real RSA key known for the sandbox's name; the sandbox itself only has ed25519 host keys.
  const rsa = join(kh.dir, 'rsa');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
  const [, rsaBlob] = readFileSync(`${rsa}.pub`, 'utf8').split(' ');
  const rsaLine = `[127.0.0.1]:${d.port} ssh-rsa ${rsaBlob}\n`;
  writeFileSync(kh.file, rsaLine);
  const rsaFp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${rsa}.pub`], { encoding: 'utf8' }).split(' ')[1];
  const cfg: HostConfig = { ...hosts.resolve('hpc-sandbox'), strictHostKeyChecking: 'ask' };
  const questions: HostKeyQuestion[] = [];
  const asking = (accept: boolean) => ({ ...recordingPrompter(), confirmHostKey: async (q: HostKeyQuestion) => (questions.push(q), accept) });

  await assert.rejects(connect(cfg, opts(kh.file, { prompter: asking(false) })), (e: unknown) => e instanceof SshError && e.kind === 'host-key-rejected');
  assert.equal(questions.length, 1);
  assert.equal(questions[0].keyType, 'ssh-ed25519');
  assert.equal(questions[0].fingerprint, d.hostKeyFingerprint);
  assert.deepEqual(
    questions[0].otherKnownKeys.map((k) => [k.keyType, k.fingerprint, k.file, k.line]),
    [['ssh-rsa', rsaFp, kh.file, 1]],
  );
  assert.match(hostKeyQuestionText(questions[0]).message, /a key of another type is already known for this host/);
  assert.equal(readFileSync(kh.file, 'utf8'), rsaLine, 'refused: known_hosts untouched');

  const c = await connect(cfg, opts(kh.file, { prompter: asking(true) }));
  c.end();
  const lines = readFileSync(kh.file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  assert.match(lines[1], new RegExp(`^\\[127\\.0\\.0\\.1\\]:${d.port} ssh-ed25519 `));
});
