/**
 * Content search's shared core (src/core/remote/search.ts): the skip report, the SFTP fallback's
 * find/grep command lines (run here on real files with the local GNU find and grep), the column of
 * a match, and that the limits equal the agent's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEARCH_MAX_FILE_SIZE, SEARCH_MAX_SKIPPED, SkipList, binaryFilesArgv, contentGrepArgv, describeSkip, describeSkips, matchColumn, skipsArgv, type GrepQuery } from '../../src/core/remote/search';

const agentPy = readFileSync(join(__dirname, '..', '..', 'src', 'core', 'agent', 'agent.py'), 'utf8');

test('search limits: the agent uses the same size limit and skip cap as the TypeScript side', () => {
  assert.match(agentPy, new RegExp(`^SEARCH_MAX_FILE_SIZE = 10 \\* 1024 \\* 1024$`, 'm'));
  assert.equal(SEARCH_MAX_FILE_SIZE, 10 * 1024 * 1024);
  assert.match(agentPy, new RegExp(`^SEARCH_MAX_SKIPPED = ${SEARCH_MAX_SKIPPED}$`, 'm'));
});

test('skip list: capped list, exact counts; one line says what was not searched', () => {
  const s = new SkipList();
  for (let i = 0; i < SEARCH_MAX_SKIPPED + 5; i++) s.add({ path: `/d/b${i}`, reason: 'binary' });
  s.add({ path: '/d/big.log', reason: 'too-big', size: 12 * 1024 * 1024 });
  const r = s.result();
  assert.equal(r.skipped.length, SEARCH_MAX_SKIPPED);
  assert.deepEqual(r.skippedCounts, { binary: SEARCH_MAX_SKIPPED + 5, 'too-big': 1 });
  assert.equal(describeSkips(r), `1 file over 10.0 MB, ${SEARCH_MAX_SKIPPED + 5} binary files`);
  assert.equal(describeSkips({ skipped: [], skippedCounts: {} }), undefined);
  const denied = {
    skipped: [
      { path: '/d/locked', reason: 'denied' as const, folder: true },
      { path: '/d/x', reason: 'unreadable' as const },
    ],
    skippedCounts: { denied: 1, unreadable: 1 },
  };
  assert.equal(describeSkips(denied), '1 folder without read permission, 1 file or folder that could not be read');
  assert.equal(
    describeSkips({ skipped: [{ path: '/a', reason: 'denied', folder: true }, { path: '/b', reason: 'denied' }], skippedCounts: { denied: 2 } }),
    '2 files or folders without read permission',
  );
  assert.equal(describeSkip({ path: '/d/big.log', reason: 'too-big', size: 12 * 1024 * 1024 }), 'too big (12.0 MB)');
  assert.equal(describeSkip({ path: '/d/locked', reason: 'denied', folder: true }), 'folder: permission denied');
  assert.equal(describeSkip({ path: '/d/b', reason: 'binary' }), 'binary');
});

test('match column: literal text by default, regex and case only when asked', () => {
  assert.equal(matchColumn('x = a.b; aXb', 'a.b', {}), 4);
  assert.equal(matchColumn('x = aXb; a.b', 'a.b', {}), 9, 'a literal dot matches only a dot');
  assert.equal(matchColumn('x = aXb; a.b', 'a.b', { regex: true }), 4);
  assert.equal(matchColumn('Needle needle', 'needle', {}), 0);
  assert.equal(matchColumn('Needle needle', 'needle', { caseSensitive: true }), 7);
  assert.equal(matchColumn('(x', '(', {}), 0, 'literal text is never an invalid regex');
  assert.equal(matchColumn('abc', '(', { regex: true }), 0, 'an invalid regex gives column 0, not an error');
});

/** NUL-separated stdout of an argv, run without a shell. */
function run(argv: string[]): string[] {
  const [cmd, ...args] = argv;
  return execFileSync(cmd ?? '', args, { encoding: 'utf8' }).split('\0');
}

test('fallback command lines: find reports big files, grep -I finds binaries, grep -F by default (local GNU tools)', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rhpc-search-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'small.txt'), 'one a.b two\nAXB\n');
  writeFileSync(join(root, 'sub', "it's big.log"), 'x'.repeat(200) + '\nA.B late\n');
  writeFileSync(join(root, 'bin.dat'), Buffer.from('\0\0a.b\n'));
  writeFileSync(join(root, 'empty'), '');
  const q: GrepQuery = { root, glob: '*', pattern: 'a.b', regex: false, caseSensitive: false, maxFileSize: 100 };
  // b\0size\0path\0 for the file over 100 bytes; root and sub are readable (this runs as any user), so no d records.
  assert.deepEqual(run(skipsArgv(q)), ['b', '210', join(root, 'sub', "it's big.log"), '']);
  assert.deepEqual(run(skipsArgv({ ...q, maxFileSize: null })), ['']);
  assert.deepEqual(run(binaryFilesArgv(q)), [join(root, 'bin.dat'), '']);
  const grep = (over: Partial<GrepQuery>) =>
    run(contentGrepArgv({ ...q, ...over }))
      .join('|')
      .split('\n')
      .filter(Boolean)
      .sort();
  assert.deepEqual(grep({}), [`${join(root, 'small.txt')}|1:one a.b two`]);
  assert.deepEqual(grep({ maxFileSize: null }), [`${join(root, 'small.txt')}|1:one a.b two`, `${join(root, 'sub', "it's big.log")}|2:A.B late`]);
  assert.deepEqual(grep({ maxFileSize: null, caseSensitive: true }), [`${join(root, 'small.txt')}|1:one a.b two`]);
  assert.deepEqual(grep({ regex: true }), [`${join(root, 'small.txt')}|1:one a.b two`, `${join(root, 'small.txt')}|2:AXB`]);
  assert.ok(contentGrepArgv(q).includes('-F') && !contentGrepArgv(q).includes('-E'));
});
