/**
 * Huge folders (issue 15, "Find in huge folders"): the name query of the agent (Python) and of the
 * SFTP fallback (TypeScript) match the same names; sorting by time or size happens before paging
 * and agrees between both; `locate` answers the page holding an entry; the explorer's listing
 * cache jumps to that page (one request, no "Load more" walk) and grows from there both ways; the
 * tree shows "Load previous…", the folder's own order and what it is sorted by.
 */
import '../support/vscode/register';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nameMatcher, pageStart, sortEntries } from '../../src/core/remote/common';
import { AgentClient, processTransport } from '../../src/core/agent/client';
import { AgentOps } from '../../src/core/remote/agentOps';
import { ListingCache } from '../../src/core/remote/listing';
import { silentLogger } from '../../src/core/log';
import type { ListOptions, ListResult, RemoteEntry, RemoteOps } from '../../src/core/remote/types';
import { answers, setSetting, settings } from '../support/vscode/fake';
import { explorerOver } from '../support/explorer';
import type { ExplorerNode } from '../../src/explorer/tree';
import { FolderOrders } from '../../src/explorer/folderOrders';
import { goToEntry, pickFolderOrder } from '../../src/explorer/findInFolder';

const agentDir = join(__dirname, '..', '..', 'src', 'core', 'agent');

/** agent.name_matcher over every (pattern, name) pair, in one Python process. */
function pythonMatches(pairs: [string, string][]): boolean[] {
  const script = ['import json, sys', `sys.path.insert(0, ${JSON.stringify(agentDir)})`, 'import agent', 'print(json.dumps([bool(agent.name_matcher(p)(n)) for p, n in json.loads(sys.stdin.read())]))'].join('\n');
  return JSON.parse(execFileSync('python3', ['-B', '-c', script], { input: JSON.stringify(pairs), encoding: 'utf8' })) as boolean[];
}

const PATTERNS = ['out', 'OUT', '*.out', 'run_0?7*', '[!a]*', '[a-c]x*', '[z-a]*', 'a[]]b', '[', 'x[y', '*1*0*', 's*p*0', '?', '??', '*', '.', 'é', '*🚀*', 'step1', '[.]log', 'a-b', '(x)', '$HOME', '\\'];
const NAMES = ['a.out', 'b.OUT', 'a.outx', 'run_007.log', 'run_0077', 'abc', 'bbc', 'bx', 'zx', 'a]b', '[', 'x[y', 'step10', 'step01', 'É.txt', '🚀', 'x🚀y', 'a-b', '(x)', '$HOME', 'back\\slash', '.hidden', 'f.log'];

test('name queries: agent and SFTP fallback match exactly the same names (substring or glob, ignoring case)', () => {
  const pairs: [string, string][] = PATTERNS.flatMap((p) => NAMES.map((n): [string, string] => [p, n]));
  const py = pythonMatches(pairs);
  const ts = pairs.map(([p, n]) => nameMatcher(p)(n));
  const differ = pairs.filter((_, i) => py[i] !== ts[i]);
  assert.deepEqual(differ, [], 'patterns the two sides read differently');
  const m = (p: string) => NAMES.filter(nameMatcher(p));
  assert.deepEqual(m('*.out'), ['a.out', 'b.OUT']);
  assert.deepEqual(m('OUT'), ['a.out', 'b.OUT', 'a.outx']);
  assert.deepEqual(m('run_0?7*'), ['run_007.log', 'run_0077']);
  assert.deepEqual(m('run_0??7'), ['run_0077'], 'a glob matches the whole name');
  assert.deepEqual(m('é'), ['É.txt']);
  assert.deepEqual(m('[z-a]*'), [], 'an inverted range matches nothing');
  assert.deepEqual(m('['), ['['], 'an unclosed [ is a literal');
});

test('a glob with many stars never backtracks (agent and fallback)', () => {
  const pat = '*a*a*a*a*a*a*a*a*b';
  const name = 'a'.repeat(255);
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) assert.equal(nameMatcher(pat)(name), false);
  assert.ok(performance.now() - t0 < 500, `TypeScript took ${performance.now() - t0} ms`);
  const script = ['import sys, time', `sys.path.insert(0, ${JSON.stringify(agentDir)})`, 'import agent', 't = time.time()', `m = agent.name_matcher(${JSON.stringify(pat)})`, `r = [m("a" * 255) for _ in range(200)]`, 'print(any(r), time.time() - t)'].join('\n');
  const [any, secs] = execFileSync('python3', ['-B', '-c', script], { encoding: 'utf8', timeout: 10_000 }).trim().split(' ');
  assert.equal(any, 'False');
  assert.ok(Number(secs) < 0.5, `Python took ${secs} s`);
});

