/**
 * Fetch Outputs' decisions (core/jobs/fetchPlan.ts: per-job folder names from hostile job names,
 * conflict answers with "to all", Keep Both names, the summary's counts and bytes) and fetchJobs
 * writing from this machine's own files (test/support/localOps.ts) into a temp folder.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { containedPath } from '../../src/core/local/localPath';
import { fetchSummary, jobFolderName, jobFolderSegments, keepBothName, resolveConflicts, type ConflictAnswer, type ConflictResolver } from '../../src/core/jobs/fetchPlan';
import { fetchJobs } from '../../src/core/jobs/fetchFiles';
import { LocalOps } from '../support/localOps';

const HOSTILE = ['../../etc', '..', '.', 'a/b\\c:d*e?f"g<h>i|j', 'CON', 'nul.txt', 'lpt1', ' .hidden ', 'ends with dot.', 'tab\there\nnewline', '', '%41%zz', 'C:\\Windows', '\\\\server\\share', 'x'.repeat(300), `${'é'.repeat(59)}😀😀`];

test('jobFolderName: "<name>-<id>", one portable segment inside the chosen folder on Windows and POSIX', () => {
  assert.equal(jobFolderName('train', '123'), 'train-123');
  assert.equal(jobFolderName('sweep', '77_[1-3]'), 'sweep-77_[1-3]');
  assert.equal(jobFolderName(undefined, '9'), 'job-9');
  assert.equal(jobFolderName('  ', '9'), 'job-9');
  assert.equal(jobFolderName('a/b', '5'), 'a%2Fb-5');
  assert.equal(jobFolderName('my\njob  x', '5'), 'my job x-5');
  for (const name of HOSTILE) {
    const seg = jobFolderName(name, '42');
    assert.match(seg, /-42$/);
    // eslint-disable-next-line no-control-regex -- control characters must not survive
    assert.doesNotMatch(seg, /^[. ]|[. ]$|[\\/:*?"<>|\u0000-\u001f]/, `${JSON.stringify(name)} → ${seg}`);
    assert.doesNotMatch(seg, /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i);
    assert.ok([...seg].length <= 60 * 3 + 10, `${seg.length} characters`);
    assert.ok(!/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/.test(seg.replace(/-42$/, '')), 'no half surrogate pair');
    for (const [p, root] of [
      [path.win32, 'C:\\Users\\me\\out'],
      [path.posix, '/home/me/out'],
    ] as const) {
      const dir = containedPath(root, [seg], p);
      assert.equal(p.dirname(dir), root, `${JSON.stringify(name)} → ${dir}`);
      assert.equal(p.basename(dir), seg);
    }
  }
});

test('jobFolderSegments: per-job folder by default; the old layout with the setting off', () => {
  assert.deepEqual(jobFolderSegments({ id: '12', name: 'run' }, { perJobFolder: true, several: false }), ['run-12']);
  assert.deepEqual(jobFolderSegments({ id: '12', name: 'run' }, { perJobFolder: true, several: true }), ['run-12']);
  assert.deepEqual(jobFolderSegments({ id: '12', name: 'run' }, { perJobFolder: false, several: false }), []);
  assert.deepEqual(jobFolderSegments({ id: '12', name: 'run' }, { perJobFolder: false, several: true }), ['12']);
});

test('resolveConflicts: one question per conflict until an answer is "to all"; dismissing cancels', async () => {
  const conflicts = ['a', 'b', 'c', 'd'].map((n) => ({ local: `/l/${n}`, remote: `/r/${n}` }));
  const asked: string[] = [];
  const script = (answers: ConflictAnswer[]): ConflictResolver => async (c, i, total) => {
    asked.push(`${c.local} ${i}/${total}`);
    return answers.shift();
  };
  assert.deepEqual(await resolveConflicts(conflicts, script([{ choice: 'skip' }, { choice: 'keepBoth', toAll: true }])), ['skip', 'keepBoth', 'keepBoth', 'keepBoth']);
  assert.deepEqual(asked, ['/l/a 0/4', '/l/b 1/4']);
  asked.length = 0;
  assert.equal(await resolveConflicts(conflicts, script([{ choice: 'overwrite' }])), undefined);
  assert.equal(asked.length, 2);
  assert.deepEqual(await resolveConflicts([], script([])), []);
});

test('keepBothName: "name (1).ext", the next free number, .tar.* kept whole, dot files', () => {
  const none = () => false;
  assert.equal(keepBothName('run1.csv', none), 'run1 (1).csv');
  assert.equal(keepBothName('run1.csv', (n) => ['run1 (1).csv', 'run1 (2).csv'].includes(n)), 'run1 (3).csv');
  assert.equal(keepBothName('data.tar.gz', none), 'data (1).tar.gz');
  assert.equal(keepBothName('a.b.c', none), 'a.b (1).c');
  assert.equal(keepBothName('.env', none), '.env (1)');
  assert.equal(keepBothName('.config.json', none), '.config (1).json');
  assert.equal(keepBothName('Makefile', none), 'Makefile (1)');
});

test('fetchSummary: files and bytes as written (a 312-byte file is not "0 KB"), then replaced, kept, skipped, failed', () => {
  assert.equal(fetchSummary({ written: 3, overwritten: 0, keptBoth: 0, skipped: 0, failed: 0, bytes: 312 }, '/out'), 'Fetched 3 files (312 B) to /out.');
  assert.equal(fetchSummary({ written: 1, overwritten: 0, keptBoth: 0, skipped: 0, failed: 0, bytes: 2560 }, '/out'), 'Fetched 1 file (2.5 KB) to /out.');
  assert.equal(
    fetchSummary({ written: 3, overwritten: 1, keptBoth: 1, skipped: 2, failed: 1, bytes: 3 * 1024 * 1024 }, '/out'),
    'Fetched 3 files (3.0 MB) to /out: 1 replaced, 1 kept beside the existing file, 2 files skipped (already there), 1 failed.',
  );
  assert.equal(fetchSummary({ written: 0, overwritten: 0, keptBoth: 0, skipped: 1, failed: 0, bytes: 0 }, '/out', true), 'Cancelled. Fetched 0 files (0 B) to /out: 1 file skipped (already there).');
});

describe('fetchJobs on this machine', () => {
  let src: string;
  let dest: string;
  const ops = new LocalOps();
  const never: ConflictResolver = () => Promise.reject(new Error('asked about a conflict'));
  const files = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  const job = (id: string, name: string, rels: string[]) => ({ ops, id, name, files: rels.map((r) => ({ remote: path.join(src, id, r), relative: r })) });

  beforeEach(() => {
    src = mkdtempSync(path.join(tmpdir(), 'rhpc-fetch-src-'));
    dest = mkdtempSync(path.join(tmpdir(), 'rhpc-fetch-dest-'));
    for (const id of ['1', '2']) {
      mkdirSync(path.join(src, id, 'results'), { recursive: true });
      writeFileSync(path.join(src, id, 'results', 'run1.csv'), `job ${id}\n`);
      writeFileSync(path.join(src, id, 'log.txt'), 'log');
    }
  });
  afterEach(() => {
    rmSync(src, { recursive: true, force: true });
    rmSync(dest, { recursive: true, force: true });
  });

  test('two jobs with the same output names land in their own folders; counts and bytes are what was written', async () => {
    const r = await fetchJobs(dest, [job('1', '../evil', ['results/run1.csv', 'log.txt']), job('2', 'evil', ['results/run1.csv', 'log.txt'])], { perJobFolder: true, resolve: never });
    assert.deepEqual(files(dest), ['%2Fevil-1/log.txt', '%2Fevil-1/results/run1.csv', 'evil-2/log.txt', 'evil-2/results/run1.csv']);
    assert.deepEqual(r.counts, { written: 4, overwritten: 0, keptBoth: 0, skipped: 0, failed: 0, bytes: 2 * ('job 1\n'.length + 3) });
    assert.equal(readFileSync(path.join(dest, 'evil-2', 'results', 'run1.csv'), 'utf8'), 'job 2\n');
  });

  test('flat layout, one job fetched twice: asked, and Skip / Overwrite / Keep Both do what they say', async () => {
    const one = job('1', 'x', ['results/run1.csv', 'log.txt']);
    await fetchJobs(dest, [one], { perJobFolder: false, resolve: never });
    writeFileSync(path.join(dest, 'results', 'run1.csv'), 'my edit');
    writeFileSync(path.join(dest, 'log.txt'), 'my log');
    const asked: string[] = [];
    const skip = await fetchJobs(dest, [one], {
      perJobFolder: false,
      resolve: async (c, i, total) => (asked.push(`${path.relative(dest, c.local)} ${i + 1}/${total}`), { choice: 'skip', toAll: true }),
    });
    assert.deepEqual(asked, [`results${path.sep}run1.csv 1/2`]);
    assert.deepEqual(skip.counts, { written: 0, overwritten: 0, keptBoth: 0, skipped: 2, failed: 0, bytes: 0 });
    assert.equal(readFileSync(path.join(dest, 'results', 'run1.csv'), 'utf8'), 'my edit');

    const both = await fetchJobs(dest, [one], { perJobFolder: false, resolve: async () => ({ choice: 'keepBoth' }) });
    assert.deepEqual(files(dest), ['log (1).txt', 'log.txt', 'results/run1 (1).csv', 'results/run1.csv']);
    assert.equal(readFileSync(path.join(dest, 'results', 'run1.csv'), 'utf8'), 'my edit');
    assert.equal(readFileSync(path.join(dest, 'results', 'run1 (1).csv'), 'utf8'), 'job 1\n');
    assert.deepEqual(both.counts, { written: 2, overwritten: 0, keptBoth: 2, skipped: 0, failed: 0, bytes: 9 });

    const answers: ConflictAnswer[] = [{ choice: 'overwrite' }, { choice: 'skip' }];
    const over = await fetchJobs(dest, [one], { perJobFolder: false, resolve: async () => answers.shift() });
    assert.equal(readFileSync(path.join(dest, 'results', 'run1.csv'), 'utf8'), 'job 1\n');
    assert.equal(readFileSync(path.join(dest, 'log.txt'), 'utf8'), 'my log');
    assert.deepEqual(over.counts, { written: 1, overwritten: 1, keptBoth: 0, skipped: 1, failed: 0, bytes: 6 });

    await assert.rejects(fetchJobs(dest, [one], { perJobFolder: false, resolve: async () => undefined }), { name: 'CancelledError' });
    assert.deepEqual(files(dest), ['log (1).txt', 'log.txt', 'results/run1 (1).csv', 'results/run1.csv']);
  });

  test('flat layout, two files of one fetch on one name: the second is a conflict too (case folded where the OS does)', async () => {
    writeFileSync(path.join(src, '2', 'LOG.TXT'), 'upper');
    const two = { ops, id: '2', files: [{ remote: path.join(src, '2', 'log.txt'), relative: 'log.txt' }, { remote: path.join(src, '2', 'LOG.TXT'), relative: 'LOG.TXT' }] };
    const asked: string[] = [];
    const r = await fetchJobs(dest, [two], { perJobFolder: false, foldCase: true, resolve: async (c) => (asked.push(path.basename(c.local)), { choice: 'keepBoth' }) });
    assert.deepEqual(asked, ['LOG.TXT']);
    assert.deepEqual(files(dest), ['LOG (1).TXT', 'log.txt']);
    assert.equal(r.counts.keptBoth, 1);
  });

  test('a cancelled fetch leaves no partial or temporary file', async () => {
    const big = path.join(src, '1', 'big.bin');
    writeFileSync(big, Buffer.alloc(9 * 1024 * 1024, 7));
    const abort = new AbortController();
    const r = await fetchJobs(dest, [{ ops, id: '1', name: 'b', files: [{ remote: path.join(src, '1', 'log.txt'), relative: 'log.txt' }, { remote: big, relative: 'big.bin' }, { remote: path.join(src, '1', 'results', 'run1.csv'), relative: 'run1.csv' }] }], {
      perJobFolder: true,
      resolve: never,
      signal: abort.signal,
      onBytes: (n) => n === 4 * 1024 * 1024 && abort.abort(),
    });
    assert.equal(r.cancelled, true);
    assert.deepEqual(r.counts, { written: 1, overwritten: 0, keptBoth: 0, skipped: 0, failed: 0, bytes: 3 });
    assert.deepEqual(readdirSync(path.join(dest, 'b-1')), ['log.txt']);
  });

  test('a file that cannot be read is counted as failed, the others are written', async () => {
    const r = await fetchJobs(dest, [job('1', 'j', ['nope.txt', 'log.txt'])], { perJobFolder: true, resolve: never });
    assert.equal(r.counts.written, 1);
    assert.equal(r.counts.failed, 1);
    assert.match(r.failed[0] ?? '', /nope\.txt/);
    assert.deepEqual(files(dest), ['j-1/log.txt']);
  });
});
