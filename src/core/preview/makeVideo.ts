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
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from '../cancel';
import { silentLogger, type Logger } from '../log';
import type { RemoteEntry, RemoteOps } from '../remote/types';
import { quoteArg } from '../ssh/quote';
import { ffmpegVideoArgv, frameName, ProgressParser, type FfmpegProgress, type VideoFormat } from './ffmpeg';
import { batchStatusMessage, DEFAULT_NICE, loginRunner, type HeavyRunner } from './heavyWork';
import { basename, extOf, FRAME_EXTS, formatGroup, naturalCompare } from './mime';
import { ffmpegScript, FfmpegFailedError, FfmpegMissingError, remoteFfmpeg, runRemoteFfmpeg } from './remoteFfmpeg';

export type FrameOrder = 'name' | 'mtime';

export interface Frame {
  path: string;
  mtimeMs: number;
}

export interface MakeVideoProgress {
  /** `queue`: a batch job waits or starts (its message says which). */
  phase: 'prepare' | 'queue' | 'fetch' | 'encode' | 'upload' | 'finish';
  /** 0..1 over the whole job. */
  fraction: number;
  message: string;
  framesDone?: number;
  framesTotal?: number;
}

export interface MakeVideoOptions {
  ops: RemoteOps;
  /** Niceness of the remote encode on the login node (default 10; 0: not niced); ignored with `runner`. */
  nice?: number;
  /** Where the remote encode runs (default: the login node, niced). */
  runner?: HeavyRunner;
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
  /** The batch job that made it. */
  jobId?: string;
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

/** Whether a local ffmpeg runs. */
function localFfmpegWorks(program = 'ffmpeg'): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(program, ['-hide_banner', '-version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

const MAKE = 'make a video';

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
  if (where === 'remote') throw new FfmpegMissingError(MAKE);
  if (await localFfmpegWorks(o.localFfmpeg)) return makeLocal(o, frames, ext, log);
  throw new FfmpegMissingError(MAKE);
}

/** The script run on the remote: makes the frame links, then becomes ffmpeg (niced when `nice` > 0). */
export function remoteScript(frames: Frame[], workDir: string, ext: string, ffmpegArgv: string[], nice = DEFAULT_NICE): string {
  return ffmpegScript(frameLinks(frames, workDir, ext), ffmpegArgv, nice, 'make video');
}

/** `ln -s` lines making the numbered frame names: no user file name ever reaches ffmpeg. */
function frameLinks(frames: Frame[], workDir: string, ext: string): string[] {
  return frames.map((f, i) => `ln -s -- ${quoteArg(f.path)} ${quoteArg(`${workDir}/${frameName(i + 1, ext)}`)}`);
}

function encodeProgress(p: FfmpegProgress, total: number, from: number, span: number, jobId?: string): MakeVideoProgress {
  const f = total > 0 ? Math.min(1, p.frame / total) : 0;
  const where = jobId ? `Batch job ${jobId}: encoding` : 'Encoding';
  return { phase: 'encode', fraction: from + span * f, message: `${where} frame ${p.frame} of ${total}`, framesDone: p.frame, framesTotal: total };
}

async function makeRemote(o: MakeVideoOptions, frames: Frame[], ext: string, ffmpeg: string, log: Logger): Promise<MakeVideoResult> {
  const runner = o.runner ?? loginRunner(o.nice ?? DEFAULT_NICE);
  log.info(`[video] ${frames.length} frames → ${o.output} on the remote (${ffmpeg}, ${runner.where === 'batch' ? 'as a batch job' : 'login node'})`);
  o.onProgress?.({ phase: 'encode', fraction: 0.02, message: `Encoding ${frames.length} frames on the remote host`, framesDone: 0, framesTotal: frames.length });
  let jobId: string | undefined;
  await runRemoteFfmpeg({
    ops: o.ops,
    runner,
    output: o.output,
    overwrite: o.overwrite === true,
    what: 'video',
    setup: (workDir) => frameLinks(frames, workDir, ext),
    argv: ({ workDir, tmpOut, progress }) => ffmpegVideoArgv({ ffmpeg, frameDir: workDir, frameExt: ext, fps: o.fps, format: o.format, output: tmpOut, progress, crf: o.crf }),
    onFfmpegProgress: (p) => o.onProgress?.(encodeProgress(p, frames.length, 0.02, 0.95, jobId)),
    onStatus: (s) => {
      jobId = s.jobId;
      const message = batchStatusMessage(s);
      if (message) o.onProgress?.({ phase: 'queue', fraction: 0.02, message });
    },
    ...(o.signal ? { signal: o.signal } : {}),
    log,
  });
  o.onProgress?.({ phase: 'finish', fraction: 1, message: 'Done' });
  return { output: o.output, frames: frames.length, where: 'remote', ...(jobId ? { jobId } : {}) };
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
