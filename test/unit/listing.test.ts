import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListingCache } from '../../src/core/remote/listing';
import type { ListResult, RemoteEntry } from '../../src/core/remote/types';

function entry(dir: string, name: string, type: RemoteEntry['type'] = 'file'): RemoteEntry {
  return { name, path: `${dir}/${name}`, type, size: 1, mtimeMs: 0, mode: 0o644 };
}

/** A fake host: folder contents by path, every call recorded, optional gate to hold replies. */
function fakeHost(files: Record<string, string[]>) {
  const calls: { path: string; offset: number; limit: number }[] = [];
  let gate: Promise<void> | undefined;
  const fetch = async (_host: string, path: string, offset: number, limit: number): Promise<ListResult> => {
    calls.push({ path, offset, limit });
    if (gate) await gate;
    const names = files[path];
    if (!names) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return { entries: names.slice(offset, offset + limit).map((n) => entry(path, n)), total: names.length };
  };
  return {
    calls,
    fetch,
    files,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `f${String(i).padStart(4, '0')}`);

test('first page, then load more until complete', async () => {
  const host = fakeHost({ '/d': names(12) });
  const cache = new ListingCache(host.fetch, { pageSize: () => 5 });
  const events: string[] = [];
  cache.onDidChange((h, p) => events.push(`${h}:${p}`));
  let s = await cache.load('h', '/d');
  assert.equal(s.entries.length, 5);
  assert.equal(s.total, 12);
  assert.equal(s.complete, false);
  assert.deepEqual(events, [], 'the first page is awaited, not announced');
  s = await cache.loadMore('h', '/d');
  s = await cache.loadMore('h', '/d');
  assert.equal(s.entries.length, 12);
  assert.ok(s.complete);
  assert.deepEqual(
    host.calls.map((c) => [c.offset, c.limit]),
    [
      [0, 5],
      [5, 5],
      [10, 5],
    ],
  );
  assert.ok(events.length >= 2);
  await cache.loadMore('h', '/d');
  assert.equal(host.calls.length, 3, 'nothing left to load');
});

test('concurrent loads share one fetch; cached loads do not fetch', async () => {
  const host = fakeHost({ '/d': names(3) });
  const cache = new ListingCache(host.fetch, { pageSize: () => 500 });
  const [a, b] = await Promise.all([cache.load('h', '/d'), cache.load('h', '/d')]);
  assert.equal(a.entries.length, 3);
  assert.equal(b.entries.length, 3);
  await cache.load('h', '/d');
  assert.equal(host.calls.length, 1);
  assert.equal(cache.peek('h', '/d')?.entries.length, 3);
  assert.equal(cache.peek('h', '/other'), undefined);
});

test('errors are kept in the snapshot, never thrown; invalidate retries', async () => {
  const host = fakeHost({});
  const cache = new ListingCache(host.fetch, { pageSize: () => 10 });
  const s = await cache.load('h', '/nope');
  assert.match(String(s.error), /ENOENT/);
  assert.equal(s.entries.length, 0);
  host.files['/nope'] = ['a'];
  assert.ok((await cache.load('h', '/nope')).error, 'cached until invalidated');
  cache.invalidate('h', '/nope');
  const t = await cache.load('h', '/nope');
  assert.equal(t.error, undefined);
  assert.equal(t.entries.length, 1);
});

test('refresh keeps what is shown, refetches as many entries, and announces once', async () => {
  const host = fakeHost({ '/d': names(8) });
  const cache = new ListingCache(host.fetch, { pageSize: () => 3 });
  await cache.load('h', '/d');
  await cache.loadMore('h', '/d');
  host.files['/d'] = ['new', ...names(8)];
  const events: string[] = [];
  cache.onDidChange((_h, p) => events.push(p));
  const release = host.hold();
  const r = cache.refresh('h', '/d');
  assert.equal(cache.peek('h', '/d')?.entries.length, 6, 'old listing visible while refreshing');
  release();
  await r;
  const s = cache.peek('h', '/d');
  assert.equal(s?.entries.length, 6);
  assert.equal(s?.entries[0].name, 'new');
  assert.equal(s?.total, 9);
  assert.deepEqual(host.calls.at(-1), { path: '/d', offset: 0, limit: 6 });
  assert.deepEqual(events, ['/d']);
  await cache.refresh('h', '/not-cached');
  assert.equal(host.calls.length, 3, 'refresh of an unknown folder fetches nothing');
});

test('refreshes requested while one runs are coalesced into one more', async () => {
  const host = fakeHost({ '/d': names(2) });
  const cache = new ListingCache(host.fetch, { pageSize: () => 10 });
  await cache.load('h', '/d');
  const release = host.hold();
  const runs = [cache.refresh('h', '/d'), cache.refresh('h', '/d'), cache.refresh('h', '/d')];
  release();
  await Promise.all(runs);
  assert.equal(host.calls.length, 3, 'one load + one refresh + one coalesced rerun');
});

test('a page that arrives after the folder was replaced or dropped is ignored', async () => {
  const host = fakeHost({ '/d': names(10), '/d/sub': ['x'] });
  const cache = new ListingCache(host.fetch, { pageSize: () => 4 });
  await cache.load('h', '/d');
  await cache.load('h', '/d/sub');
  const release = host.hold();
  const more = cache.loadMore('h', '/d');
  assert.equal(cache.peek('h', '/d')?.loadingMore, true);
  cache.invalidate('h', '/d');
  release();
  await more;
  assert.equal(cache.peek('h', '/d'), undefined);
  assert.equal(cache.peek('h', '/d/sub'), undefined, 'descendants dropped too');
  assert.deepEqual(cache.cachedFolders('h'), []);
});

test('load more after the folder shrank ends instead of looping', async () => {
  const host = fakeHost({ '/d': names(6) });
  const cache = new ListingCache(host.fetch, { pageSize: () => 3 });
  await cache.load('h', '/d');
  host.files['/d'] = names(3);
  const s = await cache.loadMore('h', '/d');
  assert.equal(s.complete, true);
  assert.equal(s.entries.length, 3);
});

test('hosts are separate; invalidateHost drops only that host', async () => {
  const host = fakeHost({ '/d': names(1) });
  const cache = new ListingCache(host.fetch, { pageSize: () => 3 });
  await cache.load('a', '/d');
  await cache.load('b', '/d');
  cache.invalidateHost('a');
  assert.equal(cache.peek('a', '/d'), undefined);
  assert.ok(cache.peek('b', '/d'));
  assert.deepEqual(cache.cachedFolders('b'), ['/d']);
});

test('a refresh that started before "load more" pages arrived does not shrink the listing', async () => {
  const host = fakeHost({ '/d': names(30) });
  const cache = new ListingCache(host.fetch, { pageSize: () => 10 });
  await cache.load('h', '/d');
  const release = host.hold();
  const refresh = cache.refresh('h', '/d'); // limit 10, held
  const more = cache.loadMore('h', '/d'); // held too
  release();
  await Promise.all([refresh, more]);
  // Whichever came first, what is shown never goes back below what was loaded.
  await cache.loadMore('h', '/d');
  await cache.loadMore('h', '/d');
  const s = cache.peek('h', '/d');
  assert.equal(s?.entries.length, 30);
  assert.ok(s?.complete);
  const r2 = cache.refresh('h', '/d');
  await r2;
  assert.equal(cache.peek('h', '/d')?.entries.length, 30, 'a refresh refetches everything shown');
});

test('a refresh retries with the larger size when pages were appended while it ran', async () => {
  const files: Record<string, string[]> = { '/d': names(30) };
  let holdRefresh: (() => void) | undefined;
  const calls: number[] = [];
  const fetch = async (_h: string, path: string, offset: number, limit: number) => {
    calls.push(limit);
    if (offset === 0 && limit === 10 && calls.length > 1) await new Promise<void>((r) => (holdRefresh = r));
    const all = files[path];
    return { entries: all.slice(offset, offset + limit).map((n) => entry(path, n)), total: all.length };
  };
  const cache = new ListingCache(fetch, { pageSize: () => 10 });
  await cache.load('h', '/d');
  const refresh = cache.refresh('h', '/d'); // held at limit 10
  await cache.loadMore('h', '/d'); // 20 shown
  holdRefresh?.();
  await refresh;
  assert.equal(cache.peek('h', '/d')?.entries.length, 20);
  assert.deepEqual(calls, [10, 10, 10, 20], 'the stale refresh was redone with 20');
});
