import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegVideoArgv, framePattern, frameName, ProgressParser, SCALE_FILTER, type FfmpegProgress } from '../../src/core/preview/ffmpeg';
import { commonFrameExt, orderFrames, remoteScript } from '../../src/core/preview/makeVideo';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('mp4 argv: image2 pattern, even-size yuv420p filter, x264, progress target, file: output', () => {
  const argv = ffmpegVideoArgv({ frameDir: '/w/d', frameExt: 'png', fps: 12, format: 'mp4', output: '/out/my video.mp4', progress: '/w/d/progress' });
  assert.equal(argv[0], 'ffmpeg');
  const at = (flag: string) => argv[argv.indexOf(flag) + 1];
  assert.equal(at('-framerate'), '12');
  assert.equal(at('-i'), 'file:/w/d/%08d.png');
  assert.equal(at('-vf'), SCALE_FILTER);
  assert.equal(SCALE_FILTER, 'scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p');
  assert.equal(at('-c:v'), 'libx264');
  assert.equal(at('-f'), 'mp4');
  assert.equal(at('-progress'), 'file:/w/d/progress');
  assert.equal(argv.at(-1), 'file:/out/my video.mp4');
  assert.ok(argv.includes('-nostdin') && argv.includes('-y') && argv.includes('+faststart'));
});

test('webm argv uses VP9 with constant quality', () => {
  const argv = ffmpegVideoArgv({ frameDir: '/d', frameExt: 'jpg', fps: 2.5, format: 'webm', output: '/o.webm', progress: 'pipe:1', crf: 30 });
  const at = (flag: string) => argv[argv.indexOf(flag) + 1];
  assert.equal(at('-c:v'), 'libvpx-vp9');
  assert.equal(at('-b:v'), '0');
  assert.equal(at('-crf'), '30');
  assert.equal(at('-f'), 'webm');
  assert.equal(at('-progress'), 'pipe:1');
  assert.equal(at('-framerate'), '2.5');
});

test('percent signs in the work folder are escaped; only our %08d is a pattern', () => {
  assert.equal(framePattern('/data/100%/x', 'png'), 'file:/data/100%%/x/%08d.png');
  assert.equal(frameName(7, 'tif'), '00000007.tif');
});

test('bad frame rates and extensions are refused', () => {
  assert.throws(() => ffmpegVideoArgv({ frameDir: '/d', frameExt: 'png', fps: 0, format: 'mp4', output: '/o.mp4', progress: 'pipe:1' }), /Frame rate/);
  assert.throws(() => ffmpegVideoArgv({ frameDir: '/d', frameExt: 'p g', fps: 1, format: 'mp4', output: '/o.mp4', progress: 'pipe:1' }), /extension/);
});

// Recorded from `ffmpeg -progress pipe:1` (ffmpeg 5.1), split at awkward places.
const RECORDED = `frame=12
fps=0.00
stream_0_0_q=28.0
bitrate=N/A
total_size=48
out_time_us=0
out_time_ms=0
out_time=00:00:00.000000
dup_frames=0
drop_frames=0
speed=N/A
progress=continue
frame=30
fps=0.00
stream_0_0_q=-1.0
bitrate=  24.3kbits/s
total_size=9121
out_time_us=3000000
out_time_ms=3000000
out_time=00:00:03.000000
dup_frames=0
drop_frames=0
speed=6.41x
progress=end
`;

test('progress parser: one report per block, across arbitrary chunk boundaries', () => {
  for (const cut of [1, 7, 33, 100, RECORDED.length]) {
    const got: FfmpegProgress[] = [];
    const p = new ProgressParser((x) => got.push(x));
    for (let i = 0; i < RECORDED.length; i += cut) p.push(Buffer.from(RECORDED.slice(i, i + cut)));
    p.end();
    assert.equal(got.length, 2, `cut ${cut}`);
    assert.deepEqual(got[0], { frame: 12, outTimeUs: 0, fps: 0, totalSize: 48, end: false });
    assert.deepEqual(got[1], { frame: 30, outTimeUs: 3_000_000, fps: 0, speed: 6.41, totalSize: 9121, end: true });
  }
});

