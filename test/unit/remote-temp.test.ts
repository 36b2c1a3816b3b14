import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEGACY_TEMP_RE, TEMP_RE, isTempName, tempNameFor } from '../../src/core/remote/common';
import { aboutUserPath, onUserPath } from '../../src/core/userPath';
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

test('a failure on a temp file is told about the user\'s file: real fs errors (open in a missing folder, rename onto a folder)', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { open, rename } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'rhpc-tempname-'));
  try {
    const user = join(dir, 'missing', 'results.csv');
    const tmp = join(dir, 'missing', '.results.csv.remote-hpc-0123abcd.tmp');
    const opened = await onUserPath(tmp, user, () => open(tmp, 'wx')).then(
      () => assert.fail('opened'),
      (e: NodeJS.ErrnoException) => e,
    );
    assert.equal(opened.code, 'ENOENT', 'the code stays');
    assert.equal(opened.path, user);
    assert.match(opened.message, /results\.csv'$/);
    assert.doesNotMatch(opened.message, /remote-hpc|\.tmp/);

    // rename(tmp, folder): Node names both ("rename 'tmp' -> 'dest'"); the file is named once.
    const folder = join(dir, 'taken');
    mkdirSync(join(folder, 'inside'), { recursive: true });
    const tmp2 = join(dir, '.remote-hpc-0123456789abcdef.tmp');
    writeFileSync(tmp2, 'x');
    const renamed = await onUserPath(tmp2, folder, () => rename(tmp2, folder)).then(
      () => assert.fail('renamed'),
      (e: NodeJS.ErrnoException) => e,
    );
    assert.equal(renamed.message.split(folder).length - 1, 1, renamed.message);
    assert.doesNotMatch(renamed.message, /remote-hpc/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SFTP-style messages (quoted path, or just the temp\'s name) and strings are reworded too', () => {
  const tmp = '/scratch/run/.remote-hpc-0123456789abcdef.tmp';
  const e = aboutUserPath(Object.assign(new Error(`open ${JSON.stringify(tmp)}: Permission denied`), { code: 3, path: tmp }), tmp, '/scratch/run/out.txt') as Error & { path: string; code: number };
  assert.equal(e.message, 'open "/scratch/run/out.txt": Permission denied');
  assert.equal(e.path, '/scratch/run/out.txt');
  assert.equal(e.code, 3);
  assert.equal(aboutUserPath('cannot write .remote-hpc-0123456789abcdef.tmp', tmp, '/scratch/run/out.txt'), 'cannot write out.txt');
  const other = new Error('unrelated');
  assert.equal(aboutUserPath(other, tmp, '/x'), other);
});
