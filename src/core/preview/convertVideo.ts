/**
 * "Convert to WebM on the cluster": a video the player cannot play (a codec or container the
 * browser lacks: MPEG-4 Part 2 in AVI, H.264 without proprietary codecs…) re-encoded by the
 * remote ffmpeg as VP9 + Opus WebM, on the login node (niced) or as a batch job, the same way as
 * Make Video (remoteFfmpeg.ts). Progress is the output time over the source's duration (ffprobe).
 */
import { silentLogger, type Logger } from '../log';
import type { RemoteOps } from '../remote/types';
import { ffmpegWebmArgv, ffprobeDurationArgv } from './ffmpeg';
import { batchStatusMessage, type HeavyRunner } from './heavyWork';
import { basename, dirname, extOf } from './mime';
import { FfmpegMissingError, remoteFfmpeg, runRemoteFfmpeg } from './remoteFfmpeg';

interface ConvertProgress {
  /** `queue`: a batch job waits or starts; `encode`: ffmpeg runs; `finish`: the WebM is in place. */
  phase: 'queue' | 'encode' | 'finish';
  /** 0..1 when the source's duration is known. */
  fraction?: number;
  message: string;
}

export interface ConvertOptions {
  ops: RemoteOps;
  runner: HeavyRunner;
  /** Absolute remote path of the video to convert. */
  source: string;
  /** Absolute remote path of the WebM. */
  output: string;
  overwrite?: boolean;
  /** Remote ffmpeg program (default "ffmpeg" on the login shell's PATH). */
  remoteFfmpeg?: string;
  signal?: AbortSignal;
  onProgress?(p: ConvertProgress): void;
  log?: Logger;
}

export interface ConvertResult {
  output: string;
  jobId?: string;
}

/** `<stem>.webm` beside the source, or `<stem> (2).webm`, `(3)`… when `taken` says a name is used. */
export async function webmNameBeside(source: string, taken: (path: string) => Promise<boolean>, keepBoth: boolean): Promise<string> {
  const dir = dirname(source);
  const name = basename(source);
  const stem = extOf(name) ? name.slice(0, name.lastIndexOf('.')) : name;
  const at = (suffix: string) => `${dir === '/' ? '' : dir}/${stem}${suffix}.webm`;
  const first = at('');
  if (!keepBoth) return first;
  for (let i = 2; i < 1000; i++) if (!(await taken(at(` (${i})`)))) return at(` (${i})`);
  throw new Error(`No free name for a WebM copy of ${name}`);
}

/** The source's duration in µs from the ffprobe beside the remote ffmpeg, or undefined. */
async function durationUs(ops: RemoteOps, ffmpeg: string, source: string): Promise<number | undefined> {
  const ffprobe = ffmpeg.includes('/') ? `${dirname(ffmpeg)}/ffprobe` : 'ffprobe';
  const r = await ops.run(ffprobeDurationArgv(ffprobe, source), { timeoutMs: 30_000 }).catch(() => undefined);
  const s = r?.code === 0 ? Number.parseFloat(r.stdout.toString('utf8').trim()) : Number.NaN;
  return Number.isFinite(s) && s > 0 ? s * 1e6 : undefined;
}

export async function convertToWebm(o: ConvertOptions): Promise<ConvertResult> {
  const log = o.log ?? silentLogger;
  if (!o.source.startsWith('/') || !o.output.startsWith('/')) throw new Error('The source and the output must be absolute paths');
  if (extOf(o.output) !== 'webm') throw new Error(`A WebM needs a .webm name: ${basename(o.output)}`);
  if (o.output === o.source) throw new Error('The WebM cannot replace its own source');
  const ffmpeg = await remoteFfmpeg(o.ops, o.remoteFfmpeg);
  if (!ffmpeg) throw new FfmpegMissingError('convert a video', 'the remote host', false);
  if (!o.overwrite) {
    const [existing] = await o.ops.stat([o.output]);
    if (existing) throw new Error(`${o.output} already exists.`);
  }
  const total = await durationUs(o.ops, ffmpeg, o.source);
  log.info(`[convert] ${o.source} → ${o.output} (${o.runner.where === 'batch' ? 'batch job' : 'login node'})`);
  o.onProgress?.({ phase: 'encode', fraction: 0, message: 'Converting on the cluster' });
  let jobId: string | undefined;
  await runRemoteFfmpeg({
    ops: o.ops,
    runner: o.runner,
    output: o.output,
    overwrite: o.overwrite === true,
    what: 'convert',
    argv: ({ tmpOut, progress }) => ffmpegWebmArgv({ ffmpeg, input: o.source, output: tmpOut, progress }),
    onFfmpegProgress: (p) => {
      const fraction = total && p.outTimeUs !== undefined ? Math.min(1, p.outTimeUs / total) : undefined;
      const done = fraction !== undefined ? ` ${Math.round(fraction * 100)} %` : p.outTimeUs !== undefined ? ` ${(p.outTimeUs / 1e6).toFixed(1)} s` : '';
      o.onProgress?.({ phase: 'encode', ...(fraction !== undefined ? { fraction } : {}), message: `${jobId ? `Batch job ${jobId}: converting` : 'Converting'}${done}` });
    },
    onStatus: (s) => {
      jobId = s.jobId;
      const message = batchStatusMessage(s);
      if (message) o.onProgress?.({ phase: 'queue', message });
    },
    ...(o.signal ? { signal: o.signal } : {}),
    log,
  });
  o.onProgress?.({ phase: 'finish', fraction: 1, message: 'Converted' });
  return { output: o.output, ...(jobId ? { jobId } : {}) };
}
