/**
 * The real Python agent, run locally, against hostile input: catastrophic regexes, FIFOs, other
 * users' temp files, long names, lost parents, huge watched folders, tampered cached copies.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient, processTransport } from '../../src/core/agent/client';
import { AgentOps } from '../../src/core/remote/agentOps';
import { silentLogger } from '../../src/core/log';
import { agentLaunchArgv, agentHash, BOOTSTRAP_MISMATCH_EXIT } from '../../src/core/agent/install';
import { TEMP_RE } from '../../src/core/remote/common';
import { bytesToName, nameToBytes } from '../../src/core/remote/remoteName';

const agentPy = join(__dirname, '..', '..', 'src', 'core', 'agent', 'agent.py');
const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
let dir: string;
let client: AgentClient;
let ops: AgentOps;

/** Runs Python lines with the agent imported as `agent` (and json, sys); returns the JSON they print. */
function agentPython(lines: string, ...args: string[]): unknown {
  const script = ['import json, sys', `sys.path.insert(0, ${JSON.stringify(join(agentPy, '..'))})`, 'import agent', lines].join('\n');
  return JSON.parse(execFileSync('python3', ['-B', '-c', script, ...args], { env }).toString());
}

function start(): ChildProcess {
  return spawn('python3', ['-B', '-u', agentPy], { stdio: ['pipe', 'pipe', 'pipe'], env });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return false;
  }
};

async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids of the processes whose parent is pid. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rhpc-agent-hard-'));
  client = await AgentClient.connect(processTransport(start()), silentLogger, { expectedHash: agentHash() });
  ops = new AgentOps(client, silentLogger);
});

