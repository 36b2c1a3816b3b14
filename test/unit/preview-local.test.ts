/**
 * The preview core against this machine's own python3/Pillow/ImageMagick/ffmpeg through a
 * local RemoteOps: thumbnails, conversion, the cache-backed service and video from stills.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalOps } from '../support/localOps';
import { hostileFrameName, probeVideo } from '../support/media';
import { firstSkip, localTools } from '../support/prerequisites';
import { waitUntil } from '../support/wait';
import { renderRemote, ThumbnailService, type ThumbOutcome } from '../../src/core/preview/thumbnails';
import { imageSize } from '../../src/core/preview/imageSize';
import { PreviewCache } from '../../src/core/preview/cache';
import { loadImage } from '../../src/core/preview/imageLoader';
import { makeVideo, type MakeVideoProgress } from '../../src/core/preview/makeVideo';
import { CancelledError, type Disposable } from '../../src/core/cancel';
import type { FollowOptions } from '../../src/core/remote/types';

const noFfmpeg = localTools.ffmpeg();
const noPil = firstSkip(noFfmpeg, localTools.pillow());
const noMagick = firstSkip(noFfmpeg, localTools.imagemagick());
// The system python has Pillow (python3-pil); put it first on the "remote" PATH.
const PATH_ENV = { PATH: `/usr/bin:/bin:/usr/local/bin:${process.env.PATH ?? ''}` };
const ops = new LocalOps(PATH_ENV);

let dir = '';
let frames = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'preview-local-'));
  frames = join(dir, 'frames dir 100%');
  execFileSync('mkdir', ['-p', frames]);
  if (!noFfmpeg) {
    const gen = join(dir, 'gen');
    execFileSync('mkdir', ['-p', gen]);
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=641x481:rate=10', '-frames:v', '30', join(gen, 'f%02d.png')]);
    const made = (await readdir(gen)).sort();
    for (let i = 0; i < made.length; i++) await rename(join(gen, made[i]), join(frames, hostileFrameName(i + 1)));
    await rm(gen, { recursive: true });
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=3000x2000', '-frames:v', '1', join(dir, 'big.jpg')]);
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x200', '-frames:v', '1', '-pix_fmt', 'rgb24', join(dir, 'scan.tif')]);
  }
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('Pillow thumbnails have the requested size and report the original size', { skip: noPil }, async () => {
  const paths = [join(frames, hostileFrameName(1)), join(dir, 'big.jpg'), join(dir, 'scan.tif'), join(dir, 'missing.png')];
  const { tool, results } = await renderRemote(ops, paths, { maxSize: 128, tools: ['pil'] });
  assert.equal(tool, 'pil');
  const [a, b, c, d] = results;
  assert.ok(a.ok && b.ok && c.ok);
  assert.deepEqual(imageSize(a.data), { format: 'jpeg', width: 128, height: 96 });
  assert.equal(a.originalWidth, 641);
  assert.deepEqual(imageSize(b.data), { format: 'jpeg', width: 128, height: 85 });
  assert.equal(b.originalWidth, 3000);
  assert.equal(imageSize(c.data)?.width, 128);
  assert.equal(d.ok, false);
});

test('ImageMagick stands in for Pillow; no tool at all says unsupported', { skip: noMagick }, async () => {
  const paths = [join(frames, hostileFrameName(5)), join(dir, 'scan.tif')];
  const m = await renderRemote(ops, paths, { maxSize: 100, tools: ['magick'] });
  assert.equal(m.tool, 'magick');
  for (const r of m.results) {
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(Math.max(r.width, r.height), 100);
    assert.equal(Math.max(imageSize(r.data)?.width ?? 0, imageSize(r.data)?.height ?? 0), 100);
  }
  const none = await renderRemote(ops, paths, { maxSize: 100, tools: [] });
  assert.equal(none.tool, null);
  assert.ok(none.results.every((r) => !r.ok && r.unsupported));
  const nopy = await renderRemote(ops, paths, { maxSize: 100, python: 'no-such-python3' });
  assert.ok(nopy.results.every((r) => !r.ok && r.unsupported));
});

test('ThumbnailService streams results and serves repeats from the cache', { skip: noPil && noMagick }, async () => {
  const cache = await PreviewCache.open(join(dir, 'cache'), { maxBytes: 50e6 });
  const names = (await readdir(frames)).sort();
  const targets = names.map((n) => ({ path: join(frames, n), size: 1, mtimeMs: 1 }));
  const svc = new ThumbnailService({ host: 'local', getOps: async () => ops, cache, size: 64, batchSize: 8, concurrency: 2 });
  const got: ThumbOutcome[] = [];
  let calls = 0;
  svc.onResult((r) => {
    calls++;
    got.push(...r);
  });
  svc.want(targets);
  await waitUntil('every thumbnail', () => got.length >= targets.length, 60_000);
  assert.ok(calls >= 4, 'results arrive batch by batch');
  assert.ok(got.every((r) => r.ok && !r.fromCache && Math.max(r.width, r.height) === 64));
  const runsBefore = ops.runs.length;
  const svc2 = new ThumbnailService({ host: 'local', getOps: async () => ops, cache, size: 64 });
  const again: ThumbOutcome[] = [];
  svc2.onResult((r) => again.push(...r));
  svc2.want(targets);
  await waitUntil('every thumbnail', () => again.length >= targets.length, 60_000);
  assert.ok(again.every((r) => r.ok && r.fromCache));
  assert.equal(ops.runs.length, runsBefore, 'no remote call for cached thumbnails');
  svc.dispose();
  svc2.dispose();
});

test('image loader: small images whole, large ones downscaled, TIFF converted; full resolution on request', { skip: noPil }, async () => {
  const cache = await PreviewCache.open(join(dir, 'cache2'), { maxBytes: 50e6 });
  const st = async (p: string) => (await ops.stat([p]))[0]!;
  const small = join(frames, hostileFrameName(2));
  const s = await st(small);
  const a = await loadImage({ ops, cache, host: 'l', path: small, size: s.size, mtimeMs: s.mtimeMs });
  assert.equal(a.downscaled, false);
  assert.equal(a.width, 641);
  const big = join(dir, 'big.jpg');
  const b0 = await st(big);
  const b = await loadImage({ ops, cache, host: 'l', path: big, size: b0.size, mtimeMs: b0.mtimeMs, maxDirectPixels: 1_000_000, previewMaxSide: 1024 });
  assert.equal(b.downscaled, true);
  assert.equal(b.width, 1024);
  assert.equal(b.originalWidth, 3000);
  const full = await loadImage({ ops, cache, host: 'l', path: big, size: b0.size, mtimeMs: b0.mtimeMs, full: true });
  assert.equal(full.downscaled, false);
  assert.equal(execFileSync('sha256sum', [full.file]).toString().split(' ')[0], execFileSync('sha256sum', [big]).toString().split(' ')[0]);
  const t0 = await st(join(dir, 'scan.tif'));
  const t = await loadImage({ ops, cache, host: 'l', path: join(dir, 'scan.tif'), size: t0.size, mtimeMs: t0.mtimeMs });
  assert.equal(t.convertedFrom, 'TIF');
  assert.equal(t.mime, 'image/png');
  assert.equal(t.width, 320);
});

for (const where of ['remote', 'local'] as const) {
  test(`video from 30 hostile-named 641x481 frames (${where} ffmpeg): frame count, duration, even size`, { skip: noFfmpeg }, async () => {
    const output = join(dir, `out ${where} it's.mp4`);
    const progress: MakeVideoProgress[] = [];
    const res = await makeVideo({ ops, source: { folder: frames }, order: 'name', fps: 10, format: 'mp4', output, where, onProgress: (p) => progress.push(p) });
    assert.equal(res.frames, 30);
    assert.equal(res.where, where);
    const p = probeVideo(output);
    assert.equal(p.frames, 30);
    assert.ok(Math.abs(p.durationS - 3) < 0.15, `duration ${p.durationS}`);
    assert.deepEqual([p.width, p.height, p.codec, p.pixFmt], [640, 480, 'h264', 'yuv420p']);
    assert.ok(progress.some((x) => x.phase === 'encode'));
    assert.equal(progress.at(-1)?.fraction, 1);
    const left = (await readdir(dir)).filter((n) => n.startsWith('.'));
    assert.deepEqual(left, [], 'no work folder or partial file left');
    assert.equal(existsSync(join(frames, 'pwned')) || existsSync('pwned'), false);
  });
}

test('a progress read still in flight when the remote ffmpeg ends is not reported after Done', { skip: noFfmpeg }, async () => {
  // The follow hands its data over only once the video is in place, as a slow link may.
  class LateFollow extends LocalOps {
    private readonly late: (() => void)[] = [];
    override follow(path: string, opts: FollowOptions): Disposable {
      return super.follow(path, { ...opts, onData: (d, at) => this.late.push(() => opts.onData(d, at)) });
    }
    override async rename(from: string, to: string, o?: { overwrite?: boolean }): Promise<void> {
      await super.rename(from, to, o);
      setImmediate(() => this.late.splice(0).forEach((f) => f()));
    }
  }
  const progress: MakeVideoProgress[] = [];
  const output = join(dir, 'late progress.mp4');
  await makeVideo({ ops: new LateFollow(PATH_ENV), source: { folder: frames }, order: 'name', fps: 10, format: 'mp4', output, where: 'remote', onProgress: (p) => progress.push(p) });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(progress.at(-1), { phase: 'finish', fraction: 1, message: 'Done' });
});

test('webm from a list of paths ordered by mtime', { skip: noFfmpeg }, async () => {
  const names = (await readdir(frames)).sort().slice(0, 6);
  const output = join(dir, 'list.webm');
  await makeVideo({ ops, source: { paths: names.map((n) => join(frames, n)) }, order: 'mtime', fps: 5, format: 'webm', output });
  const p = probeVideo(output);
  assert.equal(p.codec, 'vp9');
  assert.equal(p.frames, 6);
});

test('cancelling leaves no output, no partial file and no work folder', { skip: noFfmpeg }, async () => {
  // Many big frames so that ffmpeg is still busy when we cancel.
  const many = join(dir, 'many');
  execFileSync('mkdir', ['-p', many]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=25', '-frames:v', '100', join(many, 'f%03d.png')]);
  for (const where of ['remote', 'local'] as const) {
    const ac = new AbortController();
    const output = join(dir, `cancel-${where}.mp4`);
    const run = makeVideo({
      ops,
      source: { folder: many },
      order: 'name',
      fps: 25,
      format: 'mp4',
      output,
      where,
      signal: ac.signal,
      onProgress: (p) => p.phase === 'encode' && (p.framesDone ?? 0) > 2 && ac.abort(),
    });
    await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
    await ops.settled(); // the killed ffmpeg has exited: nothing can appear later
    assert.equal(existsSync(output), false, where);
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.')), [], where);
  }
});

test('an existing output is not overwritten unless asked', { skip: noFfmpeg }, async () => {
  const output = join(dir, 'exists.mp4');
  await writeFile(output, 'keep me');
  await assert.rejects(makeVideo({ ops, source: { folder: frames }, order: 'name', fps: 10, format: 'mp4', output }), /already exists/);
  await assert.rejects(makeVideo({ ops, source: { folder: frames }, order: 'name', fps: 10, format: 'webm', output }), /needs a \.webm name/);
});

test('Make Video under umask 002: the remote work folder is 0700 and its script 0600 when ffmpeg starts', async () => {
  const old = process.umask(0o002);
  try {
    const src = join(dir, 'umask-frames');
    execFileSync('mkdir', ['-p', src]);
    for (const n of ['a.png', 'b.png']) await writeFile(join(src, n), '');
    const record = join(dir, 'modes.txt');
    // A stand-in for the remote ffmpeg: records the modes of the work folder (the -progress file's) and fails.
    const fake = join(dir, 'fake-ffmpeg.sh');
    await writeFile(fake, `#!/bin/sh\nwhile [ "$1" != -progress ]; do shift; done\np=\${2#file:}; d=$(dirname "$p")\nstat -c '%a' "$d" "$d/run.sh" "$d/progress" > ${JSON.stringify(record)}\nexit 3\n`, { mode: 0o755 });
    const output = join(dir, 'umask.mp4');
    await assert.rejects(makeVideo({ ops, source: { folder: src }, order: 'name', fps: 10, format: 'mp4', output, where: 'remote', remoteFfmpeg: fake }), /ffmpeg failed \(exit 3\)/);
    assert.deepEqual((await readFile(record, 'utf8')).trim().split('\n'), ['700', '600', '600']);
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.remote-hpc-video-')), []);
  } finally {
    process.umask(old);
  }
});

test('a failed local encode waits for its frame workers, reports the real error and removes its temp folder', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'video-tmp-'));
  const src = join(dir, 'race-frames');
  execFileSync('mkdir', ['-p', src]);
  for (let i = 1; i <= 12; i++) await writeFile(join(src, `f${String(i).padStart(2, '0')}.png`), 'x');
  let inflight = 0;
  class SlowFrames extends LocalOps {
    override async readFile(path: string, range?: { offset: number; length: number }): Promise<Buffer> {
      inflight++;
      try {
        await new Promise((r) => setTimeout(r, path.endsWith('f01.png') ? 10 : 150));
        if (path.endsWith('f01.png')) throw new Error('frame f01 unreadable');
        return await super.readFile(path, range);
      } finally {
        inflight--;
      }
    }
  }
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const run = makeVideo({ ops: new SlowFrames(PATH_ENV), source: { folder: src }, order: 'name', fps: 10, format: 'mp4', output: join(dir, 'race.mp4'), where: 'local', localFfmpeg: '/bin/true' });
    await assert.rejects(run, /frame f01 unreadable/);
    assert.equal(inflight, 0, 'no frame fetch still running when makeVideo gives up');
    await waitUntil('the local work folder removed', async () => (await readdir(tmp)).length === 0, 5000);
  } finally {
    process.env.TMPDIR = saved;
    await rm(tmp, { recursive: true, force: true });
  }
});
