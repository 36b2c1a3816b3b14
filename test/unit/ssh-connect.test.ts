/**
 * connect() against an in-process ssh2 Server: host-key decisions, the authentication order and
 * its prompts, remembered passwords, passphrase caching, cancellation and timeouts.
 * (The real-sshd versions of these flows are in test/integration/ssh-*.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server, type AuthContext } from 'ssh2';
import { connect, type ConnectOptions } from '../../src/core/ssh/connect';
import { waitUntil } from '../support/wait';
import { PassphraseCache, passwordSecretKey, type AuthPrompter, type SecretStore } from '../../src/core/ssh/auth';
import { fingerprint, hostKeyQuestionText } from '../../src/core/ssh/knownHosts';
import { SshError, retryableLogin } from '../../src/core/ssh/errors';
import { CancelledError } from '../../src/core/cancel';
import type { HostConfig } from '../../src/core/ssh/sshConfig';
import { LatencyProxy } from '../../bench/latency-proxy';
import { newKeyPair, parsedKey as parsed } from '../support/sshKeys';

const dir = mkdtempSync(join(tmpdir(), 'rhpc-connect-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const hostKey = newKeyPair();
const hostBlob = hostKey.blob;
const otherHostBlob = newKeyPair().blob;

execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '2', '-N', 'sesame', '-f', join(dir, 'id_enc')]); // few KDF rounds: fast test
const encKeyPath = join(dir, 'id_enc');
const encPub = parsed(readFileSync(`${encKeyPath}.pub`));

type Policy = (ctx: AuthContext) => void;

/** An ssh2 server on a free port whose authentication policy the test sets. */
async function startServer(policy: Policy): Promise<{ port: number; server: Server; logins: number }> {
  const state = { port: 0, server: undefined as unknown as Server, logins: 0 };
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => policy(ctx));
    client.on('ready', () => state.logins++);
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.server = server;
  return state;
}

function stopServer(s: { server: Server }): Promise<void> {
  return new Promise((resolve) => s.server.close(() => resolve()));
}

interface PromptLog {
  calls: string[];
}

function prompter(answers: Partial<AuthPrompter>, log: PromptLog = { calls: [] }): AuthPrompter {
  return {
    password: async (host, user, retry) => {
      log.calls.push(`password ${user}@${host}${retry ? ` | ${retry}` : ''}`);
      return answers.password ? answers.password(host, user) : undefined;
    },
    passphrase: async (path) => {
      log.calls.push(`passphrase ${path}`);
      return answers.passphrase ? answers.passphrase(path) : undefined;
    },
    keyboardInteractive: async (host, name, instructions, prompts, retry) => {
      log.calls.push(`kbd ${prompts.map((p) => `${p.prompt}/${p.echo}`).join(',')}${retry ? ` | ${retry}` : ''}`);
      return answers.keyboardInteractive ? answers.keyboardInteractive(host, name, instructions, prompts) : undefined;
    },
    confirmHostKey: async (info) => {
      log.calls.push(`hostkey ${info.host}:${info.port} ${info.keyType} ${info.fingerprint}`);
      return answers.confirmHostKey ? answers.confirmHostKey(info) : false;
    },
  };
}

function knownHosts(name: string, text = ''): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function hostConfig(port: number, kh: string, extra: Partial<HostConfig> = {}): HostConfig {
  return {
    alias: 'test-host',
    hostName: '127.0.0.1',
    port,
    user: 'alice',
    identityFiles: [],
    identitiesOnly: false,
    proxyJump: [],
    knownHostsFiles: [kh],
    globalKnownHostsFiles: [],
    ...extra,
  };
}

const trusted = (port: number) => `[127.0.0.1]:${port} ssh-ed25519 ${hostBlob.toString('base64')}\n`;
const base = (p: AuthPrompter): ConnectOptions => ({ prompter: p, agentSocket: null, keepaliveIntervalMs: 0 });

const passwordPolicy =
  (good: string): Policy =>
  (ctx) => {
    if (ctx.method === 'password' && ctx.password === good) return ctx.accept();
    ctx.reject(['password']);
  };

test('unknown host key: asked with the SHA256 fingerprint, appended when accepted, then known', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-accept');
  const log: PromptLog = { calls: [] };
  const p = prompter({ confirmHostKey: async () => true, password: async () => 'pw' }, log);
  const c1 = await connect(hostConfig(srv.port, kh), base(p));
  c1.end();
  assert.equal(log.calls[0], `hostkey 127.0.0.1:${srv.port} ssh-ed25519 ${fingerprint(hostBlob)}`);
  assert.equal(readFileSync(kh, 'utf8'), trusted(srv.port));
  log.calls.length = 0;
  const c2 = await connect(hostConfig(srv.port, kh), base(p));
  c2.end();
  assert.deepEqual(log.calls, ['password alice@test-host'], 'no host key question the second time');
});

