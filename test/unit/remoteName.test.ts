/** The lossless name mapping shared by the agent and SFTP paths (src/core/remote/remoteName.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { bytesToName, displayName, isEscaped, nameToBytes } from '../../src/core/remote/remoteName';

test('an invalid byte and U+FFFD are different names, both round-trip', () => {
  const raw = Buffer.from('dup\xff.txt', 'latin1');
  const fffd = Buffer.from('dup\uFFFD.txt', 'utf8');
  const a = bytesToName(raw);
  const b = bytesToName(fffd);
  assert.notEqual(a, b);
  assert.equal(a, 'dup\uDCFF.txt');
  assert.ok(isEscaped(a));
  assert.ok(!isEscaped(b));
  assert.deepEqual(nameToBytes(a), raw);
  assert.deepEqual(nameToBytes(b), fffd);
  assert.equal(displayName(a), 'dup\uFFFD.txt');
});

test('valid UTF-8 (astral too) is untouched; overlongs, surrogates and truncations are escaped', () => {
  for (const s of ['plain', 'données 数据 🚀', '']) {
    assert.equal(bytesToName(Buffer.from(s, 'utf8')), s);
    assert.ok(!isEscaped(s));
  }
  for (const hex of ['c0af', 'eda080', 'f4908080', 'e282', 'f0', '80', 'fe', 'ff']) {
    const b = Buffer.from(hex, 'hex');
    const n = bytesToName(b);
    assert.equal(n.length, b.length, hex);
    assert.deepEqual(nameToBytes(n), b, hex);
  }
  assert.throws(() => nameToBytes('bad\uD800x'), /unpaired/);
});

test('random byte strings map back exactly, and agree with Python surrogateescape', () => {
  const samples: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const b = randomBytes(1 + (i % 24));
    samples.push(b);
    assert.deepEqual(nameToBytes(bytesToName(b)), b);
  }
  const py = execFileSync('python3', ['-B', '-c', 'import sys,json;print(json.dumps([bytes.fromhex(h).decode("utf-8","surrogateescape") for h in sys.stdin.read().split()]))'], {
    input: samples.slice(0, 300).map((b) => b.toString('hex')).join(' '),
  });
  assert.deepEqual(JSON.parse(py.toString()), samples.slice(0, 300).map(bytesToName));
});
