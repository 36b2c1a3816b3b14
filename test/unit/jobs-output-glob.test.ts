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

test('folder links: followed only inside the job folder, once per real folder; odd names and depth reported', async () => {
  // /w/out -> /w/results (inside), /w/keys -> /home/u/.ssh, /w/loop -> /w; names a server should never send.
  const tree: Record<string, ListedEntry[]> = {
    '/w': [
      { name: 'keys', isDir: true, link: true },
      { name: 'loop', isDir: true, link: true },
      { name: 'out', isDir: true, link: true },
      { name: 'results', isDir: true },
      { name: '..', isDir: true },
      { name: 'a/b', isDir: false },
    ],
    '/w/results': [{ name: 'r.csv', isDir: false }],
    '/w/out': [{ name: 'r.csv', isDir: false }],
    '/w/keys': [{ name: 'id_ed25519', isDir: false }],
    '/w/loop': [{ name: 'loop', isDir: true, link: true }],
    '/w/loop/loop': [],
  };
  const real: Record<string, string> = { '/w': '/w', '/w/keys': '/home/u/.ssh', '/w/loop': '/w', '/w/out': '/w/results', '/w/results': '/w/results' };
  const list = async (dir: string) => tree[dir] ?? null;
  const stat = async (p: string) => (tree[p] ? { isDir: true } : null);
  const realpath = async (ps: string[]) => ps.map((p) => real[p] ?? null);
  for (const pattern of ['.', '**']) {
    const r = await expandOutputs('/w', [pattern], { list, stat, realpath });
    assert.deepEqual(r.files.map((f) => f.remote), ['/w/results/r.csv'], pattern);
    const why = r.skipped.join('\n');
    assert.match(why, /\/w\/keys: a link to a folder outside the fetched folder \(\/home\/u\/\.ssh\)/);
    assert.match(why, /\/w\/loop: \/w was already fetched/);
    assert.match(why, /\/w\/out: \/w\/results was already fetched/);
    assert.match(why, /"\.\." in \/w: not a valid file name/);
    assert.match(why, /"a\/b" in \/w: not a valid file name/);
  }
  // Without real paths no folder link is followed at all.
  const blind = await expandOutputs('/w', ['.'], { list, stat });
  assert.deepEqual(blind.files.map((f) => f.remote), ['/w/results/r.csv']);
  // Depth is capped and said.
  const deep: Record<string, ListedEntry[]> = {};
  for (let d = 0, p = '/d'; d < 5; d++, p += '/n') deep[p] = [{ name: 'n', isDir: true }];
  const capped = await expandOutputs('/d', ['.'], { list: async (dir) => deep[dir] ?? null, stat: async (p) => (deep[p] ? { isDir: true } : null), maxDepth: 2 });
  assert.match(capped.skipped.join('\n'), /deeper than 2 levels/);
});
