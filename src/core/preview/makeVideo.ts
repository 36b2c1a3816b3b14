/**
 * A video from still images, Slycat's "video compressed from still images":
 *  - frames: the images of a folder, or a list of paths; ordered by name (natural) or mtime;
 *  - on the remote when it has ffmpeg: a private work folder beside the output holds symlinks
 *    00000001.png … to the frames (so no user file name ever reaches ffmpeg: no glob, no concat
 *    list to escape), a script that makes them and `exec`s ffmpeg, and ffmpeg's -progress file,
 *    which is followed for progress;
 *  - else with a local ffmpeg: frames fetched into a local temp folder, the result uploaded;
 *  - else a clear error that ffmpeg is needed.
 * The output is written to a hidden temp name and renamed at the end: a failure or a cancel
 * leaves neither a partial video nor the work folder behind.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from '../cancel';
import { silentLogger, type Logger } from '../log';
import type { RemoteEntry, RemoteOps } from '../remote/types';
import { aboutUserPath } from '../userPath';
import { commandLine, quoteArg } from '../ssh/quote';
import { ffmpegVideoArgv, frameName, ProgressParser, type FfmpegProgress, type VideoFormat } from './ffmpeg';
import { basename, dirname, extOf, FRAME_EXTS, formatGroup, naturalCompare } from './mime';
import { DEFAULT_NICE } from './thumbnails';

export type FrameOrder = 'name' | 'mtime';

export interface Frame {
  path: string;
  mtimeMs: number;
}

export interface MakeVideoProgress {
  phase: 'prepare' | 'fetch' | 'encode' | 'upload' | 'finish';
  /** 0..1 over the whole job. */
  fraction: number;
  message: string;
  framesDone?: number;
  framesTotal?: number;
}

export interface MakeVideoOptions {
  ops: RemoteOps;
  /** Niceness of the remote encode (default 10; 0: not niced). */
  nice?: number;
  /** A folder (its images), or image paths. */
  source: { folder: string } | { paths: string[] };
  order: FrameOrder;
  fps: number;
  format: VideoFormat;
  /** Absolute remote path of the video. */
  output: string;
  /** Replace an existing output (default false: fail if it exists). */
  overwrite?: boolean;
  /** 'auto' (default): remote ffmpeg, else local. */
  where?: 'auto' | 'remote' | 'local';
  crf?: number;
  /** Local ffmpeg program (default "ffmpeg" on PATH). */
  localFfmpeg?: string;
  /** Remote ffmpeg program (default "ffmpeg" on the login shell's PATH). */
  remoteFfmpeg?: string;
  signal?: AbortSignal;
  onProgress?(p: MakeVideoProgress): void;
  log?: Logger;
}

export interface MakeVideoResult {
  output: string;
  frames: number;
  where: 'remote' | 'local';
}

class FfmpegMissingError extends Error {
  readonly userMessage: string;
  constructor(host = 'the remote host') {
    super(`ffmpeg is needed to make a video: it is neither on ${host} (command -v ffmpeg) nor on this machine's PATH.`);
    this.name = 'FfmpegMissingError';
    this.userMessage = `Making a video needs ffmpeg, on ${host} (e.g. "module load ffmpeg" in your shell profile) or on this machine.`;
  }
}

class FfmpegFailedError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegFailedError';
  }
}

/** Sorts frames: natural name order (frame2 < frame10), or mtime then name. */
export function orderFrames(frames: Frame[], order: FrameOrder): Frame[] {
  const byName = (a: Frame, b: Frame) => naturalCompare(basename(a.path), basename(b.path)) || naturalCompare(a.path, b.path);
  return [...frames].sort(order === 'name' ? byName : (a, b) => a.mtimeMs - b.mtimeMs || byName(a, b));
}

/** All frames must decode alike (the image2 demuxer picks one decoder): returns their extension. */
export function commonFrameExt(frames: Frame[]): string {
  if (frames.length === 0) throw new Error('No images to make a video from.');
  const groups = new Set(frames.map((f) => formatGroup(extOf(f.path))));
  for (const g of groups) if (!FRAME_EXTS.has(g)) throw new Error(`Not an image ffmpeg reads as a frame: .${g}`);
  if (groups.size > 1) throw new Error(`The frames mix formats (${[...groups].join(', ')}): choose images of one format.`);
  return [...groups][0];
}

