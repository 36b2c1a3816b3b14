/**
 * Heavy preview work as short batch jobs on the sandbox's real SLURM, and Convert to WebM with
 * the sandbox's ffmpeg: Make Video as a job (a playable video, the job in sacct), cancelling it
 * mid-encode (CANCELLED in sacct, no ffmpeg left), gallery thumbnails as one job per batch,
 * an MPEG-4 Part 2 AVI converted to WebM on the login node and as a job, and a host without a
 * scheduler falling back to the login node with a notice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect } from '../support/sandbox';
import { firstSkip, localTools, sandboxSkip } from '../support/prerequisites';
import { sh } from '../support/shell';
import { waitUntil } from '../support/wait';
import { probeVideo } from '../support/media';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import { CancelledError } from '../../src/core/cancel';
import type { RemoteOps, RemoteOpsProvider } from '../../src/core/remote/types';
import { HostSchedulers } from '../../src/core/jobs/schedulers';
import { chooseRunner, type HeavyRunner, type HeavyStatus } from '../../src/core/preview/heavyWork';
import { makeVideo, type MakeVideoProgress } from '../../src/core/preview/makeVideo';
import { ThumbnailService, type ThumbOutcome } from '../../src/core/preview/thumbnails';
import { PreviewCache } from '../../src/core/preview/cache';
import { convertToWebm } from '../../src/core/preview/convertVideo';

const skip = firstSkip(sandboxSkip(), localTools.ffmpeg());
const HOST = 'sandbox';

let conn: Awaited<ReturnType<typeof connectDirect>> | undefined;
let ops: RemoteOps;
let schedulers: HostSchedulers;
let work = '';
let local = '';

function provider(get: () => RemoteOps): RemoteOpsProvider {
  return { ops: async () => get(), onDidInvalidate: () => ({ dispose: () => undefined }) };
}

function batch(): Promise<HeavyRunner> {
  return chooseRunner({
    choice: { runOn: 'batch', batch: { time: '5', cpus: 1 } },
    nice: 10,
    host: HOST,
    scheduler: () => schedulers.scheduler(HOST),
    user: () => schedulers.user(HOST),
    onFallback: (m) => assert.fail(`unexpected fallback: ${m}`),
  });
}

/** The job's state in accounting (sacct), once it has the one wanted under the job's name (not slurmdbd's placeholder). */
function sacctState(id: string, want: RegExp, name: string): Promise<string> {
  return waitUntil(
    `job ${id} ${String(want)} in sacct`,
    async () => {
      const [state = '', jobName = ''] = ((await sh(ops, 'sacct -n -X -P -j "$1" -o State,JobName', id)).trim().split('\n')[0] ?? '').split('|');
      return want.test(state) && jobName === name ? state : false;
    },
    30_000,
    500,
  );
}

async function dotEntries(dir: string): Promise<string[]> {
  return (await ops.list(dir)).entries.filter((e) => e.name.startsWith('.')).map((e) => e.name);
}

async function fetchProbe(remote: string): Promise<ReturnType<typeof probeVideo>> {
  const file = join(local, `probe-${Date.now()}.${remote.slice(remote.lastIndexOf('.') + 1)}`);
  await writeFile(file, await ops.readFile(remote));
  return probeVideo(file);
}

/** Private thumbnail work folders left in ~/.cache/remote-hpc (the agent keeps its own files there too). */
async function workFolders(): Promise<string> {
  return sh(ops, 'cd "$HOME/.cache/remote-hpc" 2>/dev/null && ls -d thumbs-* 2>/dev/null || true');
}

before(async () => {
  if (skip) return;
  conn = await connectDirect();
  ops = await openRemote(conn.session, silentLogger);
  schedulers = new HostSchedulers(provider(() => ops), silentLogger);
  work = (await sh(ops, 'mktemp -d "$HOME/preview-batch-it.XXXXXX"')).trim() + "/it's 100% batch";
  await ops.mkdir(work);
  local = await mkdtemp(join(tmpdir(), 'preview-batch-it-'));
  await sh(ops, 'cd "$1" && mkdir frames && ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=10 -frames:v 30 "frames/f %02d.png"', work);
});

