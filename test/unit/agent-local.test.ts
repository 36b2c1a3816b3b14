/**
 * The real Python agent, run locally as a subprocess behind a fake login banner, driven through
 * AgentClient and AgentOps: the protocol end to end without SSH.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, statSync, chmodSync, symlinkSync, appendFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient, processTransport, AgentStartError } from '../../src/core/agent/client';
import { agentHash } from '../../src/core/agent/install';
import { AgentOps } from '../../src/core/remote/agentOps';
import { classifyRemoteError } from '../../src/core/remote/errors';
import { silentLogger } from '../../src/core/log';
import type { ChangeEvent } from '../../src/core/remote/types';
import { waitUntil } from '../support/wait';

const agentPy = join(__dirname, '..', '..', 'src', 'core', 'agent', 'agent.py');
let child: ChildProcess;
let client: AgentClient;
let ops: AgentOps;
let dir: string;

function startLocal(banner = 'Welcome!\\n@@REMOTE-HPC not the marker\\n'): ChildProcess {
  return spawn('/bin/sh', ['-c', `printf '${banner}'; exec python3 -B -u "$0"`, agentPy], { stdio: ['pipe', 'pipe', 'pipe'] });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rhpc-agent-'));
  child = startLocal();
  client = await AgentClient.connect(processTransport(child), silentLogger, { expectedHash: agentHash() });
  ops = new AgentOps(client, silentLogger);
});

after(() => {
  ops.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('handshake skipped the banner and checked the hash', () => {
  assert.equal(client.handshake.protocol, 1);
  assert.equal(client.handshake.hash, agentHash());
  assert.match(client.handshake.preamble, /Welcome!/);
});

test('a hash mismatch is refused', async () => {
  const c = startLocal('');
  await assert.rejects(AgentClient.connect(processTransport(c), silentLogger, { expectedHash: 'f'.repeat(64) }), (e: AgentStartError) => e.reason === 'hash');
});

test('a missing python is reported as such', async () => {
  const c = spawn('/bin/sh', ['-c', 'echo "sh: 1: python3: not found" >&2; exit 127'], { stdio: ['pipe', 'pipe', 'pipe'] });
  await assert.rejects(AgentClient.connect(processTransport(c), silentLogger), (e: AgentStartError) => e.reason === 'no-python');
});

test('list: dirs first, filters, sort, paging, total, symlink targets, temp files hidden', async () => {
  const d = join(dir, 'list');
  mkdirSync(d);
  for (const n of ['b.csv', 'a.txt', 'c.csv', '.hidden', 'z.jpg']) writeFileSync(join(d, n), n);
  mkdirSync(join(d, 'sub'));
  mkdirSync(join(d, '.git'));
  symlinkSync('sub', join(d, 'linkdir'));
  symlinkSync('nowhere', join(d, 'dangling'));
  writeFileSync(join(d, '.a.txt.remote-hpc-0123abcd.tmp'), 'partial');
  const all = await ops.list(d);
  assert.deepEqual(
    all.entries.map((e) => e.name),
    ['.git', 'linkdir', 'sub', '.hidden', 'a.txt', 'b.csv', 'c.csv', 'dangling', 'z.jpg'],
  );
  const link = all.entries.find((e) => e.name === 'linkdir');
  assert.equal(link?.type, 'symlink');
  assert.equal(link?.targetType, 'directory');
  assert.equal(all.entries.find((e) => e.name === 'dangling')?.targetType, 'other');
  assert.equal(all.entries.find((e) => e.name === 'a.txt')?.size, 5);
  const csv = await ops.list(d, { filter: { fileReject: ['.*'], fileAllow: ['[.]csv$'], dirReject: ['/\\.'] }, hidden: true });
  assert.deepEqual(
    csv.entries.map((e) => e.name),
    ['linkdir', 'sub', 'b.csv', 'c.csv'],
  );
  const page = await ops.list(d, { offset: 2, limit: 3, hidden: false });
  assert.equal(page.total, 7);
  assert.deepEqual(
    page.entries.map((e) => e.name),
    ['a.txt', 'b.csv', 'c.csv'],
  );
  const sized = join(dir, 'sized');
  mkdirSync(sized);
  writeFileSync(join(sized, 'm'), 'x'.repeat(50));
  writeFileSync(join(sized, 'l'), 'x'.repeat(100));
  writeFileSync(join(sized, 's'), 'x');
  symlinkSync('l', join(sized, 'link-to-l'));
  mkdirSync(join(sized, 'd'));
  const bySize = await ops.list(sized, { sort: 'size', descending: true });
  // Largest first; equal sizes (l and the link to it) by name A to Z.
  assert.deepEqual(
    bySize.entries.map((e) => e.name),
    ['d', 'l', 'link-to-l', 'm', 's'],
  );
  const bySizeUp = await ops.list(sized, { sort: 'size' });
  assert.deepEqual(
    bySizeUp.entries.map((e) => e.name),
    ['d', 's', 'm', 'l', 'link-to-l'],
  );
  await assert.rejects(ops.list(d, { filter: { fileReject: ['(?i)x'] } }), /Invalid filter: File reject pattern/);
  await assert.rejects(ops.list(join(d, 'missing')), (e) => classifyRemoteError(e) === 'not-found');
});

test('list of a big folder: later pages come from a short-lived scan cache, yet sizes and new names are fresh', async () => {
  const d = join(dir, 'bigdir');
  mkdirSync(d);
  for (let i = 0; i < 2500; i++) writeFileSync(join(d, `f${String(i).padStart(5, '0')}`), '');
  const first = await ops.list(d, { limit: 3 });
  assert.equal(first.total, 2500);
  assert.deepEqual(
    first.entries.map((e) => e.size),
    [0, 0, 0],
  );
  writeFileSync(join(d, 'f00001'), 'grown');
  const again = await ops.list(d, { limit: 3 });
  assert.equal(again.entries[1].size, 5, 'a cached scan still stats the page afresh');
  writeFileSync(join(d, 'a-new-file'), '');
  const withNew = await ops.list(d, { limit: 1 });
  assert.equal(withNew.total, 2501);
  assert.equal(withNew.entries[0].name, 'a-new-file');
  const last = await ops.list(d, { offset: 2499, limit: 10 });
  assert.deepEqual(
    last.entries.map((e) => e.name),
    ['f02498', 'f02499'],
  );
});

test('stat many paths, missing ones null', async () => {
  writeFileSync(join(dir, 's.txt'), 'hello');
  const [a, b, c] = await ops.stat([join(dir, 's.txt'), join(dir, 'nope'), dir]);
  assert.equal(a?.type, 'file');
  assert.equal(a?.size, 5);
  assert.equal(b, null);
  assert.equal(c?.type, 'directory');
});

test('read byte ranges as raw binary', async () => {
  const bin = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  writeFileSync(join(dir, 'bin'), bin);
  assert.deepEqual(await ops.readFile(join(dir, 'bin')), bin);
  assert.deepEqual(await ops.readFile(join(dir, 'bin'), { offset: 250, length: 100 }), bin.subarray(250));
  const big = Buffer.alloc(20 << 20, 0xab);
  writeFileSync(join(dir, 'big'), big);
  assert.ok((await ops.readFile(join(dir, 'big'))).equals(big));
});

test('atomic write keeps the mode, honours create/overwrite, leaves no temp', async () => {
  const p = join(dir, 'w.sh');
  writeFileSync(p, 'old');
  chmodSync(p, 0o751);
  await ops.writeFileAtomic(p, Buffer.from('new content'));
  assert.equal(readFileSync(p, 'utf8'), 'new content');
  assert.equal(statSync(p).mode & 0o777, 0o751);
  await assert.rejects(ops.writeFileAtomic(p, Buffer.from('x'), { overwrite: false }), (e) => classifyRemoteError(e) === 'exists');
  await assert.rejects(ops.writeFileAtomic(join(dir, 'absent'), Buffer.from('x'), { create: false }), (e) => classifyRemoteError(e) === 'not-found');
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes('remote-hpc')),
    [],
  );
  // The temp file cannot be made (no such folder): the error names the user's file, never the temp.
  const lost = join(dir, 'no-such-folder', 'results.csv');
  await assert.rejects(ops.writeFileAtomic(lost, Buffer.from('x')), (e: Error) => classifyRemoteError(e) === 'not-found' && e.message.endsWith(lost) && !/remote-hpc|\.tmp/.test(e.message));
  const link = join(dir, 'w.link');
  symlinkSync('w.sh', link);
  await ops.writeFileAtomic(link, Buffer.from('via link'));
  assert.equal(readFileSync(p, 'utf8'), 'via link');
  assert.equal((await ops.stat([link]))[0]?.type, 'symlink');
});

test('mkdir, rename, copy, remove', async () => {
  const d = join(dir, 'ops');
  await ops.mkdir(d);
  await assert.rejects(ops.mkdir(d), (e) => classifyRemoteError(e) === 'exists');
  await ops.mkdir(join(d, 'x', 'y', 'z'), { recursive: true });
  writeFileSync(join(d, 'x', 'y', 'f'), 'f');
  await ops.copy(join(d, 'x'), join(d, 'x2'));
  assert.equal(readFileSync(join(d, 'x2', 'y', 'f'), 'utf8'), 'f');
  await assert.rejects(ops.copy(join(d, 'x'), join(d, 'x2')), (e) => classifyRemoteError(e) === 'exists');
  await ops.copy(join(d, 'x'), join(d, 'x2'), { overwrite: true });
  await ops.rename(join(d, 'x2'), join(d, 'x3'));
  await assert.rejects(ops.rename(join(d, 'x3'), join(d, 'x')), (e) => classifyRemoteError(e) === 'exists');
  await assert.rejects(ops.remove(join(d, 'x3')), (e) => classifyRemoteError(e) === 'not-empty');
  await ops.remove(join(d, 'x3'), { recursive: true });
  assert.equal(existsSync(join(d, 'x3')), false);
});

test('search names and contents, capped and cancellable', async () => {
  const d = join(dir, 'search');
  mkdirSync(join(d, 'deep', 'er'), { recursive: true });
  writeFileSync(join(d, 'Alpha.txt'), 'nothing\nthe NEEDLE 42 here\n');
  writeFileSync(join(d, 'deep', 'er', 'beta.log'), 'needle7\n');
  writeFileSync(join(d, 'deep', 'bin.dat'), Buffer.from([0, 1, 2, 110, 101, 101, 100, 108, 101]));
  const names = await ops.search(d, { namePattern: 'ALPHA' });
  assert.deepEqual(
    names.matches.map((m) => m.path),
    [join(d, 'Alpha.txt')],
  );
  const glob = await ops.search(d, { namePattern: '*.LOG' });
  assert.deepEqual(
    glob.matches.map((m) => m.path),
    [join(d, 'deep', 'er', 'beta.log')],
  );
  const content = await ops.search(d, { contentPattern: 'needle ?[0-9]+', regex: true });
  assert.deepEqual(
    content.matches.map((m) => [m.path, m.line, m.text]),
    [
      [join(d, 'Alpha.txt'), 2, 'the NEEDLE 42 here'],
      [join(d, 'deep', 'er', 'beta.log'), 1, 'needle7'],
    ],
  );
  const capped = await ops.search(d, { namePattern: '', maxResults: 2 });
  assert.equal(capped.matches.length, 2);
  assert.equal(capped.truncated, true);
  const filtered = await ops.search(d, { contentPattern: 'needle', filter: { dirReject: ['/deep$'] } });
  assert.equal(filtered.matches.length, 1);
  // Cancel a long content search through the AbortSignal.
  const many = join(d, 'many');
  mkdirSync(many);
  const text = 'x'.repeat(100) + '\n';
  for (let i = 0; i < 400; i++) writeFileSync(join(many, `f${i}`), text.repeat(2000));
  const ac = new AbortController();
  const t0 = Date.now();
  const p = ops.search(many, { contentPattern: 'never-there', signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, { name: 'CancelledError' });
  assert.ok(Date.now() - t0 < 1000);
  assert.equal((await ops.stat([d]))[0]?.type, 'directory'); // the agent still answers
});

test('content search: literal by default, Aa and .* toggles, big and binary files reported, "search these too" lifts the size limit', async () => {
  const d = join(dir, 'search-skips');
  mkdirSync(join(d, 'logs'), { recursive: true });
  writeFileSync(join(d, 'a.txt'), 'value a.b here\nvalue aXb here\nA.B upper\n');
  // Just over the 10 MB limit, the match on its last line (a job log).
  writeFileSync(join(d, 'logs', 'job.out'), Buffer.concat([Buffer.alloc(10 * 1024 * 1024, 'progress 42.00%\n'), Buffer.from('ERROR a.b at the end\n')]));
  writeFileSync(join(d, 'core.bin'), Buffer.from('\0\0a.b\n'));
  const paths = (r: { matches: { path: string; line?: number }[] }) => r.matches.map((m) => `${m.path.slice(d.length + 1)}:${m.line}`);
  const literal = await ops.search(d, { contentPattern: 'a.b' });
  assert.deepEqual(paths(literal), ['a.txt:1', 'a.txt:3'], 'literal text, ignoring case');
  assert.deepEqual(
    literal.skipped.map((s) => [s.path.slice(d.length + 1), s.reason]),
    [
      ['core.bin', 'binary'],
      ['logs/job.out', 'too-big'],
    ],
  );
  assert.equal(literal.skipped[1]?.size, 10 * 1024 * 1024 + 21);
  assert.deepEqual(literal.skippedCounts, { binary: 1, 'too-big': 1 });
  assert.deepEqual(paths(await ops.search(d, { contentPattern: 'a.b', caseSensitive: true })), ['a.txt:1']);
  assert.deepEqual(paths(await ops.search(d, { contentPattern: 'a.b', regex: true })), ['a.txt:1', 'a.txt:2', 'a.txt:3']);
  assert.deepEqual(paths(await ops.search(d, { contentPattern: '(', regex: false })), [], 'literal text is never an invalid regex');
  const all = await ops.search(d, { contentPattern: 'ERROR a.b', maxFileSize: null });
  assert.deepEqual(paths(all), ['logs/job.out:655361']);
  assert.deepEqual(all.skippedCounts, { binary: 1 });
  await assert.rejects(ops.search(join(d, 'missing'), { contentPattern: 'x' }), (e) => classifyRemoteError(e) === 'not-found');
});

test('many requests in flight complete independently', async () => {
  const slow = ops.run(['sleep', '0.5']);
  const t0 = Date.now();
  const fast = await Promise.all(Array.from({ length: 50 }, () => ops.stat([dir])));
  assert.ok(Date.now() - t0 < 400, 'fast requests were not queued behind the slow one');
  assert.equal(fast.length, 50);
  assert.equal((await slow).code, 0);
});

test('run: argv without a shell, stdin, env, cwd, exit codes, timeout, cancel', async () => {
  const hostile = ['$(touch pwned)', '`id`', "it's", 'a\nb', '*', '-rf', 'données 数据', ''];
  const r = await ops.run(['printf', '%s\\0', ...hostile]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.toString('utf8').split('\0').slice(0, -1), hostile);
  const cat = await ops.run(['cat'], { stdin: Buffer.from([0, 255, 10]) });
  assert.deepEqual(cat.stdout, Buffer.from([0, 255, 10]));
  const env = await ops.run(['sh', '-c', 'printf "%s|%s" "$FOO" "$PWD"; echo err >&2; exit 3'], { env: { FOO: 'bar baz' }, cwd: dir });
  assert.equal(env.code, 3);
  assert.equal(env.stdout.toString(), `bar baz|${dir}`);
  assert.equal(env.stderr.toString(), 'err\n');
  await assert.rejects(ops.run(['sleep', '5'], { timeoutMs: 200 }), /timed out/);
  const ac = new AbortController();
  const p = ops.run(['sleep', '5'], { signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(p, { name: 'CancelledError' });
});

test('home and getenv', async () => {
  assert.equal(await ops.home(), process.env.HOME);
  const env = await ops.getenv(['HOME', 'SURELY_NOT_SET_42']);
  assert.equal(env.HOME, process.env.HOME);
  assert.equal(env.SURELY_NOT_SET_42, undefined);
});

test('watch pushes created, changed and deleted', async () => {
  const d = join(dir, 'watch');
  mkdirSync(d);
  writeFileSync(join(d, 'keep'), '1');
  const events: ChangeEvent[] = [];
  let armed = () => {};
  const ready = new Promise<void>((r) => (armed = r));
  const w = ops.watch([d], (ev) => events.push(...ev), { onReady: () => armed() });
  await ready;
  writeFileSync(join(d, 'new'), 'x');
  await waitUntil('created event', () => events.find((e) => e.path === join(d, 'new') && e.kind === 'created'), 5000);
  appendFileSync(join(d, 'keep'), 'more');
  await waitUntil('changed event', () => events.find((e) => e.path === join(d, 'keep') && e.kind === 'changed'), 5000);
  rmSync(join(d, 'new'));
  await waitUntil('deleted event', () => events.find((e) => e.path === join(d, 'new') && e.kind === 'deleted'), 5000);
  w.dispose();
});

test('follow delivers appended bytes exactly once, in order, across truncation', async () => {
  const p = join(dir, 'log.txt');
  const got: Buffer[] = [];
  let truncated = 0;
  let armed = () => {};
  const ready = new Promise<void>((r) => (armed = r));
  const f = ops.follow(p, { onData: (b) => got.push(b), onTruncate: () => truncated++, onReady: () => armed() });
  await ready; // following a file that does not exist yet
  let expected = '';
  for (let i = 0; i < 40; i++) {
    const line = `line ${i}\n`;
    appendFileSync(p, line);
    expected += line;
    if (i % 7 === 0) await new Promise((r) => setTimeout(r, 90));
  }
  await waitUntil('all bytes', () => (Buffer.concat(got).toString() === expected ? true : undefined), 5000);
  writeFileSync(p, 'fresh\n');
  await waitUntil('data after the truncation', () => (truncated > 0 && Buffer.concat(got).toString().endsWith('fresh\n') ? true : undefined), 5000);
  f.dispose();
});

test('closing stdin ends the agent; pending requests fail', async () => {
  const c = startLocal('');
  const cl = await AgentClient.connect(processTransport(c), silentLogger);
  const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  const pending = cl.request('run', { argv: ['sleep', '3'] });
  cl.dispose();
  await assert.rejects(pending, { name: 'CancelledError' });
  assert.equal(await exited, 0);
  await assert.rejects(cl.request('home', {}), { name: 'CancelledError' });
});