after(() => {
  ops.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function catastrophicFolder(): string {
  const d = join(dir, 'redos');
  if (!existsSync(d)) {
    mkdirSync(d);
    writeFileSync(join(d, 'input.txt'), `${'a'.repeat(60)}b\n`);
  }
  return d;
}

test('a catastrophic content regex blocks no other request, and cancel kills its worker', async () => {
  const d = catastrophicFolder();
  const { result: info } = await client.request('info', {});
  const ac = new AbortController();
  const search = ops.search(d, { contentPattern: '(a|aa)+$', regex: true, signal: ac.signal });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  assert.equal((await ops.stat([d]))[0]?.type, 'directory');
  assert.ok(Date.now() - t0 < 500, `stat took ${Date.now() - t0} ms during the search`);
  const workers = childrenOf(info.pid);
  assert.equal(workers.length, 1, 'the search runs in a worker process');
  ac.abort();
  await assert.rejects(search, { name: 'CancelledError' });
  await until(() => !alive(workers[0]), 3000, 'the worker to be killed');
});

test('a search over its time limit is stopped with a clear error', async () => {
  const d = catastrophicFolder();
  const t0 = Date.now();
  await assert.rejects(client.request('search', { root: d, content: '(a|aa)+$', timeoutMs: 800 }), /search took longer than 0.8 s/);
  assert.ok(Date.now() - t0 < 3000);
});

test('a catastrophic filter regex ends in a clear error, not a hang', async () => {
  const d = join(dir, 'redos-filter');
  mkdirSync(d);
  writeFileSync(join(d, `${'a'.repeat(60)}b`), '');
  const t0 = Date.now();
  await assert.rejects(client.request('list', { path: d, filter: { fileReject: ['(a|aa)+$'] }, filterTimeoutMs: 800 }), /filter of .* took longer than 0.8 s/);
  assert.ok(Date.now() - t0 < 3000);
  assert.equal((await ops.list(d, { filter: { fileReject: ['\\.tmp$'] } })).total, 1, 'a sane filter still works');
});

test('filters run in the agent only when they cannot backtrack; the bulk filter keeps what keep() keeps', () => {
  const script = [
    'import random',
    'pats = json.loads(sys.argv[1])',
    'random.seed(7)',
    'names = ["".join(random.choice("ab.tmpx1/") for _ in range(random.randint(1, 9))) for _ in range(3000)]',
    'spec = {"fileReject": ["\\\\.tmp$", "^/r/a"], "fileAllow": ["b1"], "dirReject": ["x"]}',
    'f = agent.Filter(spec)',
    'same = all(f.apply("/r/", names, d) == [n for n in names if f.keep("/r/" + n, d)] for d in (True, False))',
    'print(json.dumps({"linear": [agent.is_linear_pattern(p) for p in pats], "same": same, "specLinear": f.linear}))',
  ].join('\n');
  const linear = ['\\.tmp$', '^core\\.\\d+$', '\\.o$', '[(|*+]x', '\\(a\\)', '~$'];
  const backtracking = ['(a|aa)+$', '(a+)+$', 'a*a*b', '(.*)*', '(x)\\1', 'a{1,9}b+', 'x|y'];
  const out = agentPython(script, JSON.stringify([...linear, ...backtracking])) as { linear: boolean[]; same: boolean; specLinear: boolean };
  assert.deepEqual(out.linear, [...linear.map(() => true), ...backtracking.map(() => false)]);
  assert.equal(out.same, true);
  assert.equal(out.specLinear, true);
});

test('the listing cache holds no stale folder and at most LIST_CACHE_MAX_ROWS names', () => {
  const script = [
    'agent.LIST_CACHE_MAX_ROWS = 5000',
    'k = lambda path, sort: (path, True, "null", sort, False, False, "")',
    'agent.cache_rows(k("/a", "name"), 1, ["x"] * 3000)',
    'agent.cache_rows(k("/a", "size"), 1, ["x"] * 1000)',
    'agent.cache_rows(k("/b", "name"), 1, ["x"] * 3000)',  // over 5000 names: /a by name goes
    'out = {"capped": sorted(c[0] + c[3] for c in agent._LIST_CACHE)}',
    'out["hit"] = agent.cached_rows(k("/b", "name"), 1) is not None',
    'out["changed"] = agent.cached_rows(k("/a", "size"), 2)',  // /a changed: its listings go
    'out["left"] = sorted(c[0] for c in agent._LIST_CACHE)',
    'agent.LIST_CACHE_S = 0',
    'agent.sweep_list_cache()',
    'out["expired"] = len(agent._LIST_CACHE)',
    'agent.cache_rows(k("/c", "name"), 1, ["x"] * 9000)',
    'out["big"] = len(agent._LIST_CACHE)',  // one listing is kept whatever its size
    'print(json.dumps(out))',
  ].join('\n');
  const out = agentPython(script) as Record<string, unknown>;
  assert.deepEqual(out, { capped: ['/asize', '/bname'], hit: true, changed: null, left: ['/b'], expired: 0, big: 1 });
});

test('the agent exits within seconds when stdin closes in the middle of a catastrophic search', async () => {
  const c = start();
  const cl = await AgentClient.connect(processTransport(c), silentLogger);
  const { result: info } = await cl.request('info', {});
  const pending = cl.request('search', { root: catastrophicFolder(), content: '(a|aa)+$' });
  pending.catch(() => undefined);
  await until(() => childrenOf(info.pid).length === 1, 3000, 'the worker');
  const worker = childrenOf(info.pid)[0];
  const t0 = Date.now();
  cl.dispose();
  await until(() => !alive(info.pid) && !alive(worker), 3000, 'agent and worker to exit');
  assert.ok(Date.now() - t0 < 3000);
});

test('the agent exits within seconds when its parent dies, even with stdin still open', async () => {
  // sh starts the agent in the background and sleeps; killing sh leaves the agent orphaned.
  const sh = spawn('/bin/sh', ['-c', 'exec 3<&0; python3 -B -u "$0" <&3 & sleep 60', agentPy], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const cl = await AgentClient.connect(processTransport(sh), silentLogger);
  const { result: info } = await cl.request('info', {});
  cl.request('search', { root: catastrophicFolder(), content: '(a|aa)+$' }).catch(() => undefined);
  await until(() => childrenOf(info.pid).length === 1, 3000, 'the worker');
  const worker = childrenOf(info.pid)[0];
  sh.kill('SIGKILL');
  for (const p of childrenOf(sh.pid ?? 0)) if (p !== info.pid) process.kill(p, 'SIGKILL'); // the sleep
  await until(() => !alive(info.pid) && !alive(worker), 4000, 'orphaned agent and worker to exit');
  cl.dispose();
});

test('a FIFO is never opened for reading: read, search and follow refuse it, nothing hangs', async () => {
  const d = join(dir, 'fifo');
  mkdirSync(d);
  execFileSync('mkfifo', [join(d, 'results.csv')]);
  writeFileSync(join(d, 'plain.csv'), 'needle\n');
  const t0 = Date.now();
  await assert.rejects(ops.readFile(join(d, 'results.csv')), /not a regular file \(a named pipe\)/);
  const found = await ops.search(d, { contentPattern: 'needle' });
  assert.deepEqual(
    found.matches.map((m) => m.path),
    [join(d, 'plain.csv')],
  );
  const errors: Error[] = [];
  const f = ops.follow(join(d, 'results.csv'), { onData: () => undefined, onError: (e) => errors.push(e) });
  await until(() => errors.length > 0, 3000, 'the follow error');
  f.dispose();
  assert.match(errors[0].message, /named pipe/);
  await assert.rejects(ops.readFile(d), /is a directory/);
  assert.ok(Date.now() - t0 < 4000);
  assert.equal((await ops.list(d)).total, 2, 'the agent still answers');
});

test('saving cleans only our own stale temps; other users\' files and legacy names survive; 255-byte names save', { skip: process.getuid?.() === 0 ? false : 'needs root to create files of another user' }, async () => {
  const d = join(dir, 'shared');
  mkdirSync(d, { mode: 0o777 });
  const old = new Date(Date.now() - 2 * 3600_000);
  const mine = '.remote-hpc-0123456789abcdef.tmp';
  const theirs = '.remote-hpc-fedcba9876543210.tmp';
  const theirsLegacy = '.data.txt.remote-hpc-0123abcd.tmp';
  const mineLegacy = '.data.txt.remote-hpc-89abcdef.tmp';
  for (const n of [mine, theirs, theirsLegacy, mineLegacy]) {
    writeFileSync(join(d, n), 'partial');
    utimesSync(join(d, n), old, old);
  }
  chownSync(join(d, theirs), 65534, 65534);
  chownSync(join(d, theirsLegacy), 65534, 65534);
  assert.ok(TEMP_RE.test(mine) && TEMP_RE.test(theirs));
  await ops.writeFileAtomic(join(d, 'data.txt'), Buffer.from('saved'));
  const left = readdirSync(d).sort();
  assert.deepEqual(left, [theirsLegacy, mineLegacy, theirs, 'data.txt'].sort());
  assert.deepEqual(
    (await ops.list(d)).entries.map((e) => e.name),
    ['data.txt'],
  );
  const long = 'L'.repeat(251) + '.txt';
  assert.equal(Buffer.byteLength(long), 255);
  await ops.writeFileAtomic(join(d, long), Buffer.from('long'));
  assert.equal(readFileSync(join(d, long), 'utf8'), 'long');
});

test('names that are not UTF-8 are kept as bytes: the twin with U+FFFD is never touched', async () => {
  const d = join(dir, 'bytes');
  mkdirSync(d);
  const dirB = Buffer.from(d);
  const raw = Buffer.concat([dirB, Buffer.from('/dup\xff.txt', 'latin1')]);
  writeFileSync(raw, 'raw');
  writeFileSync(join(d, 'dup\uFFFD.txt'), 'twin');
  const names = (await ops.list(d)).entries.map((e) => e.name).sort();
  assert.deepEqual(names, ['dup\uDCFF.txt', 'dup\uFFFD.txt'].sort());
  const p = `${d}/dup\uDCFF.txt`;
  assert.equal((await ops.readFile(p)).toString(), 'raw');
  await ops.writeFileAtomic(p, Buffer.from('saved raw'));
  assert.equal(readFileSync(raw, 'utf8'), 'saved raw');
  await ops.rename(p, `${d}/moved\uDCFE`);
  assert.equal(readFileSync(Buffer.concat([dirB, Buffer.from('/moved\xfe', 'latin1')]), 'utf8'), 'saved raw');
  await ops.remove(`${d}/moved\uDCFE`);
  assert.equal(readFileSync(join(d, 'dup\uFFFD.txt'), 'utf8'), 'twin');
  assert.deepEqual(readdirSync(d), ['dup\uFFFD.txt']);
});

test('every name the folder holds comes back byte for byte: not UTF-8, a leading BOM, controls, backslashes, 255 bytes', async () => {
  const d = join(dir, 'names');
  mkdirSync(d);
  const dirB = Buffer.from(d);
  const raw = [
    Buffer.from('\uFEFFbom-first', 'utf8'), // sorts after the rest, so also a folder of its own below
    Buffer.from([0x62, 0xff]), // a byte that is never UTF-8
    Buffer.from([0x74, 0xe2, 0x82]), // a sequence cut short
    Buffer.from([0x6f, 0xc0, 0xaf]), // overlong "/"
    Buffer.from([0x73, 0xed, 0xa0, 0x80]), // an encoded surrogate
    Buffer.from([0x66, 0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
    Buffer.from('astral-\u{1F600}', 'utf8'),
    Buffer.from('new\nline\ttab\x1b[31m', 'utf8'),
    Buffer.from('back\\slash', 'utf8'),
    Buffer.from('L'.repeat(255), 'utf8'),
  ];
  for (const b of raw) writeFileSync(Buffer.concat([dirB, Buffer.from('/'), b]), '');
  const want = (folder: string) =>
    readdirSync(folder, { encoding: 'buffer' })
      .map((b) => bytesToName(b))
      .sort();
  const got = (await ops.list(d)).entries.map((e) => e.name);
  assert.deepEqual([...got].sort(), want(d));
  assert.equal(got.length, raw.length);
  for (const e of (await ops.list(d)).entries) assert.deepEqual(nameToBytes(e.name), raw.find((b) => b.equals(nameToBytes(e.name))));
  // All UTF-8 and the first name starting with U+FEFF: the one-decode path must keep it.
  const bom = join(dir, 'bom');
  mkdirSync(bom);
  writeFileSync(join(bom, '\uFEFFa'), '');
  writeFileSync(join(bom, '\uFEFFb'), '');
  assert.deepEqual(
    (await ops.list(bom)).entries.map((e) => e.name),
    ['\uFEFFa', '\uFEFFb'],
  );
});

test('stat columns of a big page: a forked worker takes the second half; names gone since the scan are dropped in either half', () => {
  const d = join(dir, 'columns');
  mkdirSync(d);
  const n = 20_100;
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(`f${String(i).padStart(6, '0')}`);
  for (const [i, name] of names.entries()) if (i !== 7 && i !== 15_000) writeFileSync(join(d, name), 'x'.repeat(i % 5));
  rmSync(join(d, names[19_000]));
  symlinkSync(join(d, names[1]), join(d, names[19_000])); // a link in the worker's half
  const script = [
    'calls = []',
    'real = agent.start_forked',
    'agent.start_forked = lambda *a, **k: (calls.append(1), real(*a, **k))[1]',
    'class Ctx(object):',
    '    def __init__(self):',
    '        self.agent = type("A", (), {"channel": agent.Channel(-1, -1), "forked": set()})()',
    '    def check(self):',
    '        pass',
    'names = ["f%06d" % i for i in range(int(sys.argv[2]))]',
    'got = agent.page_columns(Ctx(), sys.argv[1] + "/", names, {})',
    'print(json.dumps({"calls": len(calls), "names": got[0], "types": got[1], "targets": got[2], "sizes": list(got[3])}))',
  ].join('\n');
  const out = agentPython(script, d, String(n)) as { calls: number; names: string[]; types: string; targets: Record<string, string>; sizes: number[] };
  assert.equal(out.calls, 1, 'one worker');
  const kept = names.filter((_, i) => i !== 7 && i !== 15_000);
  assert.deepEqual(out.names, kept);
  assert.equal(out.types.length, kept.length);
  const link = kept.indexOf(names[19_000]);
  assert.equal(out.types[link], 'l');
  assert.deepEqual(out.targets, { [link]: 'f' });
  assert.equal(out.sizes[link], 1, "a link's size is its target's");
  for (const [i, name] of kept.entries()) if (i !== link) assert.equal(out.sizes[i], Number(name.slice(1)) % 5, name);
});

test('one pass over a big listing\'s entries stats them in the folder it opened: the folder swapped for a link meanwhile is not followed', () => {
  const d = join(dir, 'swapped');
  mkdirSync(join(d, 'mine'), { recursive: true });
  mkdirSync(join(d, 'elsewhere'));
  writeFileSync(join(d, 'mine', 'a.dat'), 'x');
  writeFileSync(join(d, 'elsewhere', 'a.dat'), 'x'.repeat(500));
  const script = [
    'd = sys.argv[1]',
    'prefix = d + "/mine/"',
    'out = {}',
    'with agent.EntryLstat(prefix) as lstat:',
    '    os.rename(prefix, d + "/moved")',
    '    os.symlink(d + "/elsewhere", d + "/mine")',
    '    out["through the folder"] = lstat("a.dat").st_size',
    '    out["by path"] = os.lstat(prefix + "a.dat").st_size',
    'print(json.dumps(out))',
  ].join('\n');
  const out = agentPython('import os\n' + script, d) as Record<string, number>;
  // The descriptor's folder is the one listed (now "moved"); the path (how entries were stat'ed
  // before) follows the link.
  assert.deepEqual(out, { 'through the folder': 1, 'by path': 500 });
});

test('a folder past STREAM_AT names: each page, and each page found by name, is the one a whole listing gives in every order (name, time, size), the total exact, only the first names kept (the next page from them)', () => {
  const d = join(dir, 'streamed');
  mkdirSync(d);
  // 611 entries, not a multiple of either STREAM_AT below, so a remainder follows the last cut;
  // half of them folders, so every cut and remainder holds both; names of mixed shapes (natural
  // order differs from code point order), some filtered out; sizes and times with many ties (an
  // order by them is by name within a tie).
  for (let i = 0; i < 611; i++) {
    const stem = i % 7 === 0 ? `x${i}.tmp` : i % 3 ? `step${i}.dat` : `Step-${i % 50}b${i}`;
    const path = i % 2 ? join(d, stem) : join(d, `run-${stem}`);
    if (i % 2) writeFileSync(path, 'x'.repeat(i % 9));
    else mkdirSync(path);
    const t = 1_700_000_000 + (i % 13) * 60;
    utimesSync(path, t, t);
  }
  const script = [
    'class Ctx(object):',
    '    def __init__(self):',
    '        self.agent = type("A", (), {"channel": agent.Channel(-1, -1), "forked": set()})()',
    '    def check(self):',
    '        pass',
    'def names(answer):',
    '    out, data = answer',
    '    return [n.decode("utf-8", "surrogateescape") for n in data[out["count"] * 18:].split(b"\\0")[:-1]], out["total"]',
    'import itertools, os',
    // What a streamed listing keeps: its first names only (a Prefix), at most `n` from each group.
    'def prefixes_only(n):',
    '    return all(isinstance(v[2], agent.Prefix) and len(v[2]) <= 2 * n for v in agent._LIST_CACHE.values())',
    'agent.STREAM_KEEP = 40',
    // Big groups are stat'ed in two processes (in_two): here from 40 names, so the cuts of 50 are.
    'agent.PARALLEL_STAT_MIN = 40',
    'bad, pages, located = [], 0, 0',
    'for sort, natural, desc, query in itertools.product(("name", "time", "size"), (False, True), (False, True), ("", "1")):',
    '    p = {"path": sys.argv[1], "filter": {"fileReject": ["\\\\.tmp$"]}, "sort": sort, "natural": natural, "descending": desc, "name": query}',
    '    agent.STREAM_AT = 10 ** 9',
    '    agent._LIST_CACHE.clear()',
    '    whole, total = names(agent.op_list(Ctx(), dict(p), b""))',
    '    for agent.STREAM_AT in (7, 50):',
    '        for offset in (0, 30, 200, len(whole) - 5):',
    '            agent._LIST_CACHE.clear()',
    '            page, t = names(agent.op_list(Ctx(), dict(p, offset=offset, limit=40), b""))',
    '            pages += 1',
    '            if page != whole[offset:offset + 40] or t != total or not prefixes_only(offset + 40 + agent.STREAM_KEEP):',
    '                bad.append([sort, natural, desc, query, agent.STREAM_AT, offset, t, total, page[:3], whole[offset:offset + 3]])',
    // The next page comes from the names kept, without reading the folder again.
    '            real, agent.guarded_scan = agent.guarded_scan, None',
    '            try:',
    '                page, t = names(agent.op_list(Ctx(), dict(p, offset=offset + 40, limit=40), b""))',
    '                if page != whole[offset + 40:offset + 80] or t != total:',
    '                    bad.append(["next", sort, natural, desc, query, agent.STREAM_AT, offset, t, page[:3]])',
    '            except TypeError:',
    '                bad.append(["next page scanned again", sort, natural, desc, query, agent.STREAM_AT, offset])',
    '            finally:',
    '                agent.guarded_scan = real',
    // Go to Entry (locate): the page holding the name, as the whole listing gives it. Folders are
    // first, so the last folder's page runs into the files and the first file's starts among folders.
    '    folders = sum(1 for n in whole if os.path.isdir(os.path.join(sys.argv[1], n)))',
    '    wanted = [whole[i] for i in (0, 1, 39, 40, folders - 1, folders, folders + 3, len(whole) - 1)]',
    '    for name in wanted + ["missing", "x7.tmp", "run-x14.tmp"]:',
    '        agent.STREAM_AT = 10 ** 9',
    '        agent._LIST_CACHE.clear()',
    '        ref = agent.op_list(Ctx(), dict(p, locate=name, limit=40), b"")',
    '        for agent.STREAM_AT in (7, 50):',
    '            agent._LIST_CACHE.clear()',
    '            got = agent.op_list(Ctx(), dict(p, locate=name, limit=40), b"")',
    '            located += 1',
    '            same = [got[0][k] for k in ("position", "offset", "total")] == [ref[0][k] for k in ("position", "offset", "total")]',
    '            if not same or names(got) != names(ref) or not prefixes_only(40 + agent.STREAM_KEEP):',
    '                bad.append(["locate", sort, name, natural, desc, query, agent.STREAM_AT, got[0], ref[0]])',
    // What the cuts keep is bounded by the page: k names (a Head), 2k (with its tail), 2k either side.
    '    group = whole[folders:]  # the files, in the listing order',
    '    for tail in (False, True):',
    '        h = agent.Head(5, agent.group_order(sort, desc, natural, sys.argv[1] + "/", False), tail)',
    '        for i in range(0, len(group), 50):',
    '            h.add(group[i:i + 50][::-1])',
    '            if len(h.names) > (10 if tail else 5) or len(h.order.values) > (10 if tail else 5):',
    '                bad.append(["kept", sort, tail, natural, desc, query, len(h.names)])',
    '        if h.names != (group[:5] + group[-5:] if tail else group[:5]):',
    '            bad.append(["head", sort, tail, natural, desc, query, h.names])',
    '    a = agent.Around(group[100], 5, agent.group_order(sort, desc, natural, sys.argv[1] + "/", False))',
    '    for i in range(0, len(group), 50):',
    '        a.add(group[i:i + 50][::-1])',
    '    if (len(a.below), len(a.after), a.before_count, a.after[0]) != (5, 5, 100, group[100]):',
    '        bad.append(["around", sort, natural, desc, query, len(a.below), len(a.after), a.before_count])',
    // Names of one shape: natural order is code point order, the Head picks them out of each group.
    'import random',
    'same = ["f%06d.dat" % i for i in range(0, 3000, 7)]',
    'random.Random(1).shuffle(same)',
    'for natural, desc, tail in itertools.product((False, True), (False, True), (False, True)):',
    '    h = agent.Head(5, agent.Order(desc, natural), tail)',
    '    for i in range(0, len(same), 50):',
    '        h.add(same[i:i + 50])',
    '    ordered = sorted(same, key=agent.natural_key, reverse=desc)',
    '    if h.names != (ordered[:5] + ordered[-5:] if tail else ordered[:5]):',
    '        bad.append(["one shape", natural, desc, tail, h.names])',
    '    a = agent.Around(ordered[100], 5, agent.Order(desc, natural))',
    '    for i in range(0, len(same), 50):',
    '        a.add(same[i:i + 50])',
    '    if (a.below, a.after, a.before_count) != (ordered[95:100], ordered[100:105], 100):',
    '        bad.append(["one shape around", natural, desc, a.below, a.after, a.before_count])',
    'print(json.dumps({"bad": bad, "pages": pages, "located": located}))',
  ].join('\n');
  const out = agentPython(script, d) as { bad: unknown[]; pages: number; located: number };
  assert.equal(out.pages, 3 * 64);
  assert.equal(out.located, 3 * 176);
  assert.deepEqual(out.bad, []);
});

test('a huge watched folder is reported once and then watched by its own stat only', async () => {
  const d = join(dir, 'huge');
  mkdirSync(d);
  for (let i = 0; i < 30; i++) writeFileSync(join(d, `f${i}`), '');
  const got: { events: { path: string; kind: string }[]; huge?: { path: string; entries: number }[] }[] = [];
  const sub = await client.subscribe('watch', { paths: [d], maxEntries: 20 }, (json) => got.push(json as (typeof got)[number]));
  await until(() => got.some((g) => g.huge?.length), 3000, 'the huge notice');
  assert.deepEqual(got.find((g) => g.huge?.length)?.huge, [{ path: d, entries: 30 }]);
  writeFileSync(join(d, 'new'), '');
  await until(() => got.some((g) => g.events.some((e) => e.path === d && e.kind === 'changed')), 5000, 'the folder change');
  assert.ok(!got.some((g) => g.events.some((e) => e.path === join(d, 'new'))), 'children are not tracked');
  sub.dispose();
});

test('the bootstrap runs the cached agent only when its hash matches', async () => {
  const copy = join(dir, 'agent-copy.py');
  const marker = join(dir, 'tampered-ran');
  const source = readFileSync(agentPy);
  writeFileSync(copy, source);
  const argv = agentLaunchArgv({ path: copy, hash: agentHash() });
  const good = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
  const cl = await AgentClient.connect(processTransport(good), silentLogger, { expectedHash: agentHash() });
  assert.equal((await cl.request('home', {})).result.home, process.env.HOME);
  cl.dispose();
  // Same size, different content: writes a marker when run.
  const evil = Buffer.from(`import os; open(${JSON.stringify(marker)}, "w").close()\n#`);
  const tampered = Buffer.concat([evil, Buffer.alloc(source.length - evil.length, 0x23)]);
  assert.equal(tampered.length, source.length);
  writeFileSync(copy, tampered);
  const bad = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
  const code = await new Promise<number | null>((r) => bad.once('exit', r));
  assert.equal(code, BOOTSTRAP_MISMATCH_EXIT);
  assert.equal(existsSync(marker), false, 'the tampered copy never ran');
});

test('copy refuses FIFOs and devices instead of blocking or copying forever', async () => {
  const d = join(dir, 'copy-special');
  mkdirSync(join(d, 'tree'), { recursive: true });
  execFileSync('mkfifo', [join(d, 'tree', 'pipe')]);
  const t0 = Date.now();
  await assert.rejects(ops.copy('/dev/zero', join(d, 'zero')), /not a regular file \(a device\)/);
  await assert.rejects(ops.copy(join(d, 'tree', 'pipe'), join(d, 'pipe2')), /named pipe/);
  await assert.rejects(ops.copy(join(d, 'tree'), join(d, 'tree2')), /named pipe/);
  assert.ok(Date.now() - t0 < 3000);
  assert.equal(existsSync(join(d, 'zero')), false);
});

test('the launcher makes file names UTF-8 whatever the locale, and does not pass that on', async () => {
  const copy = join(dir, 'agent-locale.py');
  writeFileSync(copy, readFileSync(agentPy));
  const argv = agentLaunchArgv({ path: copy, hash: agentHash() });
  const c = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, LC_ALL: 'C', LANG: 'C', SHELL: '/bin/sh' } });
  const cl = await AgentClient.connect(processTransport(c), silentLogger, { expectedHash: agentHash() });
  const o = new AgentOps(cl, silentLogger);
  const d = join(dir, 'locale');
  mkdirSync(d);
  writeFileSync(join(d, 'données'), '');
  assert.deepEqual(
    (await o.list(d)).entries.map((e) => e.name),
    ['données'],
  );
  assert.equal((await o.getenv(['PYTHONUTF8'])).PYTHONUTF8, undefined);
  o.dispose();
});
