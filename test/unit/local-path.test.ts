/**
 * The one local-path module every download, fetch and preview write goes through: names mapped
 * to portable ones, and final paths kept inside the chosen folder, with Windows (path.win32) and
 * POSIX rules both, on any OS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { assertRealInside, containedPath, downloadTarget, isInside, localTarget, portableName, renamedNote, safeLocalTarget, UnsafeLocalPathError } from '../../src/core/local/localPath';
import { localChild } from '../../src/core/remote/transfer';

const EVIL = '..\\..\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\evil.bat';

test('the reported Windows escape: a remote name with backslashes stays inside the chosen folder', () => {
  const root = 'C:\\Users\\me\\Downloads';
  // What the old code did (path.join of the raw name) lands in the Startup folder:
  assert.equal(isInside(root, path.win32.join(root, EVIL), path.win32), false);
  const t = localTarget(root, EVIL, path.win32);
  assert.equal(path.win32.dirname(t), root);
  assert.equal(path.win32.basename(t), '..%5C..%5CAppData%5CRoaming%5CMicrosoft%5CWindows%5CStart Menu%5CPrograms%5CStartup%5Cevil.bat');
  assert.equal(localTarget('/home/me/dl', EVIL, path.posix), `/home/me/dl/${portableName(EVIL)}`);
});

test('names from a hostile server: slashes, dots and absolute paths never leave the folder', () => {
  for (const p of [path.win32, path.posix]) {
    const root = p === path.win32 ? 'D:\\out' : '/out';
    for (const rel of ['../../etc/passwd', '/etc/passwd', 'a/../../b', '..', 'C:\\Windows\\x', '\\\\server\\share\\x', 'x/..\\..\\y', 'a/./b']) {
      const t = localTarget(root, rel, p);
      assert.ok(isInside(root, t, p) && t !== root, `${rel} → ${t}`);
    }
    assert.throws(() => containedPath(root, ['..'], p), UnsafeLocalPathError);
    assert.throws(() => containedPath(root, ['a/b'], p), UnsafeLocalPathError);
    assert.throws(() => containedPath(root, [p === path.win32 ? 'a\\..\\..\\b' : '/etc'], p), UnsafeLocalPathError);
    assert.throws(() => localTarget(root, '', p), UnsafeLocalPathError);
    assert.throws(() => localTarget(root, './', p), UnsafeLocalPathError);
  }
  assert.throws(() => containedPath('D:\\out', ['C:evil'], path.win32), UnsafeLocalPathError);
});

test('non-portable names are mapped deterministically and reversibly', () => {
  const cases: [string, string][] = [
    ['plain.txt', 'plain.txt'],
    ['a:b*c?"d<e>f|g', 'a%3Ab%2Ac%3F%22d%3Ce%3Ef%7Cg'],
    ['tab\there\n', 'tab%09here%0A'],
    ['CON', '%43ON'],
    ['nul.tar.gz', '%6Eul.tar.gz'],
    ['com1 .txt', '%63om1 .txt'],
    ['LPT9', '%4CPT9'],
    ['CONSOLE.txt', 'CONSOLE.txt'],
    ['COM0', 'COM0'],
    ['trailing. ', 'trailing%2E%20'],
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['.hidden', '.hidden'],
    ['100%', '100%'],
    ['50%20off', '50%2520off'],
    ['données 🚀', 'données 🚀'],
  ];
  for (const [from, to] of cases) assert.equal(portableName(from), to, from);
  const decode = (s: string) => s.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  for (const [from] of cases) assert.equal(decode(portableName(from)), from, `reversible: ${from}`);
  assert.equal(renamedNote('dir/a:b'), 'dir/a:b → dir/a%3Ab');
  assert.equal(renamedNote('dir/ok'), undefined);
});

test('a folder inside the chosen one that links elsewhere is not written through', async () => {
  const base = mkdtempSync(path.join(tmpdir(), 'rhpc-localpath-'));
  try {
    const root = path.join(base, 'chosen');
    const outside = path.join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    mkdirSync(path.join(root, 'real'));
    symlinkSync(outside, path.join(root, 'link'));
    await assert.rejects(safeLocalTarget(root, 'link/x.txt'), UnsafeLocalPathError);
    await assert.rejects(safeLocalTarget(root, 'link/new/deeper/x.txt'), UnsafeLocalPathError);
    assert.equal(await safeLocalTarget(root, 'real/new/x.txt'), path.join(root, 'real', 'new', 'x.txt'));
    assert.equal(await safeLocalTarget(root, 'fresh/x.txt'), path.join(root, 'fresh', 'x.txt'));
    // The chosen folder itself may be a link (e.g. ~/Downloads → /data/me): its real path is the root.
    symlinkSync(root, path.join(base, 'alias'));
    await assertRealInside(path.join(base, 'alias'), path.join(base, 'alias', 'real', 'y'));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('Download planners on Windows: the picked file or folder, and every entry of a folder, stay in the folder', () => {
  const dir = 'C:\\Users\\me\\Downloads';
  // Single-file and folder Download: the old code joined posix.basename(remote) as is.
  assert.equal(isInside(dir, path.win32.join(dir, path.posix.basename(`/home/u/${EVIL}`)), path.win32), false);
  const top = downloadTarget(dir, `/home/u/${EVIL}`, 'hpc', path.win32);
  assert.equal(path.win32.dirname(top), dir);
  assert.equal(downloadTarget(dir, '/', 'hpc', path.win32), `${dir}\\hpc`);
  assert.equal(downloadTarget('/home/me', '/data/CON', 'hpc', path.posix), '/home/me/%43ON');
  // Entries of a folder download (names as the server sends them).
  const sub = `${dir}\\results`;
  assert.equal(path.win32.dirname(localChild(sub, EVIL, path.win32) ?? ''), sub);
  assert.equal(path.win32.dirname(localChild(sub, 'C:\\x.bat', path.win32) ?? ''), sub);
  for (const bad of ['..', '.', '', '../../x', '/etc/passwd', 'a\0b']) assert.equal(localChild(sub, bad, path.win32), undefined, bad);
  assert.equal(localChild('/l/r', 'a:b', path.posix), '/l/r/a%3Ab');
});