test('unknown host key refused by the user: host-key-rejected, nothing written', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-refuse');
  const log: PromptLog = { calls: [] };
  await assert.rejects(connect(hostConfig(srv.port, kh), base(prompter({ confirmHostKey: async () => false }, log))), (e: unknown) => {
    assert.ok(e instanceof SshError);
    assert.equal(e.kind, 'host-key-rejected');
    assert.equal(e.fingerprint, fingerprint(hostBlob));
    return true;
  });
  assert.equal(readFileSync(kh, 'utf8'), '');
  assert.equal(srv.logins, 0);
  assert.ok(!log.calls.some((c) => c.startsWith('password')), 'no credentials sent to an untrusted host');
});

test('a new key type for a host known with another type: the question names the known key, OpenSSH-style', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const rsaBlob = newKeyPair('rsa').blob;
  const kh = knownHosts('kh-other-type', `[127.0.0.1]:${srv.port} ssh-rsa ${rsaBlob.toString('base64')}\n`);
  const asked: Parameters<AuthPrompter['confirmHostKey']>[0][] = [];
  await assert.rejects(connect(hostConfig(srv.port, kh), base(prompter({ confirmHostKey: async (q) => (asked.push(q), false) }))));
  assert.equal(asked.length, 1);
  assert.deepEqual(asked[0]?.otherKnownKeys, [{ keyType: 'ssh-rsa', fingerprint: fingerprint(rsaBlob), file: kh, line: 1 }]);
  const text = hostKeyQuestionText(asked[0]!);
  assert.match(text.message, /a key of another type is already known/);
  assert.ok(text.detail.includes(fingerprint(rsaBlob)) && text.detail.includes(fingerprint(hostBlob)), text.detail);
  assert.equal(readFileSync(kh, 'utf8').split('\n').filter(Boolean).length, 1, 'refused: nothing appended');
  const plain = hostKeyQuestionText({ ...asked[0]!, otherKnownKeys: [] });
  assert.match(plain.message, /can't be established/);
});

test('changed host key: refused without asking, naming fingerprint and file:line', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-mismatch', `# header\n[127.0.0.1]:${srv.port} ssh-ed25519 ${otherHostBlob.toString('base64')}\n`);
  const log: PromptLog = { calls: [] };
  await assert.rejects(connect(hostConfig(srv.port, kh), base(prompter({ confirmHostKey: async () => true }, log))), (e: unknown) => {
    assert.ok(e instanceof SshError);
    assert.equal(e.kind, 'host-key-mismatch');
    assert.equal(e.knownHostsFile, kh);
    assert.equal(e.knownHostsLine, 2);
    assert.ok(e.message.includes(fingerprint(hostBlob)) && e.message.includes(`${kh}:2`) && e.message.includes('test-host'), e.message);
    return true;
  });
  assert.deepEqual(log.calls, []);
});

test('StrictHostKeyChecking yes refuses unknown keys; accept-new records them without asking', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-strict');
  const log: PromptLog = { calls: [] };
  const p = prompter({ confirmHostKey: async () => true, password: async () => 'pw' }, log);
  await assert.rejects(connect(hostConfig(srv.port, kh, { strictHostKeyChecking: 'yes' }), base(p)), (e: unknown) => e instanceof SshError && e.kind === 'host-key-rejected');
  assert.ok(!log.calls.some((c) => c.startsWith('hostkey')));
  (await connect(hostConfig(srv.port, kh, { strictHostKeyChecking: 'accept-new' }), base(p))).end();
  assert.equal(readFileSync(kh, 'utf8'), trusted(srv.port));
  assert.ok(!log.calls.some((c) => c.startsWith('hostkey')));
});