test('progress parser: CRLF, N/A values and out_time fallback', () => {
  const got: FfmpegProgress[] = [];
  const p = new ProgressParser((x) => got.push(x));
  p.push('frame=5\r\nout_time_us=N/A\r\nout_time=00:01:02.500000\r\nspeed=N/A\r\nprogress=continue\r\n');
  assert.deepEqual(got, [{ frame: 5, outTimeUs: 62_500_000, end: false }]);
});

test('frames order naturally by name, or by mtime then name', () => {
  const frames = [
    { path: '/d/f10.png', mtimeMs: 1 },
    { path: '/d/f2.png', mtimeMs: 3 },
    { path: '/d/f1.png', mtimeMs: 3 },
  ];
  assert.deepEqual(orderFrames(frames, 'name').map((f) => f.path), ['/d/f1.png', '/d/f2.png', '/d/f10.png']);
  assert.deepEqual(orderFrames(frames, 'mtime').map((f) => f.path), ['/d/f10.png', '/d/f1.png', '/d/f2.png']);
});

test('frames must share one format (jpg and jpeg count as one)', () => {
  assert.equal(commonFrameExt([{ path: '/a.JPG', mtimeMs: 0 }, { path: '/b.jpeg', mtimeMs: 0 }]), 'jpg');
  assert.throws(() => commonFrameExt([{ path: '/a.png', mtimeMs: 0 }, { path: '/b.jpg', mtimeMs: 0 }]), /mix formats/);
  assert.throws(() => commonFrameExt([]), /No images/);
  assert.throws(() => commonFrameExt([{ path: '/a.txt', mtimeMs: 0 }]), /Not an image/);
});

test('the remote script links hostile names verbatim (checked with a real sh -n and a dry run)', () => {
  const hostile = ["/d/it's $(touch pwned) `id`.png", '/d/new\nline.png', '/d/-rf *.png', '/d/données 数据.png'];
  const script = remoteScript(hostile.map((path) => ({ path, mtimeMs: 0 })), '/w/.work dir', 'png', ['ffmpeg', '-i', 'x'], 0);
  execFileSync('sh', ['-n', '-c', script]);
  assert.ok(!script.includes('nice'), 'niceness 0: not niced');
  // Replace ln/exec by echoes of their arguments to see what the shell would pass.
  const dry = script.replace(/^ln -s -- /gm, 'printf "%s\\0" ').replace(/^echo \$\$ > .*$/m, '').replace(/^exec .*$/m, '');
  const out = execFileSync('sh', ['-c', dry]).toString('utf8').split('\0').slice(0, -1);
  assert.deepEqual(out, hostile.flatMap((h, i) => [h, `/w/.work dir/${frameName(i + 1, 'png')}`]));
});

test('the remote encode runs under nice (default 10) when the host has it, and plainly when not', () => {
  const script = remoteScript([{ path: '/d/a.png', mtimeMs: 0 }], '/w', 'png', ['ffmpeg', '-i', 'x']);
  assert.match(script, /^if command -v nice >\/dev\/null 2>&1; then exec nice -n 10 ffmpeg -i x; fi\nexec ffmpeg -i x\n$/m);
  // Run the tail with stand-ins: PATH with and without `nice`; ffmpeg prints its niceness.
  const bin = mkdtempSync(join(tmpdir(), 'rhpc-nice-'));
  try {
    writeFileSync(join(bin, 'ffmpeg'), '#!/bin/sh\nps -o ni= -p $$ | tr -d " "\n', { mode: 0o755 });
    const tail = script.split('\n').filter((l) => /^(if command|exec)/.test(l)).join('\n');
    const sys = '/usr/bin:/bin';
    assert.equal(execFileSync('/bin/sh', ['-c', tail], { env: { PATH: `${bin}:${sys}` } }).toString().trim(), '10');
    symlinkSync('/bin/sh', join(bin, 'sh'));
    symlinkSync(execFileSync('/bin/sh', ['-c', 'command -v ps']).toString().trim(), join(bin, 'ps'));
    symlinkSync(execFileSync('/bin/sh', ['-c', 'command -v tr']).toString().trim(), join(bin, 'tr'));
    assert.equal(execFileSync('/bin/sh', ['-c', tail], { env: { PATH: bin } }).toString().trim(), '0', 'no nice on PATH: ffmpeg all the same');
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
