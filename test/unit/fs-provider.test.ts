/**
 * The hpc: FileSystemProvider over the real LocalOps (this machine's file system standing in for
 * the remote), with the vscode fake: results, FileSystemError codes, change events, watches that
 * never open a connection by themselves.
 */
import '../support/vscode/register';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { HpcFileSystemProvider } from '../../src/fs/hpcFileSystem';
import { hpcUri } from '../../src/fs/hpcUri';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps, RemoteOpsProvider } from '../../src/core/remote/types';
import { LocalOps } from '../support/localOps';
import { waitUntil } from '../support/wait';

const HOSTILE = `it's "q" $(touch pwned) \`id\` ✓ 名前`;
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rhpc-fsprov-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A provider whose host `h` is served by LocalOps; `asked` counts every ops() call. */
function setup(connected = true) {
  const ops = new LocalOps();
  const invalidate = new vscode.EventEmitter<string>();
  const state = { connected, asked: 0 };
  const remote: RemoteOpsProvider = {
    ops: async (host) => {
      state.asked++;
      if (host !== 'h') throw new Error(`connect ${host}: getaddrinfo ENOTFOUND`);
      return ops as RemoteOps;
    },
    onDidInvalidate: (l) => invalidate.event(l),
  };
  const fs = new HpcFileSystemProvider(remote, silentLogger, () => state.connected);
  const changes: string[] = [];
  fs.onDidChangeFile((evs) => changes.push(...evs.map((e) => `${vscode.FileChangeType[e.type]} ${e.uri.path}`)));
  return { fs, state, invalidate, changes };
}

/** The FileSystemError code an operation fails with (thrown at once or rejected). */
async function codeOf(op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
  } catch (e) {
    assert.ok(e instanceof vscode.FileSystemError, `a FileSystemError, not ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

test('write, stat, list and read a hostile name; each change announced', async () => {
  const { fs, changes } = setup();
  const file = hpcUri('h', join(dir, HOSTILE));
  await fs.writeFile(file, Buffer.from('hello'), { create: true, overwrite: false });
  assert.equal(readFileSync(join(dir, HOSTILE), 'utf8'), 'hello');
  const st = await fs.stat(file);
  assert.equal(st.type, vscode.FileType.File);
  assert.equal(st.size, 5);
  assert.deepEqual(await fs.readDirectory(hpcUri('h', dir)), [[HOSTILE, vscode.FileType.File]]);
  assert.equal(Buffer.from(await fs.readFile(file)).toString(), 'hello');
  await fs.writeFile(file, Buffer.from('again'), { create: false, overwrite: true });
  await fs.createDirectory(hpcUri('h', join(dir, 'sub')));
  await fs.rename(file, hpcUri('h', join(dir, 'sub', 'moved')), { overwrite: false });
  await fs.delete(hpcUri('h', join(dir, 'sub')), { recursive: true });
  assert.deepEqual(changes, [
    `Created ${join(dir, HOSTILE)}`,
    `Changed ${join(dir, HOSTILE)}`,
    `Created ${join(dir, 'sub')}`,
    `Deleted ${join(dir, HOSTILE)}`,
    `Created ${join(dir, 'sub', 'moved')}`,
    `Deleted ${join(dir, 'sub')}`,
  ]);
  fs.dispose();
});

test('failures become the FileSystemError VS Code expects', async () => {
  const { fs } = setup();
  const at = (p: string) => hpcUri('h', join(dir, p));
  writeFileSync(join(dir, 'plain'), 'x');
  mkdirSync(join(dir, 'full'));
  writeFileSync(join(dir, 'full', 'f'), 'x');
  assert.equal(await codeOf(() => fs.stat(at('missing'))), 'FileNotFound');
  assert.equal(await codeOf(() => fs.readFile(at('missing'))), 'FileNotFound');
  assert.equal(await codeOf(() => fs.readDirectory(at('plain'))), 'FileNotADirectory');
  assert.equal(await codeOf(() => fs.createDirectory(at('full'))), 'FileExists');
  assert.equal(await codeOf(() => fs.writeFile(at('plain'), Buffer.from('y'), { create: true, overwrite: false })), 'FileExists');
  assert.equal(await codeOf(() => fs.writeFile(at('nothing'), Buffer.from('y'), { create: false, overwrite: true })), 'FileNotFound');
  assert.equal(await codeOf(() => fs.delete(at('full'), { recursive: false })), 'Unknown', 'not empty: a plain FileSystemError');
  assert.equal(await codeOf(() => fs.delete(hpcUri('h', '/'), { recursive: true })), 'NoPermissions');
  assert.equal(await codeOf(() => fs.copy(at('full'), at('full/inside'), { overwrite: false })), 'NoPermissions');
  assert.equal(await codeOf(() => fs.rename(at('plain'), hpcUri('other', join(dir, 'plain')), { overwrite: false })), 'NoPermissions');
  assert.equal(await codeOf(() => fs.stat(hpcUri('other', '/'))), 'Unavailable');
  assert.equal(readFileSync(join(dir, 'plain'), 'utf8'), 'x', 'nothing was overwritten');
  chmodSync(join(dir, 'plain'), 0o444);
  assert.equal((await fs.stat(at('plain'))).permissions, vscode.FilePermission.Readonly);
  fs.dispose();
});

test('a watch never connects by itself: it attaches when the host connects and reports remote changes', async () => {
  const { fs, state, invalidate, changes } = setup(false);
  const sub = join(dir, 'watched');
  mkdirSync(sub);
  const w = fs.watch(hpcUri('h', sub), { recursive: false, excludes: [] });
  await new Promise((r) => setImmediate(r));
  assert.equal(state.asked, 0, 'no connection for a watch of a disconnected host');
  state.connected = true;
  invalidate.fire('h');
  await waitUntil('the watch attached', () => state.asked === 1, 5000);
  await new Promise((r) => setImmediate(r));
  writeFileSync(join(sub, 'new file'), 'x');
  await waitUntil('the created event', () => changes.includes(`Created ${join(sub, 'new file')}`), 5000);
  w.dispose();
  fs.dispose();
});
