import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEGACY_TEMP_RE, TEMP_RE, isTempName, tempNameFor } from '../../src/core/remote/common';
import { isOurStaleTemp } from '../../src/core/remote/sftpOps';

test('temp names: fixed length in the target folder, matched exactly', () => {
  const long = `/d/${'x'.repeat(255)}`;
  const t = tempNameFor(long);
  assert.match(t, /^\/d\/\.remote-hpc-[0-9a-f]{16}\.tmp$/);
  assert.equal(t.length, '/d/'.length + 32);
  assert.notEqual(tempNameFor(long), t);
  assert.ok(TEMP_RE.test('.remote-hpc-0123456789abcdef.tmp'));
  for (const n of ['.remote-hpc-0123456789ABCDEF.tmp', '.remote-hpc-0123456789abcdef.tmp\n', 'x.remote-hpc-0123456789abcdef.tmp', '.a.remote-hpc-01234567.tmp']) {
    assert.ok(!TEMP_RE.test(n), n);
  }
  assert.ok(LEGACY_TEMP_RE.test('.a.txt.remote-hpc-01234567.tmp'));
  assert.ok(isTempName('.a.txt.remote-hpc-01234567.tmp') && isTempName('.remote-hpc-0123456789abcdef.tmp'));
});

test('stale temp cleanup deletes only our own files with the current naming', () => {
  const now = Date.now();
  const old = now / 1000 - 7200;
  const name = '.remote-hpc-0123456789abcdef.tmp';
  assert.ok(isOurStaleTemp(name, { uid: 1000, mtime: old }, 1000, now));
  assert.ok(!isOurStaleTemp(name, { uid: 1001, mtime: old }, 1000, now), "another user's file");
  assert.ok(!isOurStaleTemp(name, { uid: 1000, mtime: old }, undefined, now), 'unknown uid');
  assert.ok(!isOurStaleTemp(name, { uid: 1000, mtime: now / 1000 - 60 }, 1000, now), 'fresh: a save in progress');
  assert.ok(!isOurStaleTemp('.a.txt.remote-hpc-01234567.tmp', { uid: 1000, mtime: old }, 1000, now), 'legacy names stay');
});
