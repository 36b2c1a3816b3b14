/**
 * The sandbox's own check of its authentication hosts (scripts/sandbox/auth-hosts.sh), with the
 * system OpenSSH client the way a user's terminal logs in: the certificate-only sshd (2224), the
 * Kerberos/GSSAPI-only sshd (2225) and the main sshd behind a ProxyCommand. Each alias of
 * .sandbox/ssh_config logs in and runs `id -un`; each host refuses what it is there to refuse.
 * Every ssh gets argv only, BatchMode=yes, no agent and no Kerberos variables from the caller.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox, type SandboxDetails } from '../support/sandbox';
import { sandboxAuthHostsSkip } from '../support/prerequisites';

const skip = sandboxAuthHostsSkip();

let d: SandboxDetails;
let tmp: string;

before(() => {
  if (skip) return;
  d = sandbox();
  tmp = mkdtempSync(join(tmpdir(), 'rhpc-authhosts-'));
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The caller's environment without an agent or Kerberos settings, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(SSH_AUTH_SOCK|KRB5)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: cleanEnv(opts.env), timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
    });
    // a child that exits before reading its stdin (ssh refused) must not fail the test with EPIPE
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/** `ssh -F .sandbox/ssh_config -o BatchMode=yes <args…>`. */
function ssh(args: string[], env?: Record<string, string>): Promise<Result> {
  return run('ssh', ['-F', d.sshConfig, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', ...args], { env });
}

async function loginAs(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await ssh([...args, 'id', '-un'], env);
  assert.equal(r.code, 0, `ssh ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function assertRefused(r: Result, method: string, what: string): void {
  assert.equal(r.code, 255, `${what} must be refused (got exit ${r.code}, stdout ${JSON.stringify(r.stdout)})`);
  assert.match(r.stderr, new RegExp(`Permission denied \\(${method}\\)`), what);
}

test('hpc-sandbox-cert: the CA-signed short-lived certificate logs in', { skip }, async () => {
  const c = d.certificate!;
  assert.equal(await loginAs([d.sshHosts!.cert]), d.user);
  // the certificate is the one details.json describes: principal hpcuser, signed by the sandbox CA
  const info = (await run('ssh-keygen', ['-L', '-f', c.certificate])).stdout;
  const caFp = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', c.caPublicKey])).stdout.split(' ')[1];
  assert.match(info, new RegExp(`Signing CA: ED25519 ${caFp.replace(/[+/]/g, '\\$&')}`));
  assert.match(info, /Principals:\s*\n\s*hpcuser\s*\n/);
  assert.ok(Date.parse(c.validUntil) - Date.now() < 3 * 3600_000, `short validity, got ${c.validUntil}`);
});

test('hpc-sandbox-cert refuses the plain key that 2222 accepts, the bare key, a foreign CA and an expired certificate', { skip }, async () => {
  // id_ed25519 is in hpcuser's authorized_keys: 2222 takes it, 2224 (AuthorizedKeysFile none) must not
  assert.equal(await loginAs([d.sshHosts!.main]), d.user);
  assertRefused(await ssh(['-p', String(d.portCert), d.sshHosts!.main, 'id', '-un']), 'publickey', 'id_ed25519 on the certificate host');

  // The certificate's key, alone or with other certificates. ssh loads <key>-cert.pub by itself,
  // so each case is a copy of the key with the certificate under test next to it.
  const c = d.certificate!;
  const key = join(tmp, 'id_cert');
  copyFileSync(c.key, key);
  copyFileSync(`${c.key}.pub`, `${key}.pub`);
  const direct = ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', key, '-p', String(d.portCert),
    '-o', `UserKnownHostsFile=${d.knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'KexAlgorithms=curve25519-sha256', `${d.user}@127.0.0.1`, 'id', '-un'];
  const withCert = async (cert: string | null): Promise<Result> => {
    rmSync(`${key}-cert.pub`, { force: true });
    if (cert) copyFileSync(cert, `${key}-cert.pub`);
    return run('ssh', direct);
  };
  // control: this harness logs in with the real certificate
  const ok = await withCert(c.certificate);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, d.user);

  assertRefused(await withCert(null), 'publickey', 'the certificate key without a certificate');
  assertRefused(await withCert(c.expiredCertificate), 'publickey', 'an expired certificate from the sandbox CA');

  const foreignCa = join(tmp, 'foreign_ca');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', foreignCa]);
  const foreign = join(tmp, 'foreign');
  copyFileSync(`${c.key}.pub`, `${foreign}.pub`);
  const signed = await run('ssh-keygen', ['-q', '-s', foreignCa, '-I', 'intruder', '-n', d.user, '-V', '-5m:+1h', `${foreign}.pub`]);
  assert.equal(signed.code, 0, signed.stderr);
  assertRefused(await withCert(`${foreign}-cert.pub`), 'publickey', 'a certificate from another CA');
});

test('hpc-sandbox-krb: logs in with the ticket cache start.sh made (KRB5_CONFIG + KRB5CCNAME)', { skip }, async () => {
  const k = d.kerberos!;
  assert.equal(await loginAs([d.sshHosts!.kerberos], k.env), d.user);
  const list = await run('klist', ['-c', k.ccache], { env: { KRB5_CONFIG: k.krb5Config } });
  assert.match(list.stdout, new RegExp(`Default principal: ${k.principal}`));
  assert.ok(list.stdout.includes(k.hostPrincipal), `ssh fetched a service ticket for ${k.hostPrincipal}:\n${list.stdout}`);
});

test('hpc-sandbox-krb: a ticket from the keytab or the password logs in; no ticket is refused', { skip }, async () => {
  const k = d.kerberos!;
  const fromKeytab = `FILE:${join(tmp, 'cc-keytab')}`;
  const kt = await run('kinit', ['-k', '-t', k.keytab, '-c', fromKeytab, k.principal], { env: { KRB5_CONFIG: k.krb5Config } });
  assert.equal(kt.code, 0, kt.stderr);
  assert.equal(await loginAs([d.sshHosts!.kerberos], { KRB5_CONFIG: k.krb5Config, KRB5CCNAME: fromKeytab }), d.user);

  const fromPassword = `FILE:${join(tmp, 'cc-password')}`;
  const pw = await run('kinit', ['-c', fromPassword, k.principal], { env: { KRB5_CONFIG: k.krb5Config }, input: `${k.password}\n` });
  assert.equal(pw.code, 0, pw.stderr);
  assert.equal(await loginAs([d.sshHosts!.kerberos], { KRB5_CONFIG: k.krb5Config, KRB5CCNAME: fromPassword }), d.user);

  const empty = { KRB5_CONFIG: k.krb5Config, KRB5CCNAME: `FILE:${join(tmp, 'cc-none')}` };
  assertRefused(await ssh([d.sshHosts!.kerberos, 'id', '-un'], empty), 'gssapi-with-mic', 'the Kerberos host without a ticket');
  // publickey is off there: the key 2222 accepts does not get in either
  assertRefused(await ssh(['-p', String(d.portKrb), d.sshHosts!.main, 'id', '-un'], empty), 'gssapi-with-mic', 'id_ed25519 on the Kerberos host');
});

test('hpc-sandbox-proxycmd: reaches the main sshd only through its ProxyCommand', { skip }, async () => {
  const p = d.proxyCommand!;
  const cfg = (await ssh(['-G', d.sshHosts!.proxyCommand])).stdout;
  assert.match(cfg, new RegExp(`^hostname ${p.hostName.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(cfg, /^proxycommand \S*nc\.openbsd 127\.0\.0\.1 %p$/m);
  assert.equal(await loginAs([d.sshHosts!.proxyCommand]), d.user);
  // without the ProxyCommand the HostName leads nowhere
  const direct = await ssh(['-o', 'ProxyCommand=none', d.sshHosts!.proxyCommand, 'true']);
  assert.equal(direct.code, 255);
  assert.match(direct.stderr, /Could not resolve hostname/i);
});