after(async () => {
  if (skip) return;
  await sh(ops, 'rm -rf -- "$(dirname "$1")"', work).catch(() => undefined);
  ops.dispose();
  conn?.close();
  await rm(local, { recursive: true, force: true });
});

test('Make Video as a batch job: queued → running → done, a playable video, the job COMPLETED in sacct', { skip, timeout: 120_000 }, async () => {
  const runner = await batch();
  assert.equal(runner.where, 'batch');
  const progress: MakeVideoProgress[] = [];
  const output = `${work}/batch $(id).webm`;
  const res = await makeVideo({ ops, runner, source: { folder: `${work}/frames` }, order: 'name', fps: 10, format: 'webm', output, onProgress: (p) => progress.push(p) });
  assert.ok(res.jobId, 'made by a batch job');
  const queue = progress.filter((p) => p.phase === 'queue').map((p) => p.message);
  assert.ok(queue.some((m) => m.startsWith(`Batch job ${res.jobId} queued`)), queue.join(' | '));
  assert.deepEqual(progress.at(-1), { phase: 'finish', fraction: 1, message: 'Done' });
  const p = await fetchProbe(output);
  assert.deepEqual([p.frames, p.codec, p.width, p.height], [30, 'vp9', 320, 240]);
  assert.ok(Math.abs(p.durationS - 3) < 0.15, `duration ${p.durationS}`);
  assert.equal(await sacctState(res.jobId, /^COMPLETED$/, 'remote-hpc-video'), 'COMPLETED');
  assert.deepEqual(await dotEntries(work), [], 'no work folder or partial file left');
});

test('cancelling Make Video mid-encode cancels the job: CANCELLED in sacct, no ffmpeg left, nothing left behind', { skip, timeout: 180_000 }, async () => {
  const many = `${work}/many`;
  await ops.mkdir(many);
  await sh(ops, 'cd "$1" && ffmpeg -v error -f lavfi -i testsrc=size=1280x720:rate=25 -frames:v 150 f%03d.png', many);
  const runner = await batch();
  const ac = new AbortController();
  const output = `${work}/cancelled.mp4`;
  let jobId: string | undefined;
  const run = makeVideo({
    ops,
    runner,
    source: { folder: many },
    order: 'name',
    fps: 25,
    format: 'mp4',
    output,
    signal: ac.signal,
    onProgress: (p) => {
      jobId ??= /Batch job (\d+)/.exec(p.message)?.[1];
      if (p.phase === 'encode' && (p.framesDone ?? 0) >= 2) ac.abort();
    },
  });
  await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
  assert.ok(jobId, 'the encode ran as a batch job');
  assert.match(await sacctState(jobId, /^CANCELLED/, 'remote-hpc-video'), /^CANCELLED/);
  // slurmd ends the step's processes after the controller records the cancel (TERM, then KILL
  // after KillWait): gone within seconds, not necessarily when sacct first says CANCELLED.
  const ffmpegs = () => sh(ops, 'ps -u "$(id -u)" -o args= | grep -F -- "$1" | grep ffmpeg | grep -v grep || true', `${work}/.remote-hpc-video-`); // this test's encode only
  const left = await waitUntil('no ffmpeg left running', async () => ((await ffmpegs()).trim() === '' ? 'none' : undefined), 20_000, 250).catch(async () => (await ffmpegs()).trim());
  assert.equal(left, 'none', `no ffmpeg left running: ${left}`);
  const [st] = await ops.stat([output]);
  assert.equal(st, null);
  assert.deepEqual(await dotEntries(work), []);
});