test('keyboard-interactive prompts reach the prompter with their echo flags', async (t) => {
  const srv = await startServer((ctx) => {
    if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive']);
    ctx.prompt(
      [
        { prompt: 'Login: ', echo: true },
        { prompt: 'Code: ', echo: false },
      ],
      'Cluster login',
      'Enter both',
      (answers) => (answers[0] === 'alice' && answers[1] === '123456' ? ctx.accept() : ctx.reject(['keyboard-interactive'])),
    );
  });
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-kbd', trusted(srv.port));
  const log: PromptLog = { calls: [] };
  let seen: unknown[] = [];
  const p = prompter(
    {
      keyboardInteractive: async (_h, name, instructions, prompts) => {
        seen = [name, instructions];
        return prompts.map((q) => (q.echo ? 'alice' : '123456'));
      },
    },
    log,
  );
  (await connect(hostConfig(srv.port, kh), base(p))).end();
  assert.deepEqual(log.calls, ['kbd Login: /true,Code: /false']);
  assert.deepEqual(seen, ['Cluster login', 'Enter both']);
});

test('password: retried after a wrong answer, remembered in the SecretStore, forgotten when refused', async (t) => {
  let good = 'right';
  const srv = await startServer((ctx) => {
    if (ctx.method === 'password' && ctx.password === good) return ctx.accept();
    ctx.reject(['password']);
  });
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-pw', trusted(srv.port));
  const store = new Map<string, string>();
  const secretStore: SecretStore = {
    get: async (k) => store.get(k),
    set: async (k, v) => void store.set(k, v),
    delete: async (k) => void store.delete(k),
  };
  const answers = ['wrong', 'right'];
  const log: PromptLog = { calls: [] };
  const p = prompter({ password: async () => answers.shift() }, log);
  (await connect(hostConfig(srv.port, kh), { ...base(p), secretStore })).end();
  assert.equal(log.calls.filter((c) => c.startsWith('password')).length, 2);
  const key = passwordSecretKey('alice', '127.0.0.1', srv.port);
  await waitUntil('the password remembered', () => store.get(key) === 'right', 5000);

  log.calls.length = 0;
  (await connect(hostConfig(srv.port, kh), { ...base(p), secretStore })).end();
  assert.deepEqual(log.calls, [], 'the remembered password is used silently');

  good = 'changed';
  answers.push('changed');
  (await connect(hostConfig(srv.port, kh), { ...base(p), secretStore })).end();
  assert.deepEqual(
    log.calls,
    ['password alice@test-host | The saved password for alice@test-host was refused; enter the current one (2 of 3)'],
    'a refused remembered password is replaced by a prompt that says so',
  );
  await waitUntil('the new password remembered', () => store.get(key) === 'changed', 5000);
});

test('failed password logins are auth-failed and flagged interactive; cancelling is a CancelledError', async (t) => {
  const srv = await startServer(passwordPolicy('right'));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-fail', trusted(srv.port));
  await assert.rejects(connect(hostConfig(srv.port, kh), base(prompter({ password: async () => 'nope' }))), (e: unknown) => {
    assert.ok(e instanceof SshError);
    assert.equal(e.kind, 'auth-failed');
    assert.equal(e.interactive, true);
    assert.ok(!e.message.includes('nope'), 'the password is not in the message');
    return true;
  });
  const started = Date.now();
  await assert.rejects(connect(hostConfig(srv.port, kh), base(prompter({}))), CancelledError);
  assert.ok(Date.now() - started < 2000);
});

test('wrong passwords: NumberOfPasswordPrompts answers in total across keyboard-interactive and password, each retry saying so', async (t) => {
  let answersReceived = 0;
  const srv = await startServer((ctx) => {
    const methods: ('keyboard-interactive' | 'password')[] = ['keyboard-interactive', 'password'];
    if (ctx.method === 'password') {
      answersReceived++;
      return ctx.reject(methods);
    }
    if (ctx.method === 'keyboard-interactive') {
      return ctx.prompt([{ prompt: 'Password: ', echo: false }], () => {
        answersReceived++;
        ctx.reject(methods);
      });
    }
    ctx.reject(methods);
  });
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-budget', trusted(srv.port));
  const log: PromptLog = { calls: [] };
  const p = prompter({ password: async () => 'wrong', keyboardInteractive: async (_h, _n, _i, q) => q.map(() => 'wrong') }, log);
  await assert.rejects(connect(hostConfig(srv.port, kh), base(p)), (e: unknown) => {
    assert.ok(e instanceof SshError, String(e));
    assert.equal(e.kind, 'auth-failed');
    assert.equal(e.interactive, true);
    assert.equal(e.message, 'Login to test-host failed: wrong password for alice@test-host, 3 of 3 tries used (NumberOfPasswordPrompts).');
    return true;
  });
  assert.deepEqual(log.calls, [
    'kbd Password: /false',
    'kbd Password: /false | Wrong password for alice@test-host, try again (2 of 3)',
    'kbd Password: /false | Wrong password for alice@test-host, try again (3 of 3)',
  ]);
  assert.equal(answersReceived, 3, 'the server saw three answers, not three per method');

  // NumberOfPasswordPrompts 1 (from the host's config); the password method alone obeys it too.
  log.calls.length = 0;
  answersReceived = 0;
  await assert.rejects(connect(hostConfig(srv.port, kh, { numberOfPasswordPrompts: 1 }), base(p)), SshError);
  assert.deepEqual(log.calls, ['kbd Password: /false']);
  log.calls.length = 0;
  await assert.rejects(connect(hostConfig(srv.port, kh, { preferredAuthentications: ['password'], numberOfPasswordPrompts: 2 }), base(p)), SshError);
  assert.deepEqual(log.calls, ['password alice@test-host', 'password alice@test-host | Wrong password for alice@test-host, try again (2 of 2)']);
  assert.equal(answersReceived, 3);
});

