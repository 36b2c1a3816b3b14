/**
 * The OpenSSH transport against the sandbox's real sshd: questions from `ssh` reach the
 * prompter through the askpass helper (password, a one-time code, an unknown host key), the
 * lockout rules hold (a wrong code is sent once), a user's own live master is reused with no
 * login at all, channels over the master (exec with kill, pty size, -W streams), and what
 * `auto` chooses for a plain host and for a ProxyCommand host; a transfer on an SFTP client of its own.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox, type SandboxDetails } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { recordingPrompter, totp } from '../support/sshKit';
import { connectOpenSsh } from '../../src/core/ssh/openssh/connector';
import { masterPid } from '../../src/core/ssh/openssh/binary';
import { transportConnector } from '../../src/core/ssh/transportConnector';
import { download, upload } from '../../src/core/remote/transfer';
import { HostDirectory, SshConfig } from '../../src/core/ssh/sshConfig';
import type { SshError } from '../../src/core/ssh/errors';
import type { AuthPrompter } from '../../src/core/ssh/auth';

const skip = sandboxSkip();
const signal = () => new AbortController().signal;
const KEX = 'KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256';

describe('OpenSSH transport on the sandbox', { skip }, () => {
  let d: SandboxDetails;
  let dir: string;
  let cfg: string;

  before(() => {
    d = sandbox();
    dir = mkdtempSync(join(tmpdir(), 'rhpc-openssh-it-'));
    writeFileSync(join(dir, 'empty_known_hosts'), '');
    cfg = join(dir, 'config');
    writeFileSync(
      cfg,
      [
        // Password only: no key, no agent.
        'Host pw',
        `  HostName ${d.host}`,
        `  Port ${d.port}`,
        `  User ${d.user}`,
        '  PubkeyAuthentication no',
        '  PreferredAuthentications password',
        '  IdentityAgent none',
        `  UserKnownHostsFile ${d.knownHosts}`,
        `  ${KEX}`,
        // Key + one-time code.
        'Host otp',
        `  HostName ${d.host}`,
        `  Port ${d.port2fa}`,
        `  User ${d.user}`,
        `  IdentityFile ${d.key}`,
        '  IdentitiesOnly yes',
        '  IdentityAgent none',
        `  UserKnownHostsFile ${d.knownHosts}`,
        `  ${KEX}`,
        // A host key nobody has seen yet.
        'Host newkey',
        `  HostName ${d.host}`,
        `  Port ${d.port}`,
        `  User ${d.user}`,
        `  IdentityFile ${d.key}`,
        '  IdentitiesOnly yes',
        '  IdentityAgent none',
        `  UserKnownHostsFile ${join(dir, 'empty_known_hosts')}`,
        '  StrictHostKeyChecking ask',
        `  ${KEX}`,
        // The user's terminal logs in with a master of their own.
        'Host mine',
        `  HostName ${d.host}`,
        `  Port ${d.port}`,
        `  User ${d.user}`,
        `  IdentityFile ${d.key}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${d.knownHosts}`,
        `  ControlPath ${dir}/user-%C`,
        `  ${KEX}`,
        // Reached through a ProxyCommand (only OpenSSH runs one).
        'Host viaproxy',
        `  HostName ${d.host}`,
        `  Port ${d.port}`,
        `  User ${d.user}`,
        `  IdentityFile ${d.key}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${d.knownHosts}`,
        `  ProxyCommand ssh -F ${d.sshConfig} -W %h:%p hpc-sandbox`,
        `  ${KEX}`,
        'Host plain',
        `  HostName ${d.host}`,
        `  Port ${d.port}`,
        `  User ${d.user}`,
        `  IdentityFile ${d.key}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${d.knownHosts}`,
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const connect = (alias: string, prompter: AuthPrompter) => connectOpenSsh(alias, { signal: signal() }, { prompter, configFile: cfg, runtimeDir: join(dir, 'rt'), persistSeconds: 120 });

  test('a password asked by ssh reaches the prompter through askpass, and the session works', async () => {
    const p = recordingPrompter({ password: d.password });
    const c = await connect('pw', p);
    try {
      assert.deepEqual(p.asked, [`password ${d.user}@${d.host}`]);
      assert.equal((await c.session.exec(['id', '-un'])).stdout.toString().trim(), d.user);
      assert.equal(c.transport.kind, 'openssh');
    } finally {
      c.close();
    }
  });

  test('a wrong password is said to be wrong, asked at most NumberOfPasswordPrompts (3) times, then fails', async () => {
    const retries: (string | undefined)[] = [];
    const p: AuthPrompter = { ...recordingPrompter(), password: async (_h, _u, retry) => (retries.push(retry), 'not-the-password') };
    const err = (await connect('pw', p).then(
      () => undefined,
      (e: unknown) => e,
    )) as SshError;
    assert.equal(err?.kind, 'auth-failed');
    assert.equal(err.interactive, true);
    assert.equal(retries.length, 3);
    assert.equal(retries[0], undefined);
    assert.match(retries[1] ?? '', /Wrong password .* \(2 of 3\)/);
  });

  test('a one-time code: the right one logs in; a wrong one is sent once and never retried', async () => {
    const good = recordingPrompter({ keyboard: () => totp(d) });
    const c = await connect('otp', good);
    assert.equal(good.asked.length, 1);
    assert.match(good.asked[0], /^kbd .*One-time password/i);
    c.close();

    const bad = recordingPrompter({ keyboard: () => '000000' });
    const err = (await connect('otp', bad).then(
      () => undefined,
      (e: unknown) => e,
    )) as SshError;
    assert.equal(err?.kind, 'auth-failed');
    assert.match(err.message, /one-time code .* not accepted/);
    assert.equal(bad.asked.length, 1, 'the code was asked (and sent) once');
  });

  test("an unknown host key is shown with ssh's fingerprint; refused it stops, accepted it connects", async () => {
    const refuse = recordingPrompter({ acceptHostKey: false });
    const err = (await connect('newkey', refuse).then(
      () => undefined,
      (e: unknown) => e,
    )) as SshError;
    assert.ok(err, 'refusing the key fails the login');
    assert.deepEqual(refuse.asked, [`hostkey ${d.host}:${d.port} ED25519 ${d.hostKeyFingerprint}`]);
    const accept = recordingPrompter({ acceptHostKey: true });
    const c = await connect('newkey', accept);
    assert.equal(accept.asked.length, 1);
    c.close();
  });

  test("the user's own live master is reused: no login, no question, and closing leaves it running", async () => {
    execFileSync('ssh', ['-F', cfg, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=60', '-N', 'mine']);
    const userPath = execFileSync('ssh', ['-F', cfg, '-G', 'mine'], { encoding: 'utf8' }).match(/^controlpath (.*)$/m)?.[1] ?? '';
    try {
      const p = recordingPrompter();
      const t0 = performance.now();
      const c = await connect('mine', p);
      const ms = performance.now() - t0;
      assert.deepEqual(p.asked, []);
      assert.match(c.transport.reason, /reusing your ssh master/);
      assert.equal((await c.session.exec(['echo', 'ok'])).stdout.toString(), 'ok\n');
      c.close();
      assert.ok((await masterPid('ssh', userPath)) !== undefined, "the user's master still runs");
      assert.ok(ms < 2000, `reuse took ${ms} ms`);
    } finally {
      execFileSync('ssh', ['-F', cfg, '-O', 'exit', 'mine'], { stdio: 'ignore' });
    }
  });

  test('channels over the master: a timed-out command is killed on the host, a pty is resized, -W reaches a TCP port', async () => {
    const c = await connect('plain', recordingPrompter());
    try {
      const tag = `rhpc-kill-${process.pid}`;
      await assert.rejects(c.session.exec(['bash', '-c', `exec -a ${tag} sleep 60`], { timeoutMs: 400 }), /timed out/);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await c.session.exec(['pgrep', '-u', d.user, '-f', tag])).code, 1, 'the remote process is gone'); // -u: the sandbox's "remote" is this machine

      const sh = await c.session.shell({ rows: 30, cols: 100, term: 'xterm-256color' });
      let out = '';
      sh.on('data', (b: Buffer) => (out += b.toString()));
      sh.write('stty size\n');
      await waitFor(() => /30 100/.test(out));
      sh.setWindow(41, 131, 0, 0);
      await new Promise((r) => setTimeout(r, 400));
      sh.write('stty size; exit 3\n');
      const code = await new Promise((r) => sh.on('close', (c2: unknown) => r(c2)));
      assert.match(out, /41 131/);
      assert.doesNotMatch(out, /\/dev\/pts/, "the prelude's tty line is not shown, even with input written at once");
      assert.equal(code, 3);

      const stream = await c.session.forward(d.host, d.port);
      const banner = await new Promise<string>((resolve) => stream.once('data', (b: Buffer) => resolve(b.toString())));
      assert.match(banner, /^SSH-2\.0-OpenSSH/);
      stream.destroy();
    } finally {
      c.close();
    }
  });

  test('execs run on a spare client started ahead: any argv, stdin, exit codes and concurrent execs as on a new one; none left after close', async () => {
    const c = await connect('plain', recordingPrompter());
    // This process's spare clients (their argv ends with the nonce), with their sh on the host
    // (pgrep -u: the sandbox's "remote" is this machine; other test files may have spares too).
    const spares = () =>
      [...spawnSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).stdout.matchAll(/remote-hpc ([0-9a-f]{32})$/gm)]
        .map((m) => m[1] as string)
        .filter((nonce) => spawnSync('pgrep', ['-u', d.user, '-f', `remote-hpc ${nonce}$`]).status === 0);
    try {
      await c.session.exec(['true']); // the first exec starts the spare
      await waitFor(() => spares().length === 1, 20_000);
      // A line that looks like a terminator, newlines, quotes and an expansion, taken literally.
      const hostile = ['a\nb', "it's $(id) `id`", '', 'x'.repeat(32), '\n\n', ' spaced '];
      const echoed = await c.session.exec(['printf', '%s\\0', ...hostile]);
      assert.deepEqual(echoed.stdout.toString().split('\0').slice(0, -1), hostile);
      const fed = await c.session.exec(['sh', '-c', 'cat; exit 7'], { stdin: 'line 1\nline 2' });
      assert.deepEqual([fed.code, fed.stdout.toString()], [7, 'line 1\nline 2']);
      const many = await Promise.all([1, 2, 3, 4, 5].map((i) => c.session.exec(['sh', '-c', `echo $0`, String(i)], { cwd: '/tmp' })));
      assert.deepEqual(many.map((r) => r.stdout.toString().trim()), ['1', '2', '3', '4', '5']);
      await waitFor(() => spares().length === 1, 20_000);
    } finally {
      c.close();
    }
    await waitFor(() => spares().length === 0, 20_000);
  });

  test('a transfer over OpenSSH: upload and download round trip on an SFTP client of its own, which is gone afterwards', async () => {
    const c = await connect('plain', recordingPrompter());
    // This process's `ssh … -s … sftp` clients (one per SFTP channel over the master).
    const sftpClients = () => spawnSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).stdout.split('\n').filter((a) => /\s-s\s.*\bsftp$/.test(a));
    const remote = (await c.session.exec(['mktemp', '-d'])).stdout.toString().trim();
    try {
      writeFileSync(join(dir, 'up.bin'), Buffer.alloc(3 << 20, 7));
      await upload(c.session, join(dir, 'up.bin'), `${remote}/up.bin`);
      await download(c.session, `${remote}/up.bin`, join(dir, 'down.bin'));
      assert.ok(readFileSync(join(dir, 'down.bin')).equals(readFileSync(join(dir, 'up.bin'))), 'the same bytes back');
      await waitFor(() => sftpClients().length === 0, 10_000);
    } finally {
      await c.session.exec(['rm', '-rf', '--', remote]);
      c.close();
    }
  });

  test('auto: ssh2 for a plain host, OpenSSH for a ProxyCommand host (which then works)', async () => {
    const config = await SshConfig.load(cfg, { systemConfigFile: null });
    const dirc = new HostDirectory(config);
    const chosen: Record<string, string> = {};
    const connectFn = transportConnector({
      prompter: recordingPrompter(),
      resolve: (a) => dirc.resolve(a),
      sshConfig: config,
      settingsHost: () => undefined,
      transportFor: () => 'auto',
      configFile: cfg,
      runtimeDir: join(dir, 'rt'),
      knownHostsFiles: [d.knownHosts],
      onChosen: (a, t) => (chosen[a] = `${t.kind}: ${t.reason}`),
    });
    const plain = await connectFn('plain', { signal: signal(), explicit: true });
    assert.equal(chosen.plain, 'ssh2: built in');
    assert.equal((await plain.session.exec(['id', '-un'])).stdout.toString().trim(), d.user);
    plain.close();
    const proxied = await connectFn('viaproxy', { signal: signal(), explicit: true });
    assert.equal(chosen.viaproxy, 'openssh: needs ProxyCommand');
    assert.equal((await proxied.session.exec(['id', '-un'])).stdout.toString().trim(), d.user);
    proxied.close();
  });
});

async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
