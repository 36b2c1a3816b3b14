/**
 * Huge folders on the sandbox (issue 15), through both RemoteOps (agent and SFTP fallback): a
 * folder of 20,000 files (made by a Python one-liner over ssh, removed afterwards) narrowed by a
 * name query (right entries, capped, counted), sorted by time and size before paging (the right
 * first page) and searched for the page holding entry N (`locate`).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectDirect } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sh } from '../support/shell';
import { openRemote } from '../../src/core/remote/openRemote';
import { compareNatural } from '../../src/core/remote/common';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';

const skip = sandboxSkip();
const N = 20_000;
const T0 = 1_600_000_000;

/** File i: `run_<i, 5 digits>.out` every 4th, else `.log`; a unique (sparse) size and a unique time, in no order of the names. */
const fileName = (i: number) => `run_${String(i).padStart(5, '0')}.${i % 4 === 0 ? 'out' : 'log'}`;
const sizeOf = (i: number) => (i * 7919) % 100_003;
const timeOf = (i: number) => T0 + ((i * 104_729) % N);
const FOLDERS = ['sub-b', 'sub-a'];

const MAKE = [
  'import os, sys',
  'd, n, t0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])',
  'os.mkdir(d)',
  'for i in range(n):',
  '    p = os.path.join(d, "run_%05d.%s" % (i, "out" if i % 4 == 0 else "log"))',
  '    with open(p, "w") as f: f.truncate((i * 7919) % 100003)',
  '    t = t0 + (i * 104729) % n',
  '    os.utime(p, (t, t))',
  'for s in sys.argv[4:]: os.mkdir(os.path.join(d, s))',
].join('\n');

const indexes = Array.from({ length: N }, (_, i) => i);
const byName = [...FOLDERS].sort(compareNatural).concat(indexes.map(fileName).sort(compareNatural));
const newestFirst = [...indexes].sort((a, b) => timeOf(b) - timeOf(a)).map(fileName);
const largestFirst = [...indexes].sort((a, b) => sizeOf(b) - sizeOf(a)).map(fileName);

let conn: { session: Session; close(): void };
let dir: string;

before(async () => {
  if (skip) return;
  conn = await connectDirect();
  dir = `${(await sh(conn.session, 'printf %s "$HOME"')).trim()}/rhpc-it-huge-${randomBytes(4).toString('hex')}`;
  const r = await conn.session.exec(['python3', '-c', MAKE, dir, String(N), String(T0), ...FOLDERS], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr.toString());
});

after(async () => {
  if (skip) return;
  await conn.session.exec(['rm', '-rf', '--', dir]).catch(() => undefined);
  conn.close();
});

for (const kind of ['agent', 'sftp'] as const) {
  describe(`a ${N.toLocaleString('en-US')}-entry folder over ${kind}`, { skip }, () => {
    let ops: RemoteOps;
    before(async () => {
      ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
      assert.equal(ops.kind, kind);
    });
    after(() => ops.dispose());

    test('a name query returns the matching entries, capped, with their count', async () => {
      const outs = await ops.list(dir, { name: '*.OUT', natural: true, limit: 200 });
      assert.equal(outs.total, N / 4);
      assert.deepEqual(
        outs.entries.map((e) => e.name),
        byName.filter((n) => n.endsWith('.out')).slice(0, 200),
      );
      assert.ok(outs.entries.every((e) => e.size === sizeOf(Number(e.name.slice(4, 9)))), 'sizes as stat says');
      const part = await ops.list(dir, { name: '1234', natural: true, limit: 5 });
      const expected = byName.filter((n) => n.includes('1234'));
      assert.equal(part.total, expected.length);
      assert.deepEqual(
        part.entries.map((e) => e.name),
        expected.slice(0, 5),
      );
      const sub = await ops.list(dir, { name: 'SUB-', natural: true });
      assert.deepEqual(
        sub.entries.map((e) => e.name),
        ['sub-a', 'sub-b'],
        'folders match too',
      );
      assert.equal((await ops.list(dir, { name: 'no-such-thing' })).total, 0);
      // While typing, the folder on screen: answered from its kept listing, the same entries.
      await ops.list(dir, { natural: true, limit: 200 });
      const typed = await ops.list(dir, { name: '*.OUT', natural: true, limit: 200 });
      assert.equal(typed.total, outs.total);
      assert.deepEqual(
        typed.entries.map((e) => e.name),
        outs.entries.map((e) => e.name),
      );
    });

    test('sorted by time or size on the host: page 1 is the right first 200, page 2 follows', async () => {
      const newest = await ops.list(dir, { sort: 'mtime', descending: true, natural: true, limit: 200 });
      assert.equal(newest.total, N + FOLDERS.length);
      assert.deepEqual(
        newest.entries.slice(2).map((e) => e.name),
        newestFirst.slice(0, 198),
      );
      assert.deepEqual(newest.entries.slice(0, 2).map((e) => e.type), ['directory', 'directory'], 'folders first');
      const next = await ops.list(dir, { sort: 'mtime', descending: true, natural: true, offset: 200, limit: 200 });
      assert.deepEqual(
        next.entries.map((e) => e.name),
        newestFirst.slice(198, 398),
      );
      const largest = await ops.list(dir, { sort: 'size', descending: true, natural: true, limit: 200 });
      assert.deepEqual(
        largest.entries.map((e) => e.name),
        ['sub-a', 'sub-b', ...largestFirst.slice(0, 198)],
        'folders first by name, then the largest files',
      );
      assert.equal(largest.entries[2].size, sizeOf(Number(largestFirst[0].slice(4, 9))));
    });

    test('locate finds the page of entry N in one request, in any order', async () => {
      const target = byName[15_432];
      const r = await ops.list(dir, { natural: true, limit: 500, locate: target });
      assert.equal(r.position, 15_432);
      assert.equal(r.offset, 15_000);
      assert.deepEqual(
        r.entries.map((e) => e.name),
        byName.slice(15_000, 15_500),
      );
      const t = await ops.list(dir, { sort: 'mtime', descending: true, natural: true, limit: 200, locate: fileName(7) });
      const pos = newestFirst.indexOf(fileName(7)) + FOLDERS.length;
      assert.equal(t.position, pos);
      assert.equal(t.offset, pos - (pos % 200));
      assert.ok(t.entries.some((e) => e.name === fileName(7)));
      const missing = await ops.list(dir, { natural: true, limit: 200, locate: 'run_99999.out' });
      assert.equal(missing.position, -1);
      assert.equal(missing.entries[0].name, byName[0]);
    });
  });
}