test('a wrong one-time code is asked once and fails clearly; a keyboard-interactive refused unasked falls through to password', async (t) => {
  let codes = 0;
  const srv = await startServer((ctx) => {
    if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive']);
    ctx.prompt([{ prompt: 'Verification code: ', echo: false }], () => {
      codes++;
      ctx.reject(['keyboard-interactive']);
    });
  });
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-otp', trusted(srv.port));
  const log: PromptLog = { calls: [] };
  const p = prompter({ keyboardInteractive: async () => ['000000'] }, log);
  await assert.rejects(connect(hostConfig(srv.port, kh), base(p)), (e: unknown) => {
    assert.ok(e instanceof SshError, String(e));
    assert.equal(e.kind, 'auth-failed');
    assert.match(e.message, /^Login to test-host failed: the one-time code for alice@test-host was not accepted \(not retried/);
    assert.equal(retryableLogin(e), 'test-host', 'the user may retry it by hand');
    return true;
  });
  assert.deepEqual(log.calls, ['kbd Verification code: /false']);
  assert.equal(codes, 1);

  const quiet = await startServer((ctx) => {
    if (ctx.method === 'password' && ctx.password === 'pw') return ctx.accept();
    ctx.reject(['keyboard-interactive', 'password']); // keyboard-interactive refused without a question
  });
  t.after(() => stopServer(quiet));
  const kh2 = knownHosts('kh-quiet', trusted(quiet.port));
  const log2: PromptLog = { calls: [] };
  (await connect(hostConfig(quiet.port, kh2), base(prompter({ password: async () => 'pw' }, log2)))).end();
  assert.deepEqual(log2.calls, ['password alice@test-host']);
});

test('no usable method: auth-failed, not interactive', async (t) => {
  const srv = await startServer((ctx) => ctx.reject(['publickey']));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-none', trusted(srv.port));
  await assert.rejects(connect(hostConfig(srv.port, kh), base(prompter({}))), (e: unknown) => e instanceof SshError && e.kind === 'auth-failed' && !e.interactive);
});

test('encrypted identity: passphrase asked once, then cached in memory for the process', async (t) => {
  const srv = await startServer((ctx) => {
    if (ctx.method === 'publickey' && ctx.key.data.equals(encPub.getPublicSSH())) {
      if (!ctx.signature || !ctx.blob) return ctx.accept();
      return encPub.verify(ctx.blob, ctx.signature, ctx.hashAlgo) ? ctx.accept() : ctx.reject();
    }
    ctx.reject(['publickey']);
  });
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-key', trusted(srv.port));
  const passphrases = new PassphraseCache();
  const log: PromptLog = { calls: [] };
  const answers = ['wrong', 'sesame'];
  const p = prompter({ passphrase: async () => answers.shift() }, log);
  const cfg = hostConfig(srv.port, kh, { identityFiles: [join(dir, 'missing_key'), encKeyPath] });
  (await connect(cfg, { ...base(p), passphrases })).end();
  assert.deepEqual(log.calls, [`passphrase ${encKeyPath}`, `passphrase ${encKeyPath}`]);
  (await connect(cfg, { ...base(p), passphrases })).end();
  assert.equal(log.calls.length, 2, 'cached passphrase: no new prompt');
  assert.equal(srv.logins, 2);
});

test('the handshake timeout pauses while the user answers, and fires on a silent server', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-slow', trusted(srv.port));
  const slow = prompter({ password: async () => (await sleep(700), 'pw') });
  (await connect(hostConfig(srv.port, kh), { ...base(slow), readyTimeoutMs: 400 })).end();

  const sockets: import('node:net').Socket[] = [];
  const silent: NetServer = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  const started = Date.now();
  await assert.rejects(connect(hostConfig(port, kh), { ...base(slow), readyTimeoutMs: 200 }), (e: unknown) => e instanceof SshError && e.kind === 'timeout');
  assert.ok(Date.now() - started < 1500);
});

