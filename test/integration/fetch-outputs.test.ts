/**
 * Fetch Outputs' core (src/core/jobs/fetchFiles.ts + expandOutputs) against the sandbox, over
 * the agent and the SFTP fallback: a job folder holding links to a secret folder, to /etc and to
 * itself, and a file whose name holds Windows separators. Folder links leaving the job folder
 * and loops are not followed (and are reported); links inside it are (once per real folder); every local file stays
 * in the chosen folder. Then fetchJobs as Fetch Outputs runs it: a second fetch after a local edit
 * asks (through the conflict-resolver callback) and replaces nothing without a yes, two jobs with
 * the same output names get a folder each, counts and bytes are what was written, and a
 * cancelled fetch leaves no partial file.
 */
import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { connectDirect, sandboxAvailable, TRANSPORTS } from '../support/sandbox';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import { fetchJobs, planOutputs, remoteLister, remoteRealpaths } from '../../src/core/jobs/fetchFiles';
import { fetchSummary, type ConflictAnswer, type ConflictResolver } from '../../src/core/jobs/fetchPlan';
import { expandOutputs } from '../../src/core/jobs/outputGlob';
import type { RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';

const skip = sandboxAvailable() ? false : 'sandbox not running (npm run sandbox:start)';
const never: ConflictResolver = (c) => Promise.reject(new Error(`asked about ${c.local}`));

function listLocal(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

for (const transport of TRANSPORTS)
  for (const kind of ['agent', 'sftp'] as const) {
    describe(`Fetch Outputs over ${kind}: folder links (${transport})`, { skip }, () => {
      let conn: { session: Session; close(): void };
      let ops: RemoteOps;
      let base: string;
      let job: string;
      let local: string;

      before(async () => {
        conn = await connectDirect({ transport });
        ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
        base = `${await ops.home()}/rhpc-fetch-${kind}-${randomBytes(4).toString('hex')}`;
        job = `${base}/job`;
        const script = [
          'set -e',
          'mkdir -p "$1/job/sub" "$1/secret"',
          'echo key > "$1/secret/authorized_keys"',
          'echo out > "$1/job/out.txt"',
          'echo data > "$1/job/sub/data.txt"',
          'printf evil > "$1/job/..\\\\..\\\\evil.bat"',
          'ln -s "$1/secret" "$1/job/x"',
          'ln -s /etc "$1/job/etc"',
          'ln -s . "$1/job/loop"',
          'ln -s ../job/sub "$1/job/inner"',
          'ln -s "$1/secret/authorized_keys" "$1/job/keyfile"',
        ].join('\n');
        const r = await conn.session.exec(['sh', '-c', script, 'sh', base]);
        assert.equal(r.code, 0, r.stderr.toString());
        local = mkdtempSync(join(tmpdir(), `rhpc-fetch-${kind}-`));
      });

      after(async () => {
        await conn.session.exec(['rm', '-rf', '--', base]).catch(() => undefined);
        rmSync(local, { recursive: true, force: true });
        ops.dispose();
        conn.close();
      });

      test('realpath on the cluster: resolved, null where missing, answers aligned', async () => {
        assert.deepEqual(await remoteRealpaths(ops, [`${job}/loop`, `${job}/nope`, `${job}/inner`]), [job, null, `${job}/sub`]);
      });

      test('declared outputs "**" and "." take the job folder, not what its links point at', async () => {
        for (const pattern of ['**', '.']) {
          const r = await planOutputs(ops, job, [pattern]);
          const got = r.files.map((f) => f.relative.replace(/^\.\//, '')).sort();
          assert.ok(!got.some((f) => /^(x|etc|loop)\//.test(f) || f.includes('authorized_keys')), `${pattern}: ${got.join(', ')}`);
          assert.ok(got.includes('out.txt') && got.includes('sub/data.txt') && got.includes('keyfile'), `${pattern}: ${got.join(', ')}`);
          assert.ok(got.length < 10, `${pattern}: ${got.length} files`);
          const why = r.skipped.join('\n');
          assert.match(why, /\/x: a link to a folder outside/);
          assert.match(why, /\/etc: a link to a folder outside/);
          assert.match(why, /\/loop: .* already fetched/);
          assert.match(why, /\/inner: .*\/sub was already fetched/); // a link inside: followed, but sub is walked once
        }
      });

      test('a declared output that is itself a link out of the job folder is refused', async () => {
        const r = await planOutputs(ops, job, ['x', 'etc/*']);
        assert.deepEqual(r.files, []);
        assert.equal(r.skipped.length, 2, r.skipped.join('\n'));
      });

      test('"A folder on the cluster": the whole job folder fetched into the chosen local folder, nothing outside', async () => {
        const r = await expandOutputs('/', [job], remoteLister(ops));
        const got = await fetchJobs(local, [{ ops, id: '1', files: r.files }], { perJobFolder: false, resolve: never });
        assert.equal(got.counts.written, 4);
        const files = listLocal(local);
        assert.deepEqual(files, ['job/..%5C..%5Cevil.bat', 'job/keyfile', 'job/out.txt', 'job/sub/data.txt']);
        assert.equal(readFileSync(join(local, 'job', '..%5C..%5Cevil.bat'), 'utf8'), 'evil');
        assert.ok(r.skipped.some((s) => s.includes('/etc')));
      });
    });
  }

for (const transport of TRANSPORTS)
  for (const kind of ['agent', 'sftp'] as const) {
    describe(`Fetch Outputs over ${kind}: per-job folders and conflicts (${transport})`, { skip }, () => {
      let conn: { session: Session; close(): void };
      let ops: RemoteOps;
      let base: string;
      let local: string;
      /** A job's declared outputs, as the Fetch Outputs command resolves them. */
      const jobFiles = async (id: string, name: string) => ({ ops, id, name, files: (await planOutputs(ops, `${base}/${id}`, ['results/*.csv', 'log.txt'])).files });

      before(async () => {
        conn = await connectDirect({ transport });
        ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
        base = `${await ops.home()}/rhpc-fetch2-${kind}-${randomBytes(4).toString('hex')}`;
        const script = [
          'set -e',
          'for id in 101 102; do mkdir -p "$1/$id/results"; printf "run of $id\\n" > "$1/$id/results/run1.csv"; printf "log $id" > "$1/$id/log.txt"; done',
          'head -c 9437184 /dev/zero > "$1/101/big.bin"',
        ].join('\n');
        const r = await conn.session.exec(['sh', '-c', script, 'sh', base]);
        assert.equal(r.code, 0, r.stderr.toString());
      });
      beforeEach(() => {
        local = mkdtempSync(join(tmpdir(), `rhpc-fetch2-${kind}-`));
      });
      afterEach(() => rmSync(local, { recursive: true, force: true }));
      after(async () => {
        await conn.session.exec(['rm', '-rf', '--', base]).catch(() => undefined);
        ops.dispose();
        conn.close();
      });

      test('two jobs writing results/run1.csv land in two folders, <name>-<id>; counts and bytes are what was written', async () => {
        const r = await fetchJobs(local, [await jobFiles('101', 'train'), await jobFiles('102', 'train')], { perJobFolder: true, resolve: never });
        assert.deepEqual(listLocal(local), ['train-101/log.txt', 'train-101/results/run1.csv', 'train-102/log.txt', 'train-102/results/run1.csv']);
        assert.equal(readFileSync(join(local, 'train-101', 'results', 'run1.csv'), 'utf8'), 'run of 101\n');
        assert.equal(readFileSync(join(local, 'train-102', 'results', 'run1.csv'), 'utf8'), 'run of 102\n');
        assert.deepEqual(r.counts, { written: 4, overwritten: 0, keptBoth: 0, skipped: 0, failed: 0, bytes: 2 * ('run of 101\n'.length + 'log 101'.length) });
        assert.equal(fetchSummary(r.counts, local), `Fetched 4 files (36 B) to ${local}.`);
      });

      test('fetching again after a local edit asks, and replaces nothing without a yes', async () => {
        const job = await jobFiles('101', 'train');
        await fetchJobs(local, [job], { perJobFolder: true, resolve: never });
        const csv = join(local, 'train-101', 'results', 'run1.csv');
        writeFileSync(csv, 'my local edit');
        const asked: string[] = [];
        const answer =
          (...answers: (ConflictAnswer | undefined)[]): ConflictResolver =>
          async (c, index, total) => {
            asked.push(`${relative(local, c.local).split('\\').join('/')} ${index + 1}/${total} ${c.remote}`);
            return answers.shift();
          };

        // Dismissed: cancelled before anything is read; nothing changed.
        await assert.rejects(fetchJobs(local, [job], { perJobFolder: true, resolve: answer(undefined) }), { name: 'CancelledError' });
        assert.deepEqual(asked, [`train-101/results/run1.csv 1/2 ${base}/101/results/run1.csv`]);
        assert.equal(readFileSync(csv, 'utf8'), 'my local edit');

        // Skip for all: one question for both files, nothing written.
        asked.length = 0;
        const skipped = await fetchJobs(local, [job], { perJobFolder: true, resolve: answer({ choice: 'skip', toAll: true }) });
        assert.equal(asked.length, 1);
        assert.deepEqual(skipped.counts, { written: 0, overwritten: 0, keptBoth: 0, skipped: 2, failed: 0, bytes: 0 });
        assert.equal(readFileSync(csv, 'utf8'), 'my local edit');

        // Skip for the edited csv, Keep Both for the log.
        asked.length = 0;
        const kept = await fetchJobs(local, [job], { perJobFolder: true, resolve: answer({ choice: 'skip' }, { choice: 'keepBoth' }) });
        assert.deepEqual(asked, [`train-101/results/run1.csv 1/2 ${base}/101/results/run1.csv`, `train-101/log.txt 2/2 ${base}/101/log.txt`]);
        assert.deepEqual(kept.counts, { written: 1, overwritten: 0, keptBoth: 1, skipped: 1, failed: 0, bytes: 'log 101'.length });
        assert.deepEqual(listLocal(local), ['train-101/log (1).txt', 'train-101/log.txt', 'train-101/results/run1.csv']);
        assert.equal(readFileSync(csv, 'utf8'), 'my local edit');

        // Only an explicit Overwrite replaces the edit.
        const over = await fetchJobs(local, [job], { perJobFolder: true, resolve: answer({ choice: 'overwrite' }, { choice: 'skip' }) });
        assert.deepEqual(over.counts, { written: 1, overwritten: 1, keptBoth: 0, skipped: 1, failed: 0, bytes: 'run of 101\n'.length });
        assert.equal(readFileSync(csv, 'utf8'), 'run of 101\n');
        assert.equal(fetchSummary(over.counts, local), `Fetched 1 file (11 B) to ${local}: 1 replaced, 1 file skipped (already there).`);
      });

      test('cancelled in the middle of a 9 MB file: no partial file, no temporary file left', async () => {
        const abort = new AbortController();
        const r = await fetchJobs(local, [{ ops, id: '101', name: 'big', files: [{ remote: `${base}/101/log.txt`, relative: 'log.txt' }, { remote: `${base}/101/big.bin`, relative: 'big.bin' }] }], {
          perJobFolder: true,
          resolve: never,
          signal: abort.signal,
          onBytes: (n) => n > 1024 && abort.abort(),
        });
        assert.equal(r.cancelled, true);
        assert.deepEqual(r.counts, { written: 1, overwritten: 0, keptBoth: 0, skipped: 0, failed: 0, bytes: 7 });
        assert.deepEqual(readdirSync(join(local, 'big-101')), ['log.txt']);
      });
    });
  }