let dir = '';
let ops: AgentOps;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rhpc-huge-'));
  const child = spawn('/bin/sh', ['-c', 'exec python3 -B -u "$0"', join(agentDir, 'agent.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  ops = new AgentOps(await AgentClient.connect(processTransport(child), silentLogger), silentLogger);
});
after(() => {
  ops.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A folder of `n` files f00000…: sizes and times set so that file i has size (i * 7919) % n and
 * time 1,000,000 + (i * 104729) % n seconds — no order matches the names; every 10th shares its
 * size and time with the one before (ties). Plus three folders with their own times.
 */
function makeFolder(name: string, n: number): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (let i = 0; i < n; i++) {
    const tie = i % 10 === 9 ? i - 1 : i;
    const p = join(d, `f${String(i).padStart(5, '0')}.${i % 3 === 0 ? 'out' : 'log'}`);
    writeFileSync(p, Buffer.alloc((tie * 7919) % n));
    const t = 1_000_000 + ((tie * 104729) % n);
    utimesSync(p, t, t);
  }
  for (const [i, sub] of ['zeta', 'alpha', 'mid'].entries()) {
    mkdirSync(join(d, sub));
    utimesSync(join(d, sub), 5_000_000 - i, 5_000_000 - i);
  }
  return d;
}

test('sort by time or size is applied before paging, ties by name, and agrees with the SFTP fallback', async () => {
  const d = makeFolder('sorted', 3000);
  for (const [sort, descending] of [
    ['mtime', true],
    ['size', true],
    ['mtime', false],
    ['name', true],
  ] as const) {
    const whole = (await ops.list(d, { sort, descending })).entries;
    const fallback = sortEntries([...whole].reverse(), sort, descending).map((e) => e.name);
    assert.deepEqual(fallback, whole.map((e) => e.name), `${sort} ${descending ? 'desc' : 'asc'}: the SFTP fallback sorts the same`);
    const page1 = await ops.list(d, { sort, descending, limit: 200 });
    assert.deepEqual(page1.entries.map((e) => e.name), whole.slice(0, 200).map((e) => e.name), 'page 1 is the first 200 of the sorted folder');
    const page3 = await ops.list(d, { sort, descending, offset: 400, limit: 200 });
    assert.deepEqual(page3.entries.map((e) => e.name), whole.slice(400, 600).map((e) => e.name));
  }
  const bySize = (await ops.list(d, { sort: 'size', descending: true })).entries;
  assert.deepEqual(bySize.slice(0, 3).map((e) => e.name), ['alpha', 'mid', 'zeta'], 'folders first, by name when sorting by size');
  const files = bySize.slice(3);
  for (let i = 1; i < files.length; i++) {
    const [a, b] = [files[i - 1], files[i]];
    assert.ok(a.size > b.size || (a.size === b.size && a.name < b.name), `largest first, ties A to Z: ${a.name} ${a.size} / ${b.name} ${b.size}`);
  }
  const byTime = (await ops.list(d, { sort: 'mtime', descending: true })).entries;
  assert.deepEqual(byTime.slice(0, 3).map((e) => e.name), ['zeta', 'alpha', 'mid'], 'folders first, newest first');
  for (let i = 4; i < byTime.length; i++) assert.ok(byTime[i - 1].mtimeMs > byTime[i].mtimeMs || (byTime[i - 1].mtimeMs === byTime[i].mtimeMs && byTime[i - 1].name < byTime[i].name));
});

test('a name query is answered on the agent: matches only, capped, counted, in the folder order; cancel rejects', async () => {
  const d = makeFolder('query', 3000);
  const all = (await ops.list(d, { sort: 'size', descending: true })).entries.filter((e) => e.type === 'file');
  const outs = all.filter((e) => e.name.endsWith('.out'));
  const r = await ops.list(d, { name: '*.OUT', sort: 'size', descending: true, limit: 50 });
  assert.equal(r.total, 1000);
  assert.deepEqual(r.entries.map((e) => e.name), outs.slice(0, 50).map((e) => e.name), 'the 50 largest .out files');
  const sub = await ops.list(d, { name: 'F0012', limit: 500 });
  assert.deepEqual(sub.entries.map((e) => e.name), Array.from({ length: 10 }, (_, i) => `f0012${i}.${(120 + i) % 3 === 0 ? 'out' : 'log'}`));
  // Served from the folder's cached sorted names (no second scan) and still right after a change.
  writeFileSync(join(d, 'F00120-new.txt'), '');
  assert.equal((await ops.list(d, { name: 'f0012', limit: 500 })).total, 11);
  assert.equal((await ops.list(d, { name: 'nothing-like-this' })).total, 0);
  const abort = new AbortController();
  abort.abort();
  await assert.rejects(ops.list(d, { name: 'f', signal: abort.signal }), { name: 'CancelledError' });
});

test('locate answers the page holding an entry, with its position; a missing one says -1', async () => {
  const d = makeFolder('locate', 2500);
  const whole = (await ops.list(d, { sort: 'mtime', descending: true })).entries.map((e) => e.name);
  const target = whole[1234];
  const r = await ops.list(d, { sort: 'mtime', descending: true, limit: 200, locate: target });
  assert.equal(r.position, 1234);
  assert.equal(r.offset, 1200);
  assert.equal(pageStart(1234, 200), 1200);
  assert.deepEqual(r.entries.map((e) => e.name), whole.slice(1200, 1400));
  const missing = await ops.list(d, { limit: 200, offset: 0, locate: 'no-such-entry' });
  assert.equal(missing.position, -1);
  assert.equal(missing.offset, 0);
  assert.equal(missing.entries.length, 200);
  const inQuery = await ops.list(d, { name: '*.out', limit: 100, locate: 'f02499.log' });
  assert.equal(inQuery.position, -1, 'located within the query only');
});

// ---- the listing cache's window

function fakeFetch(names: string[]) {
  const calls: { offset: number; limit: number; locate?: string }[] = [];
  const entry = (n: string): RemoteEntry => ({ name: n, path: `/d/${n}`, type: 'file', size: 0, mtimeMs: 0, mode: 0o644 });
  const fetch = async (_h: string, _p: string, offset: number, limit: number, locate?: string): Promise<ListResult> => {
    calls.push({ offset, limit, ...(locate !== undefined ? { locate } : {}) });
    let position: number | undefined;
    if (locate !== undefined) {
      position = names.indexOf(locate);
      if (position >= 0) offset = pageStart(position, limit);
    }
    return { entries: names.slice(offset, offset + limit).map(entry), total: names.length, offset, ...(position !== undefined ? { position } : {}) };
  };
  return { calls, fetch };
}

const fnames = (n: number) => Array.from({ length: n }, (_, i) => `f${String(i).padStart(5, '0')}`);

test('jump loads only the page holding the entry, then the window grows both ways and refreshes in place', async () => {
  const host = fakeFetch(fnames(8000));
  const cache = new ListingCache(host.fetch, { pageSize: () => 200 });
  await cache.load('h', '/d');
  const { snapshot, found } = await cache.jump('h', '/d', 'f07801');
  assert.ok(found);
  assert.equal(snapshot.start, 7800);
  assert.equal(snapshot.entries.length, 200);
  assert.equal(snapshot.complete, true, 'the last page');
  assert.deepEqual(host.calls, [{ offset: 0, limit: 200 }, { offset: 0, limit: 200, locate: 'f07801' }], 'one request, not 39 "Load more"');
  assert.equal((await cache.jump('h', '/d', 'f07999')).found, true);
  assert.equal(host.calls.length, 2, 'an entry already shown needs no request');
  const prev = await cache.loadPrevious('h', '/d');
  assert.equal(prev.start, 7600);
  assert.equal(prev.entries[0].name, 'f07600');
  assert.equal(prev.entries.length, 400);
  assert.deepEqual(host.calls.at(-1), { offset: 7600, limit: 200 });
  await cache.refresh('h', '/d');
  assert.deepEqual(host.calls.at(-1), { offset: 7600, limit: 400 }, 'a refresh refetches the window where it is');
  assert.equal(cache.peek('h', '/d')?.start, 7600);
  const miss = await cache.jump('h', '/d', 'nope');
  assert.equal(miss.found, false);
  assert.equal(miss.snapshot.start, 7600, 'not found: what is shown stays');
  await cache.jump('h', '/d', 'f00450');
  const more = await cache.loadMore('h', '/d');
  assert.equal(more.start, 400);
  assert.deepEqual(host.calls.at(-1), { offset: 600, limit: 200 }, 'load more continues after the window');
  assert.equal(more.entries.length, 400);
});

test('jump into a folder never loaded fetches just that page, shared with a concurrent load', async () => {
  const host = fakeFetch(fnames(5000));
  const cache = new ListingCache(host.fetch, { pageSize: () => 500 });
  const [j, l] = await Promise.all([cache.jump('h', '/d', 'f04321'), cache.load('h', '/d')]);
  assert.ok(j.found);
  assert.equal(l.start, 4000);
  assert.equal(host.calls.length, 1);
  const none = new ListingCache(fakeFetch(fnames(10)).fetch, { pageSize: () => 500 });
  const r = await none.jump('h', '/d', 'nope');
  assert.equal(r.found, false);
  assert.equal(r.snapshot.entries.length, 10, 'a missing entry still leaves the first page loaded');
});

// ---- the explorer over a real agent

test('the tree: sort a folder by size (largest first, sizes shown), jump to an entry, "Load previous…"', async () => {
  const d = makeFolder('tree', 1200);
  const seen: ListOptions[] = [];
  const recording = Object.assign(Object.create(ops) as AgentOps, {
    list: (path: string, opts: ListOptions = {}) => {
      seen.push(opts);
      return ops.list(path, opts);
    },
  });
  setSetting('remoteHpc.roots', { '*': [dir] });
  setSetting('remoteHpc.explorer.pageSize', 100);
  const explorer = explorerOver(recording as RemoteOps);
  const { model, tree } = explorer;
  const label = (n: ExplorerNode) => String(tree.getTreeItem(n).label);
  const description = (n: ExplorerNode) => tree.getTreeItem(n).description;
  try {
    const [hostNode] = await tree.getChildren();
    const [root] = await tree.getChildren(hostNode);
    const folder = (await tree.getChildren(root)).find((n) => label(n) === 'tree');
    assert.ok(folder && folder.kind === 'entry');
    let rows = await tree.getChildren(folder);
    assert.deepEqual(rows.slice(0, 4).map(label), ['alpha', 'mid', 'zeta', 'f00000.out'], 'by name by default');
    assert.equal(seen.at(-1)?.sort, 'name');

    model.setOrder('h', folder.path, 'size');
    assert.equal(description(folder), 'largest first', 'the folder says it has an order of its own');
    rows = await tree.getChildren(folder);
    assert.deepEqual({ sort: seen.at(-1)?.sort, descending: seen.at(-1)?.descending, offset: seen.at(-1)?.offset, limit: seen.at(-1)?.limit }, { sort: 'size', descending: true, offset: 0, limit: 100 }, 'sorted on the host, page 1');
    const largest = (await ops.list(d, { sort: 'size', descending: true, limit: 4 })).entries;
    assert.deepEqual(rows.slice(0, 4).map(label), largest.map((e) => e.name));
    assert.equal(description(rows[3]), '1.2 KB', 'a file shows its size in a folder sorted by size');
    assert.equal(label(rows.at(-1)!), 'Load more…');
    assert.equal(description(rows.at(-1)!), '100 of 1,203');

    // Jump to an entry far down: the page holding it, "Load previous…" first, one request.
    const whole = (await ops.list(d, { sort: 'size', descending: true })).entries.map((e) => e.name);
    const target = whole[1150];
    const before = seen.length;
    const { found } = await model.jump('h', folder.path, target);
    assert.ok(found);
    assert.equal(seen.length, before + 1);
    assert.equal(seen.at(-1)?.locate, target);
    rows = await tree.getChildren(folder);
    assert.equal(label(rows[0]), 'Load previous…');
    assert.equal(description(rows[0]), '1,100 before');
    assert.ok(rows.some((r) => label(r) === target));
    assert.equal(rows.length, 1 + 100 + 1, 'previous, the page, more');
    assert.equal(description(rows.at(-1)!), '1,101–1,200 of 1,203');
    await tree.getChildren(folder);

    model.setOrder('h', folder.path, undefined);
    assert.equal(description(folder), undefined);
    setSetting('remoteHpc.explorer.sortBy', 'modified');
    rows = await tree.getChildren(folder);
    assert.deepEqual({ sort: seen.at(-1)?.sort, descending: seen.at(-1)?.descending }, { sort: 'mtime', descending: true }, 'the setting applies to every folder');
    assert.match(String(description(rows[3])), /^\d{4}-\d\d-\d\d \d\d:\d\d$/, 'a file shows its time in a folder sorted by time');
  } finally {
    for (const k of ['remoteHpc.roots', 'remoteHpc.explorer.pageSize', 'remoteHpc.explorer.sortBy']) setSetting(k, undefined);
    explorer.dispose();
  }
});

test('a folder\'s own order is kept in the workspace state (read back after a reload), the oldest dropped past 500', () => {
  const store = new Map<string, unknown>();
  const memento = { get: <T>(k: string) => store.get(k) as T, update: async (k: string, v: unknown) => void store.set(k, v), keys: () => [...store.keys()] };
  const a = new FolderOrders(memento as never);
  a.set('h', '/big', 'size');
  a.set('h', '/logs', 'modified');
  a.set('h', '/logs', undefined);
  const b = new FolderOrders(memento as never);
  assert.equal(b.get('h', '/big'), 'size');
  assert.equal(b.get('h', '/logs'), undefined);
  for (let i = 0; i < 600; i++) b.set('h', `/d${i}`, 'name');
  const c = new FolderOrders(memento as never);
  assert.equal(c.get('h', '/big'), undefined, 'the oldest went first');
  assert.equal(c.get('h', '/d599'), 'name');
  store.set('remoteHpc.explorer.folderOrders', [['h', '/x', 'bogus'], 'junk', ['h', '/y', 'size']]);
  assert.equal(new FolderOrders(memento as never).get('h', '/y'), 'size', 'bad rows are ignored');
});

test('Sort Folder By… sets this folder\'s order, every folder\'s (the setting), or back to the default; Go to Entry finds by name or by a single match', async () => {
  const d = makeFolder('ui', 300);
  setSetting('remoteHpc.roots', { '*': [dir] });
  const explorer = explorerOver(ops);
  const { model } = explorer;
  try {
    const pick = (label: RegExp, scope?: string) => {
      answers.pick = (items) => items.find((i) => label.test(i.label) && (!scope || (i as { scope?: string }).scope === scope));
    };
    pick(/^Modified/, 'folder');
    await pickFolderOrder(model, 'h', d);
    assert.equal(model.orderOf('h', d), 'modified');
    assert.ok(model.hasOwnOrder('h', d));
    pick(/^Size/, 'all');
    await pickFolderOrder(model, 'h', d);
    assert.equal(settings.get('remoteHpc.explorer.sortBy'), 'size');
    assert.equal(model.orderOf('h', d), 'modified', 'a folder\'s own order wins');
    assert.equal(model.orderOf('h', dir), 'size');
    pick(/Same as all folders/);
    await pickFolderOrder(model, 'h', d);
    assert.equal(model.orderOf('h', d), 'size');
    assert.equal(model.hasOwnOrder('h', d), false);

    answers.input = () => 'f00123.out';
    assert.equal((await goToEntry(model, 'h', d))?.entry.name, 'f00123.out', 'an exact name');
    assert.ok(model.listings.peek('h', d)?.entries.some((e) => e.name === 'f00123.out'), 'its page is loaded');
    answers.input = () => 'F00124';
    assert.equal((await goToEntry(model, 'h', d))?.entry.name, 'f00124.log', 'the one entry it matches');
    answers.input = () => 'nothing-like-it';
    await assert.rejects(goToEntry(model, 'h', d), /No entry named or matching “nothing-like-it”/);
  } finally {
    answers.pick = answers.input = undefined;
    for (const k of ['remoteHpc.roots', 'remoteHpc.explorer.sortBy']) setSetting(k, undefined);
    explorer.dispose();
  }
});