async function listFrames(ops: RemoteOps, source: MakeVideoOptions['source']): Promise<Frame[]> {
  if ('folder' in source) {
    const entries: RemoteEntry[] = [];
    for (let offset = 0; ; ) {
      const page = await ops.list(source.folder, { offset, limit: 5000, hidden: false });
      entries.push(...page.entries);
      offset += page.entries.length;
      if (page.entries.length === 0 || offset >= page.total) break;
    }
    return entries
      .filter((e) => (e.type === 'file' || (e.type === 'symlink' && e.targetType === 'file')) && FRAME_EXTS.has(formatGroup(extOf(e.name))))
      .map((e) => ({ path: e.path, mtimeMs: e.mtimeMs }));
  }
  const stats = await ops.stat(source.paths);
  const missing = source.paths.filter((_, i) => stats[i] === null);
  if (missing.length > 0) throw new Error(`Not found: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
  return source.paths.map((path, i) => ({ path, mtimeMs: stats[i]?.mtimeMs ?? 0 }));
}

const ffmpegOnRemote = new WeakMap<RemoteOps, Promise<string | undefined>>();

/** The remote ffmpeg's path (`command -v`), or undefined. Cached per RemoteOps. */
function remoteFfmpeg(ops: RemoteOps, program = 'ffmpeg'): Promise<string | undefined> {
  if (program !== 'ffmpeg') return Promise.resolve(program);
  let p = ffmpegOnRemote.get(ops);
  if (!p) {
    p = ops.run(['sh', '-c', 'command -v ffmpeg'], { timeoutMs: 20_000 }).then(
      (r) => (r.code === 0 ? r.stdout.toString('utf8').trim().split('\n')[0] || undefined : undefined),
      () => undefined,
    );
    ffmpegOnRemote.set(ops, p);
  }
  return p;
}

/** Whether a local ffmpeg runs. */
function localFfmpegWorks(program = 'ffmpeg'): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(program, ['-hide_banner', '-version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

function cancelled(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export async function makeVideo(o: MakeVideoOptions): Promise<MakeVideoResult> {
  const log = o.log ?? silentLogger;
  const report = (p: MakeVideoProgress) => o.onProgress?.(p);
  if (!o.output.startsWith('/')) throw new Error(`The output must be an absolute path: ${o.output}`);
  if (extOf(o.output) !== o.format) throw new Error(`A ${o.format} video needs a .${o.format} name: ${basename(o.output)}`);
  report({ phase: 'prepare', fraction: 0, message: 'Listing frames' });
  const frames = orderFrames(await listFrames(o.ops, o.source), o.order);
  const ext = commonFrameExt(frames);
  if (cancelled(o.signal)) throw new CancelledError();
  if (!o.overwrite) {
    const [existing] = await o.ops.stat([o.output]);
    if (existing) throw new Error(`${o.output} already exists.`);
  }

  const where = o.where ?? 'auto';
  const remote = where === 'local' ? undefined : await remoteFfmpeg(o.ops, o.remoteFfmpeg);
  if (remote) return makeRemote(o, frames, ext, remote, log);
  if (where === 'remote') throw new FfmpegMissingError();
  if (await localFfmpegWorks(o.localFfmpeg)) return makeLocal(o, frames, ext, log);
  throw new FfmpegMissingError();
}

/** The script run on the remote: makes the frame links, records its pid, becomes ffmpeg. */
export function remoteScript(frames: Frame[], workDir: string, ext: string, ffmpegArgv: string[], nice = DEFAULT_NICE): string {
  // The links and the pid file are private (umask 077); the video gets the user's usual mode.
  const lines = ['#!/bin/sh', '# Written by Remote HPC (make video); removed when the video is done.', 'set -e', 'user_umask=$(umask)', 'umask 077'];
  frames.forEach((f, i) => lines.push(`ln -s -- ${quoteArg(f.path)} ${quoteArg(`${workDir}/${frameName(i + 1, ext)}`)}`));
  lines.push(`echo $$ > ${quoteArg(`${workDir}/pid`)}`);
  lines.push('umask "$user_umask"');
  // Under nice when it exists (it is POSIX): the encode yields to interactive users; nice execs
  // ffmpeg in the same process, so the pid file and the kill script still find it.
  if (nice > 0) lines.push(`if command -v nice >/dev/null 2>&1; then exec ${commandLine(['nice', '-n', String(nice), ...ffmpegArgv])}; fi`);
  lines.push(`exec ${commandLine(ffmpegArgv)}`);
  return lines.join('\n') + '\n';
}

/** Kills the script's ffmpeg if it still runs (checked through /proc), and waits up to 5 s for it to go. */
const KILL_SCRIPT = `p=$(cat "$1" 2>/dev/null) || exit 0
case "$p" in ''|*[!0-9]*) exit 0;; esac
if [ -r "/proc/$p/cmdline" ] && ! tr '\\0' ' ' < "/proc/$p/cmdline" | grep -q ffmpeg; then exit 0; fi
kill -TERM "$p" 2>/dev/null || exit 0
i=0
while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
kill -KILL "$p" 2>/dev/null || true`;

function encodeProgress(p: FfmpegProgress, total: number, from: number, span: number): MakeVideoProgress {
  const f = total > 0 ? Math.min(1, p.frame / total) : 0;
  return { phase: 'encode', fraction: from + span * f, message: `Encoding frame ${p.frame} of ${total}`, framesDone: p.frame, framesTotal: total };
}

/**
 * A private work folder beside the output: made by `mktemp -d` (mode 0700 whatever the umask,
 * a name nobody can take first) and chmod'ed 0700 again, so no group member can swap the script.
 */
async function privateRemoteDir(ops: RemoteOps, outDir: string): Promise<string> {
  const r = await ops.run(['mktemp', '-d', `${outDir}/.remote-hpc-video-XXXXXXXXXX`], { timeoutMs: 20_000 });
  const dir = r.stdout.toString('utf8').replace(/\n$/, '');
  if (r.code !== 0 || !dir.startsWith(`${outDir}/.remote-hpc-video-`)) {
    // mktemp names its template ("failed to create directory via template '…': Permission denied"): only the reason is the user's.
    const reason = r.stderr.toString('utf8').trim().split('\n').pop()?.split(': ').pop() || `exit ${r.code}`;
    throw new Error(`Could not write in ${outDir}: ${reason}`);
  }
  await chmodRemote(ops, '700', [dir]);
  return dir;
}

async function chmodRemote(ops: RemoteOps, mode: string, paths: string[]): Promise<void> {
  const r = await ops.run(['chmod', mode, '--', ...paths], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`chmod ${mode} failed: ${r.stderr.toString('utf8').trim()}`);
}

async function makeRemote(o: MakeVideoOptions, frames: Frame[], ext: string, ffmpeg: string, log: Logger): Promise<MakeVideoResult> {
  const ops = o.ops;
  const tag = randomBytes(6).toString('hex');
  const outDir = dirname(o.output);
  const tmpOut = `${outDir}/.${basename(o.output)}.${tag}.partial.${o.format}`;
  log.info(`[video] ${frames.length} frames → ${o.output} on the remote (${ffmpeg})`);

  let follow: { dispose(): void } | undefined;
  let started = false;
  let workDir: string | undefined;
  try {
    workDir = await privateRemoteDir(ops, outDir);
    const progressFile = `${workDir}/progress`;
    const argv = ffmpegVideoArgv({ ffmpeg, frameDir: workDir, frameExt: ext, fps: o.fps, format: o.format, output: tmpOut, progress: progressFile, crf: o.crf });
    const script = remoteScript(frames, workDir, ext, argv, o.nice);
    await ops.writeFileAtomic(`${workDir}/run.sh`, Buffer.from(script, 'utf8'), { create: true, overwrite: true });
    await ops.writeFileAtomic(progressFile, Buffer.alloc(0), { create: true, overwrite: true });
    await chmodRemote(ops, '600', [`${workDir}/run.sh`, progressFile]);
    if (cancelled(o.signal)) throw new CancelledError();
    let encoding = true;
    const parser = new ProgressParser((p) => encoding && o.onProgress?.(encodeProgress(p, frames.length, 0.02, 0.95)));
    follow = ops.follow(progressFile, { onData: (chunk) => parser.push(chunk), onError: (e) => log.debug(`[video] progress: ${e.message}`) });
    o.onProgress?.({ phase: 'encode', fraction: 0.02, message: `Encoding ${frames.length} frames on the remote host`, framesDone: 0, framesTotal: frames.length });
    started = true;
    const res = await ops.run(['sh', `${workDir}/run.sh`], { signal: o.signal });
    // Stop following first: a late progress chunk (even a read already in flight) must not
    // report "encoding" after "done".
    encoding = false;
    follow.dispose();
    follow = undefined;
    if (cancelled(o.signal)) throw new CancelledError();
    if (res.code !== 0) {
      const stderr = res.stderr.toString('utf8').trim();
      throw new FfmpegFailedError(`ffmpeg failed (exit ${res.code ?? 'signal'}): ${stderr.split('\n').slice(-3).join(' ') || 'no message'}`, stderr);
    }
    const [st] = await ops.stat([tmpOut]);
    if (!st || st.size === 0) throw new FfmpegFailedError('ffmpeg finished but wrote no video', res.stderr.toString('utf8'));
    o.onProgress?.({ phase: 'finish', fraction: 0.98, message: 'Saving' });
    await ops.rename(tmpOut, o.output, { overwrite: o.overwrite === true });
    o.onProgress?.({ phase: 'finish', fraction: 1, message: 'Done' });
    return { output: o.output, frames: frames.length, where: 'remote' };
  } catch (err) {
    if (started && workDir && cancelled(o.signal)) {
      // The agent kills the process group; over plain exec the channel may not reach ffmpeg.
      await ops.run(['sh', '-c', KILL_SCRIPT, 'sh', `${workDir}/pid`], { timeoutMs: 15_000 }).catch(() => undefined);
    }
    throw cancelled(o.signal) ? new CancelledError() : aboutUserPath(err, tmpOut, o.output);
  } finally {
    follow?.dispose();
    await ops.remove(tmpOut).catch(() => undefined);
    if (workDir) await ops.remove(workDir, { recursive: true }).catch((e: unknown) => log.warn(`[video] could not remove ${workDir}: ${String(e)}`));
  }
}

async function makeLocal(o: MakeVideoOptions, frames: Frame[], ext: string, log: Logger): Promise<MakeVideoResult> {
  const dir = await mkdtemp(join(tmpdir(), 'remote-hpc-video-'));
  log.info(`[video] ${frames.length} frames → ${o.output}: no ffmpeg on the remote, encoding locally in ${dir}`);
  try {
    // 1. fetch frames (0 → 45 %)
    let fetched = 0;
    let next = 0;
    let failed = false;
    const worker = async () => {
      try {
        await fetchFrames();
      } catch (e) {
        failed = true; // the other workers stop at their next frame
        throw e;
      }
    };
    const fetchFrames = async () => {
      while (next < frames.length && !failed) {
        if (cancelled(o.signal)) throw new CancelledError();
        const i = next++;
        const data = await o.ops.readFile(frames[i].path);
        await writeFile(join(dir, frameName(i + 1, ext)), data);
        fetched++;
        o.onProgress?.({ phase: 'fetch', fraction: 0.45 * (fetched / frames.length), message: `Fetching frame ${fetched} of ${frames.length}`, framesDone: fetched, framesTotal: frames.length });
      }
    };
    await settleAll(Array.from({ length: Math.min(6, frames.length) }, worker));

    // 2. encode (45 → 90 %)
    const out = join(dir, `video.${o.format}`);
    const argv = ffmpegVideoArgv({ ffmpeg: o.localFfmpeg, frameDir: dir, frameExt: ext, fps: o.fps, format: o.format, output: out, progress: 'pipe:1', crf: o.crf });
    await runLocal(argv, o.signal, (p) => o.onProgress?.(encodeProgress(p, frames.length, 0.45, 0.45)));

    // 3. upload (temp name + rename, by writeFileAtomic)
    if (cancelled(o.signal)) throw new CancelledError();
    o.onProgress?.({ phase: 'upload', fraction: 0.92, message: 'Uploading the video' });
    const data = await readFile(out);
    if (!o.overwrite) {
      const [existing] = await o.ops.stat([o.output]);
      if (existing) throw new Error(`${o.output} already exists.`);
    }
    await o.ops.writeFileAtomic(o.output, data, { create: true, overwrite: o.overwrite === true });
    o.onProgress?.({ phase: 'finish', fraction: 1, message: 'Done' });
    return { output: o.output, frames: frames.length, where: 'local' };
  } finally {
    // Every worker and ffmpeg has ended here (settleAll, runLocal waits for 'close'): nothing
    // writes into dir any more. A failure to remove it is logged, never hides the real error.
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch((e: unknown) => log.warn(`[video] could not remove ${dir}: ${String(e)}`));
  }
}

/** Like Promise.all, but waits for every promise to settle before rejecting with the first error. */
async function settleAll(work: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function runLocal(argv: string[], signal: AbortSignal | undefined, onProgress: (p: FfmpegProgress) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cancelled(signal)) return reject(new CancelledError());
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const parser = new ProgressParser(onProgress);
    const err: Buffer[] = [];
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    child.stdout.on('data', (d: Buffer) => parser.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e) => {
      signal?.removeEventListener('abort', abort);
      reject(e);
    });
    child.once('close', (code) => {
      signal?.removeEventListener('abort', abort);
      parser.end();
      if (cancelled(signal)) return reject(new CancelledError());
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code !== 0) return reject(new FfmpegFailedError(`ffmpeg failed (exit ${code}): ${stderr.split('\n').slice(-3).join(' ')}`, stderr));
      resolve();
    });
  });
}
