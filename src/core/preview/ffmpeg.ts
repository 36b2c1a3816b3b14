/**
 * ffmpeg as data: the argv that turns numbered still frames into a video, and a parser for
 * `-progress` output. Nothing here runs anything (see makeVideo.ts).
 */

export type VideoFormat = 'mp4' | 'webm';

export interface FfmpegVideoArgs {
  /** The ffmpeg program (default "ffmpeg"). */
  ffmpeg?: string;
  /** Folder holding frames named 00000001.<ext>, 00000002.<ext>, … (our names: no glob, no user text). */
  frameDir: string;
  frameExt: string;
  /** Frames per second of the output. */
  fps: number;
  format: VideoFormat;
  /** Output file (written as given: callers pass a temp name and rename it afterwards). */
  output: string;
  /** Where -progress writes key=value blocks: "pipe:1" or a file. */
  progress: string;
  /** Quality: x264 CRF (default 20) or VP9 CRF (default 32). */
  crf?: number;
}

/** Digits in frame file names. */
const FRAME_DIGITS = 8;

export function frameName(index1: number, ext: string): string {
  return `${String(index1).padStart(FRAME_DIGITS, '0')}.${ext}`;
}

/**
 * An image2 pattern matching frameName(): `%` in the folder is doubled so that only our
 * `%08d` is a format, and `file:` keeps a `:` in the path from reading as a protocol.
 */
export function framePattern(frameDir: string, ext: string): string {
  const dir = frameDir.endsWith('/') ? frameDir.slice(0, -1) : frameDir;
  return `file:${dir.replace(/%/g, '%%')}/%0${FRAME_DIGITS}d.${ext}`;
}

/** `file:` prefix: an output named "-x" or "a:b.mp4" is still a plain file. */
function fileUrl(path: string): string {
  return path.startsWith('file:') || path.startsWith('pipe:') ? path : `file:${path}`;
}

/** Even width and height (yuv420p needs them) and a pixel format every player decodes. */
export const SCALE_FILTER = 'scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p';

export function ffmpegVideoArgv(a: FfmpegVideoArgs): string[] {
  if (!(a.fps > 0 && a.fps <= 1000)) throw new Error(`Frame rate must be between 0 and 1000, not ${a.fps}`);
  if (!/^[A-Za-z0-9]{1,8}$/.test(a.frameExt)) throw new Error(`Unexpected frame extension: ${a.frameExt}`);
  const fps = String(a.fps);
  const codec =
    a.format === 'mp4'
      ? ['-c:v', 'libx264', '-preset', 'medium', '-crf', String(a.crf ?? 20), '-movflags', '+faststart', '-f', 'mp4']
      : [...webmCodecArgs(a.crf), '-f', 'webm'];
  return [
    a.ffmpeg ?? 'ffmpeg',
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-nostats',
    '-y',
    '-progress',
    a.progress === 'pipe:1' ? 'pipe:1' : fileUrl(a.progress),
    '-framerate',
    fps,
    '-start_number',
    '1',
    '-i',
    framePattern(a.frameDir, a.frameExt),
    '-vf',
    SCALE_FILTER,
    ...codec,
    '-r',
    fps,
    '-an',
    fileUrl(a.output),
  ];
}

/** VP9 + Opus in WebM: what every browser plays, code-server's Chromium included. */
function webmCodecArgs(crf = 32): string[] {
  return ['-c:v', 'libvpx-vp9', '-b:v', '0', '-crf', String(crf), '-row-mt', '1', '-deadline', 'good', '-cpu-used', '4'];
}

export interface FfmpegConvertArgs {
  ffmpeg?: string;
  /** The video to convert (any container and codec ffmpeg reads). */
  input: string;
  output: string;
  progress: string;
  crf?: number;
}

/** Re-encodes a video's first video stream (and its first audio stream, if any) as WebM. */
export function ffmpegWebmArgv(a: FfmpegConvertArgs): string[] {
  return [
    a.ffmpeg ?? 'ffmpeg',
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-nostats',
    '-y',
    '-progress',
    a.progress === 'pipe:1' ? 'pipe:1' : fileUrl(a.progress),
    '-i',
    fileUrl(a.input),
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-vf',
    SCALE_FILTER,
    ...webmCodecArgs(a.crf),
    '-c:a',
    'libopus',
    '-b:a',
    '96k',
    '-ac',
    '2',
    '-f',
    'webm',
    fileUrl(a.output),
  ];
}

/** ffprobe printing a file's duration in seconds (one number, or N/A). */
export function ffprobeDurationArgv(ffprobe: string, input: string): string[] {
  return [ffprobe, '-v', 'error', '-show_entries', 'format=duration', '-of', 'default=noprint_wrappers=1:nokey=1', fileUrl(input)];
}

export interface FfmpegProgress {
  /** Frames encoded so far. */
  frame: number;
  /** Position in the output, microseconds. */
  outTimeUs?: number;
  fps?: number;
  /** e.g. 2.5 for "2.5x". */
  speed?: number;
  totalSize?: number;
  /** The last block (`progress=end`). */
  end: boolean;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number.parseFloat(s);
  return Number.isFinite(n) ? n : undefined;
}

/** "00:01:02.500000" → microseconds. */
function clockToUs(s: string | undefined): number | undefined {
  const m = s ? /^(-?)(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(s) : null;
  if (!m) return undefined;
  const us = Math.round((Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1e6);
  return m[1] ? -us : us;
}

/**
 * Incremental parser of `-progress` output: feed it chunks as they come (lines may be split
 * anywhere); it calls `onProgress` once per block, i.e. at each `progress=continue|end` line.
 */
export class ProgressParser {
  private partial = '';
  private block = new Map<string, string>();

  constructor(private readonly onProgress: (p: FfmpegProgress) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** Flushes a last line without a newline. */
  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      this.block.set(key, value);
      return;
    }
    const b = this.block;
    this.block = new Map();
    // out_time_us is right; out_time_ms is also microseconds (a historic ffmpeg misnomer).
    const outTimeUs = num(b.get('out_time_us')) ?? num(b.get('out_time_ms')) ?? clockToUs(b.get('out_time'));
    const speed = num(b.get('speed')?.replace(/x$/, ''));
    const p: FfmpegProgress = { frame: num(b.get('frame')) ?? 0, end: value === 'end' };
    if (outTimeUs !== undefined && outTimeUs >= 0) p.outTimeUs = outTimeUs;
    const fps = num(b.get('fps'));
    if (fps !== undefined) p.fps = fps;
    if (speed !== undefined) p.speed = speed;
    const size = num(b.get('total_size'));
    if (size !== undefined) p.totalSize = size;
    this.onProgress(p);
  }
}
