import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalOps } from '../support/localOps';
import { FileTooLargeError, readWholeFile } from '../../src/core/remote/wholeFile';
import type { RemoteOps } from '../../src/core/remote/types';

const dir = mkdtempSync(join(tmpdir(), 'rhpc-whole-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a file over the limit is refused from its size alone, before any byte is read', async () => {
  const ops = new LocalOps();
  const big = join(dir, 'big.bin');
  writeFileSync(big, Buffer.alloc(4096, 1));
  await assert.rejects(readWholeFile(ops, big, 1024), (e: unknown) => e instanceof FileTooLargeError && e.size === 4096 && /Download/.test(e.message));
  assert.equal(ops.bytesRead, 0);
  const ok = join(dir, 'ok.txt');
  writeFileSync(ok, 'hello');
  assert.equal((await readWholeFile(ops, ok, 1024)).toString(), 'hello');
  const link = join(dir, 'link.txt');
  symlinkSync(ok, link);
  assert.equal((await readWholeFile(ops, link, 1024)).toString(), 'hello');
});

test('a remote that announces less than it sends is cut off at the limit and refused', async () => {
  const ops = new LocalOps();
  const liar: RemoteOps = Object.assign(Object.create(ops) as RemoteOps, {
    stat: async () => [{ type: 'file', size: 10, mtimeMs: 0, mode: 0o644 }],
    readFile: async (_p: string, range?: { offset: number; length: number }) => Buffer.alloc(Math.min(range?.length ?? 1 << 30, 1 << 30), 7),
  });
  await assert.rejects(readWholeFile(liar, '/x', 1 << 20), FileTooLargeError);
});

test('a file that grew past the slack while opening is refused rather than cut short', async () => {
  const ops = new LocalOps();
  const liar: RemoteOps = Object.assign(Object.create(ops) as RemoteOps, {
    stat: async () => [{ type: 'file', size: 10, mtimeMs: 0, mode: 0o644 }],
    readFile: async (_p: string, range?: { offset: number; length: number }) => Buffer.alloc(range?.length ?? 0, 7),
  });
  await assert.rejects(readWholeFile(liar, '/x', 64 << 20), /grew/);
});

test('FIFOs and folders are refused without opening them', async () => {
  const ops = new LocalOps();
  const fifo = join(dir, 'results.csv');
  execFileSync('mkfifo', [fifo]);
  mkdirSync(join(dir, 'sub'));
  await assert.rejects(readWholeFile(ops, fifo), /not a regular file/);
  await assert.rejects(readWholeFile(ops, join(dir, 'sub')), { code: 'is-a-directory' });
  await assert.rejects(readWholeFile(ops, join(dir, 'missing')), { code: 'not-found' });
});