test('refused connection: unreachable; ProxyCommand: config error; abort signal: cancelled', async (t) => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const kh = knownHosts('kh-misc');
  await assert.rejects(connect(hostConfig(port, kh), base(prompter({}))), (e: unknown) => e instanceof SshError && e.kind === 'unreachable' && /refused/.test(e.message));
  await assert.rejects(connect(hostConfig(port, kh, { proxyCommand: 'nc %h %p' }), base(prompter({}))), (e: unknown) => e instanceof SshError && e.kind === 'config');

  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const ac = new AbortController();
  const p = prompter({ password: async () => (await sleep(5000, undefined, { ref: false }), 'pw') });
  const pending = connect(hostConfig(srv.port, knownHosts('kh-abort', trusted(srv.port))), { ...base(p), signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(pending, CancelledError);
  assert.ok(!existsSync(join(dir, 'kh-misc')) || readFileSync(join(dir, 'kh-misc'), 'utf8') === '');
});

test('default order tries keyboard-interactive before password; PreferredAuthentications reorders', async (t) => {
  const srv = await startServer((ctx) => {
    if (ctx.method === 'password' && ctx.password === 'pw') return ctx.accept();
    if (ctx.method === 'keyboard-interactive') {
      return ctx.prompt([{ prompt: 'Password: ', echo: false }], (a) => (a[0] === 'pw' ? ctx.accept() : ctx.reject(['password', 'keyboard-interactive'])));
    }
    ctx.reject(['password', 'keyboard-interactive']);
  });
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-order', trusted(srv.port));
  const log: PromptLog = { calls: [] };
  const p = prompter({ password: async () => 'pw', keyboardInteractive: async () => ['pw'] }, log);
  (await connect(hostConfig(srv.port, kh), base(p))).end();
  assert.deepEqual(log.calls, ['kbd Password: /false']);
  log.calls.length = 0;
  (await connect(hostConfig(srv.port, kh, { preferredAuthentications: ['password', 'keyboard-interactive'] }), base(p))).end();
  assert.deepEqual(log.calls, ['password alice@test-host']);
});

test('HostKeyAlias: known_hosts is consulted and written under the alias', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  t.after(() => stopServer(srv));
  const kh = knownHosts('kh-alias', `cluster-key ssh-ed25519 ${hostBlob.toString('base64')}\n`);
  const log: PromptLog = { calls: [] };
  const p = prompter({ password: async () => 'pw', confirmHostKey: async () => true }, log);
  (await connect(hostConfig(srv.port, kh, { hostKeyAlias: 'cluster-key' }), base(p))).end();
  assert.deepEqual(log.calls, ['password alice@test-host'], 'matched through the alias');
  const empty = knownHosts('kh-alias-new');
  (await connect(hostConfig(srv.port, empty, { hostKeyAlias: 'other-alias' }), base(p))).end();
  assert.equal(readFileSync(empty, 'utf8'), `other-alias ssh-ed25519 ${hostBlob.toString('base64')}\n`);
});

test('a frozen link is dropped after ServerAliveInterval × ServerAliveCountMax, as OpenSSH does (not one interval later)', async (t) => {
  const srv = await startServer(passwordPolicy('pw'));
  const proxy = new LatencyProxy({ targetPort: srv.port });
  const port = await proxy.start();
  t.after(async () => {
    await proxy.close();
    await stopServer(srv);
  });
  const kh = knownHosts('kh-keepalive', trusted(port));
  const c = await connect(hostConfig(port, kh, { serverAliveIntervalMs: 400, serverAliveCountMax: 3 }), { prompter: prompter({ password: async () => 'pw' }), agentSocket: null });
  c.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => c.once('close', () => resolve(Date.now())));
  const frozenAt = Date.now();
  proxy.freezeAll();
  const ms = (await closed) - frozenAt;
  console.log(`frozen link dropped after ${ms} ms (400 ms × 3 = 1200 ms; ssh2's own count would take 1600 ms)`);
  assert.ok(ms >= 1100 && ms < 1500, `dropped after ${ms} ms`);
});
