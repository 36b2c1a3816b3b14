/**
 * The OpenSSH transport's pure parts: what ssh asks through SSH_ASKPASS, `ssh -G` output
 * (recorded, test/fixtures/openssh/README.md) into a HostConfig, the `auto` choice on each
 * platform, ssh's failure messages, the private runtime folder, and the askpass helper and
 * process channel with real local processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyQuestion } from '../../src/core/ssh/openssh/prompts';
import { cipherArgs, parseSshG } from '../../src/core/ssh/openssh/binary';
import { masterError, privateDir } from '../../src/core/ssh/openssh/connector';
import { AskpassServer } from '../../src/core/ssh/openssh/askpass';
import { ProcessChannel } from '../../src/core/ssh/openssh/processChannel';
import { SshConfig } from '../../src/core/ssh/sshConfig';
import { chooseTransport, needsOpenSsh } from '../../src/core/ssh/transportChoice';
import { settingsHostOptions } from '../../src/core/ssh/transportConnector';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'openssh', name), 'utf8');

test('ssh questions are told apart from their OpenSSH wording', () => {
  assert.deepEqual(classifyQuestion("Enter passphrase for key '/home/a/.ssh/id_ed25519': "), { kind: 'passphrase', keyPath: '/home/a/.ssh/id_ed25519' });
  assert.deepEqual(classifyQuestion("hpcuser@127.0.0.1's password: "), { kind: 'password', user: 'hpcuser', host: '127.0.0.1' });
  assert.deepEqual(classifyQuestion("(alice@login.example.org) alice@login.example.org's password: "), { kind: 'password', user: 'alice', host: 'login.example.org' });
  const hostKey =
    "The authenticity of host '[127.0.0.1]:2224 ([127.0.0.1]:2224)' can't be established.\n" +
    'ED25519 key fingerprint is SHA256:5Xl0mQmHcJqk1Ew3hN7zG0t1xXr4s0F3J2cQe8r0aQ4.\n' +
    'This key is not known by any other names.\n' +
    'Are you sure you want to continue connecting (yes/no/[fingerprint])? ';
  assert.deepEqual(classifyQuestion(hostKey), { kind: 'hostkey', host: '127.0.0.1', port: 2224, keyType: 'ED25519', fingerprint: 'SHA256:5Xl0mQmHcJqk1Ew3hN7zG0t1xXr4s0F3J2cQe8r0aQ4' });
  assert.deepEqual(classifyQuestion('(hpcuser@127.0.0.1) One-time password (OATH) for `hpcuser\': '), { kind: 'prompt', prompt: '(hpcuser@127.0.0.1) One-time password (OATH) for `hpcuser\': ' });
  assert.equal(classifyQuestion('Allow use of key /k? (yes/no)').kind, 'confirm');
});

test('ssh -G output becomes the same HostConfig our parser would give (recorded from the sandbox config)', async () => {
  const g = parseSshG(fixture('ssh-G-hpc-sandbox.txt'));
  assert.deepEqual(g.get('identityfile'), ['/work/main/.sandbox/keys/id_ed25519']);
  const cfg = SshConfig.empty({ home: '/home/me', localUser: 'me', localHost: 'laptop', env: {} }).fromEffective('hpc-sandbox', g);
  assert.equal(cfg.hostName, '127.0.0.1');
  assert.equal(cfg.port, 2222);
  assert.equal(cfg.user, 'hpcuser');
  assert.equal(cfg.identitiesOnly, true);
  assert.deepEqual(cfg.identityFiles, ['/work/main/.sandbox/keys/id_ed25519']);
  assert.deepEqual(cfg.knownHostsFiles, ['/work/main/.sandbox/known_hosts']);
  assert.equal(cfg.strictHostKeyChecking, 'yes'); // printed as "true"
  assert.equal(cfg.connectTimeoutMs, undefined); // "none"
  assert.equal(cfg.proxyCommand, undefined);

  const c = SshConfig.empty({ home: '/home/me', localUser: 'me', localHost: 'laptop', env: {} }).fromEffective('cert-host', parseSshG(fixture('ssh-G-cert-host.txt')));
  assert.deepEqual(c.proxyJump, ['gw1', 'gw2']);
  assert.deepEqual(c.identityFiles, ['/home/me/.ssh/nersc']);
  assert.deepEqual(c.knownHostsFiles, ['/root/.ssh/known_hosts', '/root/.ssh/known_hosts2']); // ssh -G prints these expanded
});

test('auto picks OpenSSH for what ssh2 cannot do, ssh2 otherwise; Windows stays on ssh2 and says why', () => {
  const cert = parseSshG(fixture('ssh-G-cert-host.txt'));
  const krb = parseSshG(fixture('ssh-G-krb.txt'));
  const plain = parseSshG(fixture('ssh-G-hpc-sandbox.txt'));
  const home = '/home/nobody-x';
  assert.equal(needsOpenSsh(cert, home), 'CertificateFile');
  assert.equal(needsOpenSsh(krb, home), 'GSSAPI (Kerberos)');
  assert.equal(needsOpenSsh(plain, home), undefined);
  assert.equal(needsOpenSsh(new Map([['proxycommand', ['nc %h %p']]])), 'ProxyCommand');
  assert.equal(needsOpenSsh(new Map([['proxycommand', ['none']]])), undefined);
  assert.equal(needsOpenSsh(new Map([['pkcs11provider', ['/usr/lib/opensc-pkcs11.so']]])), 'PKCS11Provider');

  // A key with its certificate beside it (ssh loads <key>-cert.pub by itself), and a FIDO key.
  const dir = mkdtempSync(join(tmpdir(), 'rhpc-choice-'));
  writeFileSync(join(dir, 'id_a'), 'k');
  writeFileSync(join(dir, 'id_a-cert.pub'), 'ssh-ed25519-cert-v01@openssh.com AAAA');
  writeFileSync(join(dir, 'id_sk'), 'k');
  writeFileSync(join(dir, 'id_sk.pub'), 'sk-ssh-ed25519@openssh.com AAAA');
  assert.equal(needsOpenSsh(new Map([['identityfile', [join(dir, 'id_a')]]])), 'an SSH certificate beside the key');
  assert.equal(needsOpenSsh(new Map([['identityfile', [join(dir, 'id_sk')]]])), 'a security key (sk-)');
  rmSync(dir, { recursive: true, force: true });

  for (const platform of ['linux', 'darwin'] as const) {
    assert.deepEqual(chooseTransport({ setting: 'auto', platform, sshAvailable: true, effective: cert, home }), { kind: 'openssh', reason: 'needs CertificateFile' });
    assert.deepEqual(chooseTransport({ setting: 'auto', platform, sshAvailable: true, effective: plain, home }), { kind: 'ssh2', reason: 'built in' });
    assert.deepEqual(chooseTransport({ setting: 'auto', platform, sshAvailable: true, effective: plain, userMaster: true, home }), { kind: 'openssh', reason: 'reusing your ssh master' });
    assert.equal(chooseTransport({ setting: 'auto', platform, sshAvailable: false, effective: cert, home }).kind, 'ssh2');
  }
  const win = chooseTransport({ setting: 'auto', platform: 'win32', sshAvailable: true, effective: krb, userMaster: true, home });
  assert.equal(win.kind, 'ssh2');
  assert.match(win.reason, /GSSAPI.*no ControlMaster/);
  assert.equal(chooseTransport({ setting: 'openssh', platform: 'win32', sshAvailable: true }).kind, 'error');
  assert.equal(chooseTransport({ setting: 'openssh', platform: 'linux', sshAvailable: false }).kind, 'error');
  assert.deepEqual(chooseTransport({ setting: 'openssh', platform: 'linux', sshAvailable: true, effective: plain }), { kind: 'openssh', reason: 'set in remoteHpc.transport' });
  assert.deepEqual(chooseTransport({ setting: 'ssh2', platform: 'linux', sshAvailable: true, effective: cert }), { kind: 'ssh2', reason: 'set in remoteHpc.transport' });
});

test("ssh's own failure messages map to the same error kinds as ssh2's", () => {
  assert.equal(masterError('h', 'hpcuser@127.0.0.1: Permission denied (publickey).', false).kind, 'auth-failed');
  assert.equal(masterError('h', 'Permission denied (publickey,password).', true).interactive, true);
  assert.equal(masterError('h', 'ssh: connect to host 127.0.0.1 port 2999: Connection refused', false).kind, 'unreachable');
  assert.equal(masterError('h', 'ssh: Could not resolve hostname nope: Name or service not known', false).kind, 'unreachable');
  assert.equal(masterError('h', '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.', false).kind, 'host-key-mismatch');
  assert.equal(masterError('h', 'Host key verification failed.', false).kind, 'host-key-rejected');
  assert.equal(masterError('h', 'ssh: connect to host 10.0.0.1 port 22: Connection timed out', false).kind, 'timeout');
  const stopped = masterError('h', '', true, 'the one-time code for a@h was not accepted');
  assert.equal(stopped.kind, 'auth-failed');
  assert.match(stopped.message, /one-time code/);
});

test('the runtime folder for control sockets is private, and a shared one is refused', () => {
  const base = mkdtempSync(join(tmpdir(), 'rhpc-rt-'));
  const ok = privateDir(join(base, 'mine'));
  assert.ok(ok.endsWith('mine'));
  chmodSync(ok, 0o755);
  assert.throws(() => privateDir(ok), /only you can use/);
  rmSync(base, { recursive: true, force: true });
});

test('settings hosts reach ssh as -o options', () => {
  assert.deepEqual(settingsHostOptions({ name: 'x', hostName: 'login.example.org', user: 'a', port: 2200, identityFile: '/k', proxyJump: 'gw' }), {
    HostName: 'login.example.org',
    User: 'a',
    Port: '2200',
    IdentityFile: '/k',
    ProxyJump: 'gw',
  });
});

test('the askpass helper carries a question to the prompter and the answer back, and refuses a wrong token', async () => {
  const dir = privateDir(mkdtempSync(join(tmpdir(), 'rhpc-ap-')));
  const asked: string[] = [];
  const server = await AskpassServer.start(dir, async (q) => {
    asked.push(q);
    return q.includes('cancel') ? undefined : `answer to ${q}`;
  });
  const run = (prompt: string, env: NodeJS.ProcessEnv = server.env as unknown as NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; out: string }>((resolve) =>
      execFile(server.env.SSH_ASKPASS, [prompt], { env }, (err, out) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out })),
    );
  assert.deepEqual(await run("a@b's password: "), { code: 0, out: "answer to a@b's password: \n" });
  assert.equal((await run('please cancel')).code, 1);
  assert.equal((await run('x', { ...server.env, REMOTE_HPC_ASKPASS_TOKEN: 'wrong' } as unknown as NodeJS.ProcessEnv)).code, 1);
  assert.deepEqual(asked, ["a@b's password: ", 'please cancel']);
  // Nothing secret in the environment the helper gets: paths, the token, flags.
  assert.ok(!Object.values(server.env).some((v) => v.includes('answer')));
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a process channel strips its prelude line, passes output through and reports the exit code', async () => {
  const child = spawn('/bin/sh', ['-c', 'printf "%s\\n" "$$" >&2; echo out; cat; echo err >&2; exit 5'], { stdio: 'pipe' });
  let pid = '';
  const ch = new ProcessChannel(child, {}, { stream: 'stderr', onLine: (l) => (pid = l) });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  ch.on('data', (d: Buffer) => out.push(d));
  ch.stderr.on('data', (d: Buffer) => err.push(d));
  ch.end('typed\n');
  const [code] = await new Promise<unknown[]>((resolve) => ch.on('close', (...a: unknown[]) => resolve(a)));
  assert.equal(code, 5);
  assert.equal(pid, String(child.pid));
  assert.equal(Buffer.concat(out).toString(), 'out\ntyped\n');
  assert.equal(Buffer.concat(err).toString(), 'err\n');
});

test('input to a pty channel waits for the prelude line, which a pty would otherwise echo it ahead of', async () => {
  // Stands in for a pty: echoes input the moment it comes, prints the prelude's line only later.
  const ptyLike = "process.stdin.on('data', (d) => process.stdout.write(d)); process.stdin.on('end', () => process.exit(0)); setTimeout(() => process.stdout.write('/dev/pts/9\\n'), 300)";
  const child = spawn(process.execPath, ['-e', ptyLike], { stdio: 'pipe' });
  const lines: string[] = [];
  const ch = new ProcessChannel(child, {}, { stream: 'stdout', onLine: (l) => lines.push(l), holdInput: true });
  const out: Buffer[] = [];
  ch.on('data', (d: Buffer) => out.push(d));
  ch.end('typed at once\n');
  await new Promise((resolve) => ch.on('close', resolve));
  assert.deepEqual(lines, ['/dev/pts/9']);
  assert.equal(Buffer.concat(out).toString(), 'typed at once\n');
});

test('our own master offers AES-GCM first only where the user chose no ciphers (ssh -G recorded from the sandbox)', () => {
  const chosenByNobody = parseSshG(fixture('ssh-G-hpc-sandbox.txt'));
  assert.deepEqual(cipherArgs(chosenByNobody), ['-o', 'Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr']);
  const own = parseSshG(fixture('ssh-G-hpc-sandbox.txt').replace(/^ciphers .*$/m, 'ciphers chacha20-poly1305@openssh.com'));
  assert.deepEqual(cipherArgs(own), [], "the user's Ciphers line is kept as it is");
});
