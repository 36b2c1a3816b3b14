import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { expandOutputs, globToRegExp, splitGlob, type ListedEntry } from '../../src/core/jobs/outputGlob';

test('glob to regexp', () => {
  assert.ok(globToRegExp('*.csv').test('a.csv'));
  assert.ok(!globToRegExp('*.csv').test('d/a.csv'));
  assert.ok(globToRegExp('**/*.csv').test('d/e/a.csv'));
  assert.ok(globToRegExp('**/*.csv').test('a.csv'));
  assert.ok(globToRegExp('r?n[0-9].log').test('run1.log'));
  assert.ok(!globToRegExp('r?n[!0-9].log').test('run1.log'));
  assert.ok(globToRegExp('a+b(1).txt').test('a+b(1).txt'));
  assert.deepEqual(splitGlob('out/x/*.csv'), { base: 'out/x', rest: '*.csv' });
  assert.deepEqual(splitGlob('model.pt'), { base: 'model.pt', rest: '' });
});

test('outputs expand to files; folders taken whole; missing reported', async () => {
  const tree: Record<string, ListedEntry[]> = {
    '/w': [
      { name: 'model.pt', isDir: false, size: 10 },
      { name: 'results', isDir: true },
      { name: 'logs', isDir: true },
    ],
    '/w/results': [
      { name: 'a.csv', isDir: false, size: 1 },
      { name: 'b.txt', isDir: false },
      { name: 'sub', isDir: true },
    ],
    '/w/results/sub': [{ name: 'c.csv', isDir: false }],
    '/w/logs': [{ name: 'x.log', isDir: false }],
  };
  const list = async (dir: string) => tree[dir] ?? null;
  const stat = async (p: string) => {
    if (tree[p]) return { isDir: true };
    const e = tree[posix.dirname(p)]?.find((x) => x.name === posix.basename(p));
    return e ? { isDir: e.isDir, ...(e.size !== undefined ? { size: e.size } : {}) } : null;
  };
  const r = await expandOutputs('/w', ['model.pt', 'results/*.csv', 'results/**/*.csv', 'logs', 'nope.txt', 'none/*.x'], { list, stat });
  assert.deepEqual(
    r.files.map((f) => [f.remote, f.relative]),
    [
      ['/w/model.pt', 'model.pt'],
      ['/w/results/a.csv', 'results/a.csv'],
      ['/w/results/sub/c.csv', 'results/sub/c.csv'],
      ['/w/logs/x.log', 'logs/x.log'],
    ],
  );
  assert.deepEqual(r.missing, ['nope.txt', 'none/*.x']);
  assert.equal(r.truncated, false);
  const capped = await expandOutputs('/w', ['**'], { list, stat, maxFiles: 2 });
  assert.equal(capped.files.length, 2);
  assert.equal(capped.truncated, true);
});
