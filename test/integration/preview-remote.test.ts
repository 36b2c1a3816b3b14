/**
 * Previews against the sandbox host over real SSH: remote thumbnails of the fixture images,
 * byte-identical full-resolution fetches, videos made from hostile-named frames (remote and
 * local ffmpeg), and cancellation that leaves nothing behind.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, TRANSPORTS } from '../support/sandbox';
import { firstSkip, localTools, sandboxSkip } from '../support/prerequisites';
import { sh } from '../support/shell';
import { waitUntil } from '../support/wait';
import { hostileFrameName, probeVideo } from '../support/media';
import { renderRemote, ThumbnailService, type ThumbOutcome } from '../../src/core/preview/thumbnails';
import { imageSize } from '../../src/core/preview/imageSize';
import { PreviewCache } from '../../src/core/preview/cache';
import { loadImage } from '../../src/core/preview/imageLoader';
import { makeVideo } from '../../src/core/preview/makeVideo';
import { CancelledError } from '../../src/core/cancel';
import type { RemoteOps } from '../../src/core/remote/types';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';

const skip = sandboxSkip();
const localFfmpeg = firstSkip(skip, localTools.ffmpeg());

for (const transport of TRANSPORTS)
  for (const kind of ['agent', 'sftp'] as const) {
    describe(`previews over the ${kind} RemoteOps (${transport})`, { skip }, () => {
      let conn: Awaited<ReturnType<typeof connectDirect>> | undefined;
      let ops: RemoteOps;
      let home = '';
      let work = '';
      let local = '';

      before(async () => {
        if (skip) return;
        conn = await connectDirect({ transport });
        ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp', onFallback: (why) => { throw new Error(`agent expected: ${why}`); } });
        assert.equal(ops.kind, kind);
        home = await ops.home();
        work = (await sh(ops, 'mktemp -d "$HOME/preview-it.XXXXXX"')).trim() + "/it's a 100% dir";
        await ops.mkdir(work);
        local = await mkdtemp(join(tmpdir(), 'preview-it-'));
        // 30 frames 641x481 with hostile names, made on the remote by its own ffmpeg.
        await sh(ops, 
          `cd "$1" && mkdir gen && ffmpeg -v error -f lavfi -i testsrc=size=641x481:rate=10 -frames:v 30 gen/f%02d.png && i=0 && for f in gen/*.png; do i=$((i+1)); shift; mv -- "$f" "$1"; done && rmdir gen`,
          work,
          ...Array.from({ length: 30 }, (_, i) => hostileFrameName(i + 1)),
        );
      });

      after(async () => {
        if (skip) return;
        await sh(ops, 'rm -rf -- "$(dirname "$1")"', work).catch(() => undefined);
        ops.dispose();
        conn?.close();
        await rm(local, { recursive: true, force: true });
      });

      test('thumbnails of the fixture images have the requested size (decoded from the returned bytes)', { skip }, async () => {
        const dir = `${home}/fixtures/images`;
        const { entries } = await ops.list(dir);
        const files = entries.filter((e) => e.type === 'file').map((e) => e.path);
        assert.ok(files.length >= 10);
        const { tool, results, nice } = await renderRemote(ops, files, { maxSize: 96 });
        assert.equal(tool, 'pil');
        assert.equal(nice, 10, 'thumbnails are made under nice 10 by default');
        results.forEach((r, i) => {
          assert.ok(r.ok, `${files[i]}: ${JSON.stringify(r)}`);
          const size = imageSize(r.data);
          assert.ok(size, files[i]);
          assert.equal(size.width, r.width);
          assert.equal(size.height, r.height);
          const longest = Math.max(r.originalWidth ?? 0, r.originalHeight ?? 0);
          assert.equal(Math.max(size.width, size.height), Math.min(96, longest), files[i]);
          // aspect ratio kept (to a pixel)
          assert.ok(Math.abs(size.width / size.height - (r.originalWidth ?? 1) / (r.originalHeight ?? 1)) < 2 / Math.min(size.width, size.height) + 0.02, files[i]);
        });
      });

      test('ImageMagick on the remote makes the same sizes; hostile names are fine', { skip }, async () => {
        const names = [1, 3, 4, 6, 9].map((i) => `${work}/${hostileFrameName(i)}`);
        const { tool, results, nice } = await renderRemote(ops, names, { maxSize: 64, tools: ['magick'], nice: 3 });
        assert.equal(tool, 'magick');
        assert.equal(nice, 3, 'the niceness asked for (convert inherits it)');
        for (const r of results) {
          assert.ok(r.ok, JSON.stringify(r));
          assert.deepEqual([imageSize(r.data)?.width, imageSize(r.data)?.height], [64, 48]);
          assert.deepEqual([r.originalWidth, r.originalHeight], [641, 481]);
        }
      });

      test('the gallery service streams thumbnails batch by batch and reuses the cache', { skip }, async () => {
        const cache = await PreviewCache.open(join(local, 'cache'), { maxBytes: 100e6 });
        const { entries } = await ops.list(work, { hidden: false });
        const targets = entries.map((e) => ({ path: e.path, size: e.size, mtimeMs: e.mtimeMs }));
        const svc = new ThumbnailService({ host: 'sandbox', getOps: async () => ops, cache, size: 128, batchSize: 8 });
        const got: ThumbOutcome[] = [];
        const t0 = Date.now();
        let firstAt = 0;
        svc.onResult((r) => {
          firstAt ||= Date.now() - t0;
          got.push(...r);
        });
        svc.want(targets);
        await waitUntil('every thumbnail', () => got.length >= targets.length, 60_000);
        const total = Date.now() - t0;
        assert.ok(got.every((r) => r.ok && r.width === 128 && r.height === 96));
        assert.ok(firstAt < total, `first batch (${firstAt} ms) before the last (${total} ms)`);
        assert.ok(svc.bytesTransferred > 0);
        svc.dispose();
      });

      test('full resolution is byte-identical to the remote file (sha256)', { skip }, async () => {
        const cache = await PreviewCache.open(join(local, 'cache-full'), { maxBytes: 100e6 });
        for (const name of ['large_10.jpg', 'odd size 11.png']) {
          const path = `${home}/fixtures/images/${name}`;
          const [st] = await ops.stat([path]);
          assert.ok(st);
          const img = await loadImage({ ops, cache, host: 'sandbox', path, size: st.size, mtimeMs: st.mtimeMs, full: true });
          const mine = createHash('sha256').update(await readFile(img.file)).digest('hex');
          const theirs = (await sh(ops, 'sha256sum -- "$1"', path)).split(' ')[0];
          assert.equal(mine, theirs, name);
        }
      });

      test('a large image is first downscaled on the remote, with its original size reported', { skip }, async () => {
        const cache = await PreviewCache.open(join(local, 'cache-big'), { maxBytes: 100e6 });
        const path = `${home}/fixtures/images/large_10.jpg`;
        const [st] = await ops.stat([path]);
        assert.ok(st);
        const header = imageSize(await ops.readFile(path, { offset: 0, length: 65536 }));
        assert.ok(header);
        const img = await loadImage({ ops, cache, host: 'sandbox', path, size: st.size, mtimeMs: st.mtimeMs, maxDirectPixels: 100_000, previewMaxSide: 256 });
        assert.equal(img.downscaled, true);
        assert.equal(Math.max(img.width ?? 0, img.height ?? 0), Math.min(256, Math.max(header.width, header.height)));
        assert.deepEqual([img.originalWidth, img.originalHeight], [header.width, header.height]);
      });

      async function fetchProbe(remote: string): Promise<ReturnType<typeof probeVideo>> {
        const file = join(local, `probe-${Date.now()}.${remote.slice(remote.lastIndexOf('.') + 1)}`);
        await writeFile(file, await ops.readFile(remote));
        return probeVideo(file);
      }

      async function dotEntries(dir: string): Promise<string[]> {
        return (await ops.list(dir)).entries.filter((e) => e.name.startsWith('.')).map((e) => e.name);
      }

      test('video from 30 hostile-named 641x481 frames with the remote ffmpeg: 30 frames, 3 s, 640x480', { skip }, async () => {
        const output = `${work}/out $(id) it's.mp4`;
        let encodeReports = 0;
        const res = await makeVideo({ ops, source: { folder: work }, order: 'name', fps: 10, format: 'mp4', output, onProgress: (p) => p.phase === 'encode' && encodeReports++ });
        assert.equal(res.where, 'remote');
        assert.equal(res.frames, 30);
        const p = await fetchProbe(output);
        assert.equal(p.frames, 30);
        assert.ok(Math.abs(p.durationS - 3) < 0.15, `duration ${p.durationS}`);
        assert.deepEqual([p.width, p.height, p.codec, p.pixFmt], [640, 480, 'h264', 'yuv420p']);
        assert.ok(encodeReports >= 1);
        assert.deepEqual(await dotEntries(work), []);
        await ops.remove(output);
      });

      test('without a remote ffmpeg the frames are fetched and encoded locally, then uploaded', { skip: localFfmpeg }, async () => {
        const output = `${work}/local.webm`;
        const res = await makeVideo({ ops, source: { folder: work }, order: 'name', fps: 10, format: 'webm', output, where: 'local' });
        assert.equal(res.where, 'local');
        const p = await fetchProbe(output);
        assert.equal(p.frames, 30);
        assert.equal(p.codec, 'vp9');
        assert.deepEqual(await dotEntries(work), []);
        await ops.remove(output);
      });

      test('cancelling a remote encode kills ffmpeg and leaves no output, partial file or work folder', { skip }, async () => {
        const many = `${work}/many`;
        await ops.mkdir(many);
        await sh(ops, 'cd "$1" && ffmpeg -v error -f lavfi -i testsrc=size=1280x720:rate=25 -frames:v 120 f%03d.png', many);
        const ac = new AbortController();
        const output = `${work}/cancelled.mp4`;
        const run = makeVideo({
          ops,
          source: { folder: many },
          order: 'name',
          fps: 25,
          format: 'mp4',
          output,
          signal: ac.signal,
          onProgress: (p) => p.phase === 'encode' && (p.framesDone ?? 0) >= 2 && ac.abort(),
        });
        await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
        const [st] = await ops.stat([output]);
        assert.equal(st, null);
        assert.deepEqual(await dotEntries(work), []);
        const procs = await sh(ops, 'ps -u "$(id -u)" -o args= | grep -F -- "$1" | grep ffmpeg | grep -v grep || true', `${work}/.remote-hpc-video-`); // this test's encode only
        assert.equal(procs.trim(), '', 'no ffmpeg left running');
      });
    });
  }