test('gallery thumbnails in batch mode: one job for the batch, not one per image; results in the cache', { skip, timeout: 120_000 }, async () => {
  const cache = await PreviewCache.open(join(local, 'cache'), { maxBytes: 100e6 });
  const runner = await batch();
  const dir = `${await ops.home()}/fixtures/images`;
  const { entries } = await ops.list(dir, { hidden: false });
  const targets = entries.filter((e) => e.type === 'file').map((e) => ({ path: e.path, size: e.size, mtimeMs: e.mtimeMs }));
  assert.ok(targets.length >= 10);
  const statuses: HeavyStatus[] = [];
  const svc = new ThumbnailService({ host: HOST, getOps: async () => ops, cache, size: 96, runner, onStatus: (s) => statuses.push(s) });
  const got: ThumbOutcome[] = [];
  svc.onResult((r) => got.push(...r));
  svc.want(targets);
  await waitUntil('every thumbnail', () => got.length >= targets.length, 90_000);
  svc.dispose();
  for (const r of got) {
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(r.file.startsWith(join(local, 'cache')) && existsSync(r.file), r.file);
    assert.ok(Math.max(r.width, r.height) <= 96);
  }
  const jobs = [...new Set(statuses.map((s) => s.jobId))];
  assert.equal(jobs.length, 1, `one job for ${targets.length} images: ${jobs.join(', ')}`);
  assert.ok(statuses.some((s) => s.phase === 'done'));
  assert.equal(await sacctState(String(jobs[0]), /^COMPLETED$/, 'remote-hpc-thumbnails'), 'COMPLETED');
  assert.equal((await workFolders()).trim(), '', 'the private work folder is gone');
});

test('an MPEG-4 Part 2 AVI converts to a playable WebM, on the login node (niced) and as a batch job', { skip, timeout: 180_000 }, async () => {
  const source = `${work}/old camera 'clip'.avi`;
  await sh(ops, 'ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 2 -c:v mpeg4 -c:a pcm_s16le -f avi "$1"', source);
  const login = await chooseRunner({ choice: { runOn: 'login' }, nice: 10, host: HOST, scheduler: () => schedulers.scheduler(HOST), user: () => schedulers.user(HOST) });
  for (const [runner, name] of [
    [login, 'login'],
    [await batch(), 'batch'],
  ] as const) {
    const output = `${work}/${name} old camera.webm`;
    const fractions: number[] = [];
    const res = await convertToWebm({ ops, runner, source, output, onProgress: (p) => p.fraction !== undefined && fractions.push(p.fraction) });
    const p = await fetchProbe(output);
    assert.equal(p.codec, 'vp9', name);
    assert.ok(Math.abs(p.durationS - 2) < 0.2, `${name}: duration ${p.durationS}`);
    assert.deepEqual([p.width, p.height], [320, 240]);
    assert.equal(fractions.at(-1), 1);
    if (name === 'batch') {
      assert.ok(res.jobId);
      assert.equal(await sacctState(res.jobId, /^COMPLETED$/, 'remote-hpc-convert'), 'COMPLETED');
    } else assert.equal(res.jobId, undefined);
  }
  assert.deepEqual(await dotEntries(work), []);
});

test('a host without a scheduler falls back to the login node, with a notice', { skip, timeout: 60_000 }, async () => {
  // The same host, but its commands see no SLURM on PATH: sbatch, scontrol… "not found".
  const noSlurm = { run: (argv: string[], o: Parameters<RemoteOps['run']>[1]) => ops.run(argv, { ...o, env: { ...o?.env, PATH: '/nonexistent' } }) } as unknown as RemoteOps;
  const bare = new HostSchedulers(provider(() => noSlurm), silentLogger);
  const notices: string[] = [];
  const runner = await chooseRunner({
    choice: { runOn: 'batch', batch: { time: '5', cpus: 1 } },
    nice: 10,
    host: HOST,
    scheduler: () => bare.scheduler(HOST),
    user: () => bare.user(HOST),
    onFallback: (m) => notices.push(m),
  });
  assert.equal(runner.where, 'login');
  assert.equal(notices.length, 1);
  assert.match(notices[0], /no batch scheduler .*login node, under nice 10/);
  const output = `${work}/fallback.mp4`;
  const res = await makeVideo({ ops, runner, source: { folder: `${work}/frames` }, order: 'name', fps: 10, format: 'mp4', output });
  assert.equal(res.jobId, undefined);
  assert.equal((await fetchProbe(output)).frames, 30);
});
