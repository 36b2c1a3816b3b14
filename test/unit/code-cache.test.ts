/**
 * The extension's entry loads dist/main.js through core/codeCache: on a real bundle the first load
 * writes V8's cached data, the next uses it (and runs the same code), a damaged cache is rejected
 * and rewritten, a cache of another build is removed, and a cache folder that cannot be made costs nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'rhpc-code-cache-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

interface Load {
  cache: 'used' | 'none' | 'rejected';
  answer: number;
  where: string;
}

/** Each load in its own process, as each extension host start is (V8 caches compiles per process too). */
function loadWithCodeCache(file: string, cacheDir: string): Load {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'support', 'codeCacheLoad.ts'), file, cacheDir], { encoding: 'utf8' });
  return JSON.parse(out) as Load;
}

/** A CommonJS module that uses what Node's wrapper gives it (exports, require, module, __dirname), with enough code to cache. */
function writeModule(name: string, extra = ''): string {
  const file = join(dir, name);
  const filler = Array.from({ length: 300 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i % 7}; }`).join('\n');
  writeFileSync(file, `'use strict';\n${filler}\nconst path = require('node:path');\nmodule.exports = { answer: f6(7) ${extra}, where: path.dirname(__filename) === __dirname && __dirname };\n`);
  return file;
}

const bins = (cacheDir: string) => readdirSync(cacheDir).filter((f) => f.endsWith('.bin'));

test('first load compiles and writes the cache; the next load uses it and runs the same code', async () => {
  const file = writeModule('main.js');
  const cacheDir = join(dir, 'cache-a');
  assert.deepEqual(loadWithCodeCache(file, cacheDir), { cache: 'none', answer: 48, where: dir });
  assert.equal(bins(cacheDir).length, 1);
  assert.ok(statSync(join(cacheDir, bins(cacheDir)[0])).size > 0);
  assert.deepEqual(loadWithCodeCache(file, cacheDir), { cache: 'used', answer: 48, where: dir });
});

test('a damaged cache file is rejected, the module still loads, and the cache is rewritten', async () => {
  const file = writeModule('main.js');
  const cacheDir = join(dir, 'cache-b');
  loadWithCodeCache(file, cacheDir);
  const bin = join(cacheDir, bins(cacheDir)[0]);
  const good = readFileSync(bin);
  const bad = Buffer.from(good);
  bad.fill(0x5a, 0, 64);
  writeFileSync(bin, bad);
  assert.deepEqual(loadWithCodeCache(file, cacheDir), { cache: 'rejected', answer: 48, where: dir });
  assert.equal(loadWithCodeCache(file, cacheDir).cache, 'used');
});

test("a changed file gets its own cache; the old build's cache is removed", async () => {
  const cacheDir = join(dir, 'cache-c');
  loadWithCodeCache(writeModule('main.js'), cacheDir);
  const before = bins(cacheDir);
  assert.deepEqual(loadWithCodeCache(writeModule('main.js', '+ 1'), cacheDir), { cache: 'none', answer: 49, where: dir });
  const after = bins(cacheDir);
  assert.equal(after.length, 1);
  assert.notDeepEqual(after, before);
});

test('a cache folder that cannot be made costs nothing but the cache', () => {
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, '');
  // Below a regular file: no folder can be made there, not even by root.
  const cacheDir = join(blocker, 'code-cache');
  assert.deepEqual(loadWithCodeCache(writeModule('main.js'), cacheDir), { cache: 'none', answer: 48, where: dir });
  assert.deepEqual(loadWithCodeCache(writeModule('main.js'), cacheDir), { cache: 'none', answer: 48, where: dir });
});
