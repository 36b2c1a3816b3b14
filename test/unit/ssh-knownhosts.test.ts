import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KnownHosts,
  append,
  checkKnownHosts,
  fingerprint,
  hashHostName,
  hostMatchesPatterns,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  wildcardMatch,
} from '../../src/core/ssh/knownHosts';

const dir = mkdtempSync(join(tmpdir(), 'rhpc-kh-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh key pair from ssh-keygen; returns its public line parts. */
function genKey(name: string, type = 'ed25519'): { type: string; b64: string; blob: Buffer; pubFile: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
  const [t, b64] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
  return { type: t, b64, blob: Buffer.from(b64, 'base64'), pubFile: `${path}.pub` };
}

const k1 = genKey('k1');
const k2 = genKey('k2');
const rsa = genKey('k3', 'rsa');

test('fingerprint equals `ssh-keygen -lf` output; key type read from the blob', () => {
  for (const k of [k1, rsa]) {
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pubFile], { encoding: 'utf8' });
    assert.equal(fingerprint(k.blob), out.split(/\s+/)[1]);
    assert.equal(keyTypeOf(k.blob), k.type);
  }
  assert.match(fingerprint(k1.blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('names: port 22 bare, other ports bracketed, lowercased', () => {
  assert.equal(knownHostsName('Login.HPC', 22), 'login.hpc');
  assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
});

test('patterns: comma lists, wildcards, negation', () => {
  assert.ok(wildcardMatch('node12.hpc', 'node??.hpc'));
  assert.ok(!wildcardMatch('node123.hpc', 'node??.hpc'));
  assert.ok(wildcardMatch('a.b.c', '*.c'));
  assert.ok(hostMatchesPatterns('b.hpc', ['a.hpc', '*.hpc']));
  assert.ok(!hostMatchesPatterns('bad.hpc', ['*.hpc', '!bad.hpc']));
  assert.ok(hostMatchesPatterns('[x]:2222', ['[x]:2222']));
  assert.ok(!hostMatchesPatterns('x', ['[x]:2222']));
  assert.ok(hostMatchesPatterns('[x.hpc]:2222', ['[*.hpc]:2222']));
});

test('match, mismatch (with line), unknown, other key types, @cert-authority ignored', () => {
  const text = [
    '# comment',
    `login.hpc,10.0.0.1 ${k1.type} ${k1.b64}`,
    `@cert-authority *.hpc ${k2.type} ${k2.b64}`,
    `[login.hpc]:2222 ${k2.type} ${k2.b64} comment here`,
    `rsaonly.hpc ${rsa.type} ${rsa.b64}`,
    'garbage line',
  ].join('\n');
  const kh = new KnownHosts(parseKnownHosts(text, '/f'));
  assert.deepEqual(kh.check('login.hpc', 22, k1.type, k1.blob), { status: 'match', file: '/f', line: 2 });
  assert.deepEqual(kh.check('10.0.0.1', 22, k1.type, k1.blob), { status: 'match', file: '/f', line: 2 });
  assert.deepEqual(kh.check('LOGIN.hpc', 2222, k2.type, k2.blob), { status: 'match', file: '/f', line: 4 });
  const mm = kh.check('login.hpc', 2222, k1.type, k1.blob);
  assert.equal(mm.status, 'mismatch');
  assert.ok(mm.status === 'mismatch' && mm.line === 4 && mm.file === '/f' && mm.text.includes('[login.hpc]:2222'));
  // The CA line must not make k2 acceptable for some.hpc.
  assert.deepEqual(kh.check('some.hpc', 22, k2.type, k2.blob), { status: 'unknown', otherKeys: [] });
  // A host known only with an RSA key presenting ed25519 is "unknown" (new type), not a mismatch.
  assert.deepEqual(kh.check('rsaonly.hpc', 22, k1.type, k1.blob), {
    status: 'unknown',
    otherKeys: [{ keyType: 'ssh-rsa', fingerprint: fingerprint(rsa.blob), file: '/f', line: 5 }],
  });
});

test('a matching line wins over a mismatching one; negation excludes a line', () => {
  const text = [`*.hpc,!gw.hpc ${k2.type} ${k2.b64}`, `login.hpc ${k1.type} ${k1.b64}`].join('\n');
  const kh = new KnownHosts(parseKnownHosts(text));
  assert.equal(kh.check('login.hpc', 22, k1.type, k1.blob).status, 'match');
  assert.equal(kh.check('other.hpc', 22, k1.type, k1.blob).status, 'mismatch');
  assert.equal(kh.check('gw.hpc', 22, k1.type, k1.blob).status, 'unknown');
});

test('@revoked wins over a match', () => {
  const text = [`login.hpc ${k1.type} ${k1.b64}`, `@revoked * ${k1.type} ${k1.b64}`].join('\n');
  const r = new KnownHosts(parseKnownHosts(text, '/f')).check('login.hpc', 22, k1.type, k1.blob);
  assert.equal(r.status, 'revoked');
  assert.ok(r.status === 'revoked' && r.line === 2);
});

test('hashed entries: our HMAC-SHA1 line matches, and `ssh-keygen -F` finds it', () => {
  const file = join(dir, 'hashed_ours');
  const line = `${hashHostName('[login.hpc]:2222')} ${k1.type} ${k1.b64}\n`;
  assert.match(line, /^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} /);
  writeFileSync(file, line);
  const kh = new KnownHosts(parseKnownHosts(line));
  assert.equal(kh.check('login.hpc', 2222, k1.type, k1.blob).status, 'match');
  assert.equal(kh.check('login.hpc', 22, k1.type, k1.blob).status, 'unknown');
  assert.equal(kh.check('other.hpc', 2222, k1.type, k1.blob).status, 'unknown');
  const found = execFileSync('ssh-keygen', ['-F', '[login.hpc]:2222', '-f', file], { encoding: 'utf8' });
  assert.ok(found.includes(k1.b64), 'ssh-keygen -F finds our hashed entry');
});

test('hashed entries written by `ssh-keygen -H` match', async () => {
  const file = join(dir, 'hashed_keygen');
  writeFileSync(file, `login.hpc ${k1.type} ${k1.b64}\n[127.0.0.1]:2222 ${k2.type} ${k2.b64}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('login.hpc') && text.startsWith('|1|'), 'file is hashed');
  assert.equal((await checkKnownHosts([file], 'login.hpc', 22, k1.type, k1.blob)).status, 'match');
  assert.equal((await checkKnownHosts([file], '127.0.0.1', 2222, k2.type, k2.blob)).status, 'match');
  assert.equal((await checkKnownHosts([file], '127.0.0.1', 2222, k1.type, k1.blob)).status, 'mismatch');
  assert.equal((await checkKnownHosts([file], '127.0.0.1', 22, k2.type, k2.blob)).status, 'unknown');
});

test('append creates dir 0700 and file 0600, adds a missing newline, and ssh-keygen agrees', async () => {
  const file = join(dir, 'newdir', 'sub', 'known_hosts');
  await append(file, '127.0.0.1', 2222, k1.type, k1.blob);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'newdir', 'sub')).mode & 0o777, 0o700);
  assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:2222 ${k1.type} ${k1.b64}\n`);
  writeFileSync(file, readFileSync(file, 'utf8').trimEnd()); // no trailing newline
  await append(file, 'login.hpc', 22, k2.type, k2.blob, { hash: true });
  const lines = readFileSync(file, 'utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.ok(lines[1].startsWith('|1|'));
  assert.equal((await checkKnownHosts([file], 'login.hpc', 22, k2.type, k2.blob)).status, 'match');
  assert.ok(execFileSync('ssh-keygen', ['-F', 'login.hpc', '-f', file], { encoding: 'utf8' }).includes(k2.b64));
  assert.ok(execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file], { encoding: 'utf8' }).includes(k1.b64));
});

test('missing files count as empty', async () => {
  assert.deepEqual(await checkKnownHosts([join(dir, 'nope')], 'h', 22, k1.type, k1.blob), { status: 'unknown', otherKeys: [] });
});
