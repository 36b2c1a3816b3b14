import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFitsCache } from '../../src/core/preview/download';
import { PreviewCache, type CacheKey } from '../../src/core/preview/cache';
import { waitUntil } from '../support/wait';

const key = (path: string, extra: Partial<CacheKey> = {}): CacheKey => ({ host: 'h', path, size: 10, mtimeMs: 1000, variant: 'thumb-256', ext: 'jpg', ...extra });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'preview-cache-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('put then get returns the file, keyed by host, path, size, mtime and variant', () =>
  withDir(async (dir) => {
    const c = await PreviewCache.open(dir, { maxBytes: 1000 });
    const file = await c.put(key('/a.png'), Buffer.from('hello'));
    assert.equal(await readFile(file, 'utf8'), 'hello');
    assert.equal(c.get(key('/a.png')), file);
    assert.ok(file.endsWith('.jpg'));
    for (const other of [key('/a.png', { mtimeMs: 2000 }), key('/a.png', { size: 11 }), key('/a.png', { host: 'g' }), key('/a.png', { variant: 'full' })]) {
      assert.equal(c.get(other), undefined);
    }
    assert.equal(c.totalBytes, 5);
    assert.equal(c.count, 1);
  }));

test('least recently used entries are evicted past the cap; get() refreshes recency', () =>
  withDir(async (dir) => {
    const c = await PreviewCache.open(dir, { maxBytes: 30 });
    const a = await c.put(key('/a'), Buffer.alloc(10));
    const b = await c.put(key('/b'), Buffer.alloc(10));
    await c.put(key('/c'), Buffer.alloc(10));
    assert.ok(c.get(key('/a'))); // a is now the most recent; b the least
    await c.put(key('/d'), Buffer.alloc(10));
    assert.equal(c.get(key('/b')), undefined);
    assert.equal(existsSync(b), false);
    assert.ok(c.get(key('/a')));
    assert.equal(existsSync(a), true);
    assert.ok(c.totalBytes <= 30);
  }));

test('pinned entries survive eviction until unpinned', () =>
  withDir(async (dir) => {
    const c = await PreviewCache.open(dir, { maxBytes: 20 });
    const video = await c.put(key('/video.mp4'), Buffer.alloc(15));
    const pin = c.pin(key('/video.mp4'));
    const x = await c.put(key('/x'), Buffer.alloc(10));
    assert.ok(c.has(key('/video.mp4')), 'pinned entry kept');
    assert.ok(existsSync(x), 'the entry just made is handed out whole, even over the cap');
    await c.put(key('/y'), Buffer.alloc(10));
    assert.ok(c.has(key('/video.mp4')), 'still pinned');
    assert.equal(c.has(key('/x')), false, 'the oldest unpinned entry went');
    pin.dispose();
    assert.equal(c.has(key('/video.mp4')), false, 'evicted as soon as it is unpinned');
    assert.ok(c.totalBytes <= 20);
    await waitUntil('the evicted file to be removed', () => !existsSync(video), 5000);
  }));

test('concurrent produce() of one key runs the producer once; a failed producer leaves nothing', () =>
  withDir(async (dir) => {
    const c = await PreviewCache.open(dir, { maxBytes: 1000 });
    let runs = 0;
    let finish = () => {};
    const gate = new Promise<void>((r) => (finish = r));
    const producer = async (tmp: string) => {
      runs++;
      await gate; // still producing when the second produce() asks
      await writeFile(tmp, 'x');
    };
    const both = Promise.all([c.produce(key('/k'), producer), c.produce(key('/k'), producer)]);
    finish();
    const [p1, p2] = await both;
    assert.equal(p1, p2);
    assert.equal(runs, 1);
    await assert.rejects(
      c.produce(key('/bad'), async (tmp) => {
        await writeFile(tmp, 'partial');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(c.has(key('/bad')), false);
    const shards = await readdir(dir);
    const files = (await Promise.all(shards.map((s) => readdir(join(dir, s))))).flat();
    assert.equal(files.filter((f) => f.startsWith('.tmp-')).length, 0);
  }));

test('reopening indexes existing entries oldest first, removes temp leftovers and enforces a smaller cap', () =>
  withDir(async (dir) => {
    const c1 = await PreviewCache.open(dir, { maxBytes: 1000 });
    const old = await c1.put(key('/old'), Buffer.alloc(10));
    const fresh = await c1.put(key('/new'), Buffer.alloc(10));
    await utimes(old, new Date(1_000_000), new Date(1_000_000));
    await utimes(fresh, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    const shard = join(dir, 'ab');
    await mkdir(shard, { recursive: true });
    await writeFile(join(shard, '.tmp-123-x'), 'junk');
    const c2 = await PreviewCache.open(dir, { maxBytes: 15 });
    assert.equal(c2.count, 1);
    assert.equal(c2.get(key('/old')), undefined);
    assert.ok(c2.get(key('/new')));
    assert.equal(existsSync(join(shard, '.tmp-123-x')), false);
    assert.equal((await stat(fresh)).size, 10);
  }));

test('extensions are sanitised; names are sharded by the first hash byte', () => {
  const name = PreviewCache.nameOf(key('/a', { ext: '../../x.sh' }));
  assert.match(name, /^[0-9a-f]{2}\/[0-9a-f]{38}\.xsh$/);
});

test('a video bigger than the preview cache is refused before anything is downloaded, pointing to Download', () => {
  const limit = 512 * 1024 * 1024;
  assert.doesNotThrow(() => checkFitsCache('/data/ok.mp4', limit, limit));
  assert.throws(() => checkFitsCache('/data/huge.mp4', 2 * 1024 ** 3, limit), /huge\.mp4 is 2\.0 GB, more than the preview cache holds \(512 MB\).*Download/);
});
