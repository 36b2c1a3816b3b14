/**
 * Remote rendering of images: thumbnails, downscaled previews and format conversion (TIFF →
 * PNG), done by thumbs.py on the remote host through RemoteOps.run, so it works over the agent
 * and over the SFTP+exec fallback alike. When the remote has neither Pillow nor ImageMagick (or
 * no python3), results say `unsupported` and callers fetch small originals instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, type Disposable } from '../cancel';
import { silentLogger, type Logger } from '../log';
import type { RemoteOps, RunResult } from '../remote/types';
import { commandLine, quoteArg } from '../ssh/quote';
import { PreviewCache, type CacheKey } from './cache';
import { DEFAULT_NICE, privateRemoteDir, remoteWorkParent, writePrivateFiles, type HeavyRunner, type HeavyStatus } from './heavyWork';
import { imageSize } from './imageSize';
import { BROWSER_IMAGE_EXTS, extOf, mimeOf } from './mime';

let cachedSource: string | undefined;

/**
 * thumbs.py's source. In the extension bundle esbuild inlines it (loader `.py: text`); under tsx
 * (tests, benchmarks) it is read from beside this module. The disk path is tried first: in the
 * bundle `__dirname` is dist/, which has no thumbs.py.
 */
function thumbsSource(): string {
  if (cachedSource === undefined) {
    const onDisk = join(__dirname, 'thumbs.py');
    if (existsSync(onDisk)) cachedSource = readFileSync(onDisk, 'utf8');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    else cachedSource = require('./thumbs.py') as string;
  }
  return cachedSource;
}

export type RemoteTool = 'pil' | 'magick';

export interface RenderOptions {
  /** Longest side in pixels; 0 keeps the size (format conversion only). */
  maxSize: number;
  format?: 'auto' | 'jpeg' | 'png';
  quality?: number;
  /** Threads on the remote (default 4). */
  workers?: number;
  /** Which tools to try, in order (default Pillow, then ImageMagick). */
  tools?: RemoteTool[];
  signal?: AbortSignal;
  /** The python interpreter (default python3). */
  python?: string;
  /** Niceness on the remote host (default 10; 0: not niced); a runner's own niceness wins. */
  nice?: number;
  /** A batch runner renders the whole list in one batch job; otherwise it runs on the login node. */
  runner?: HeavyRunner;
  onStatus?(s: HeavyStatus): void;
}

type RenderResult =
  | {
      ok: true;
      data: Buffer;
      format: 'jpeg' | 'png';
      mime: string;
      width: number;
      height: number;
      originalWidth?: number;
      originalHeight?: number;
      tool: RemoteTool;
    }
  | { ok: false; error: string; unsupported: boolean };

export interface RenderBatch {
  /** The tool the remote would use first (null: none available). */
  tool: RemoteTool | null;
  /** Index-aligned with the paths asked for. */
  results: RenderResult[];
  /** The renderer's niceness on the remote, as it reported it. */
  nice?: number;
}

interface RecordHeader {
  hello?: number;
  nice?: number;
  tool?: RemoteTool | null;
  i?: number;
  ok?: boolean;
  fmt?: 'jpeg' | 'png';
  w?: number;
  h?: number;
  ow?: number;
  oh?: number;
  len: number;
  error?: string;
  unsupported?: boolean;
}

/** Splits thumbs.py's stdout into records. A truncated tail is ignored. */
function parseRecords(buf: Buffer): { header: RecordHeader; data: Buffer }[] {
  const out: { header: RecordHeader; data: Buffer }[] = [];
  let i = 0;
  while (i + 4 <= buf.length) {
    const n = buf.readUInt32BE(i);
    if (i + 4 + n > buf.length) break;
    const header = JSON.parse(buf.toString('utf8', i + 4, i + 4 + n)) as RecordHeader;
    const start = i + 4 + n;
    if (start + header.len > buf.length) break;
    out.push({ header, data: buf.subarray(start, start + header.len) });
    i = start + header.len;
  }
  return out;
}

/** Renders images on the remote host. Never throws for one bad file; throws when cancelled. */
export async function renderRemote(ops: RemoteOps, paths: string[], opts: RenderOptions): Promise<RenderBatch> {
  if (paths.length === 0) return { tool: null, results: [] };
  const request = {
    paths,
    max: opts.maxSize,
    format: opts.format ?? 'auto',
    quality: opts.quality ?? 82,
    workers: opts.workers ?? 4,
    tools: opts.tools ?? ['pil', 'magick'],
    nice: opts.runner?.nice ?? opts.nice ?? DEFAULT_NICE,
  };
  let res: RunResult;
  if (opts.runner?.where === 'batch') {
    // A failed job (refused, timed out) is an error, not "no tool": the originals are not fetched instead.
    res = await renderInJob(ops, opts.runner, request, opts);
  } else {
    try {
      res = await ops.run([opts.python ?? 'python3', '-c', thumbsSource()], { stdin: JSON.stringify(request), signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      const message = `Could not run python3 on the remote host: ${err instanceof Error ? err.message : String(err)}`;
      return { tool: null, results: paths.map(() => ({ ok: false, error: message, unsupported: true })) };
    }
  }
  if (opts.signal?.aborted) throw new CancelledError();
  const records = parseRecords(res.stdout);
  const hello = records.find((r) => r.header.hello === 1);
  const results: RenderResult[] = paths.map(() => ({ ok: false, error: 'No result', unsupported: false }));
  if (!hello) {
    const stderr = res.stderr.toString('utf8').trim().split('\n').slice(-1)[0] ?? '';
    const missing = res.code === 127 || /not found|No such file/i.test(stderr);
    const error = missing ? 'python3 is not available on the remote host' : `Thumbnailer failed (exit ${res.code}): ${stderr}`;
    return { tool: null, results: paths.map(() => ({ ok: false, error, unsupported: true })) };
  }
  for (const { header: h, data } of records) {
    if (h.hello !== undefined || h.i === undefined || h.i < 0 || h.i >= paths.length) continue;
    if (h.ok && h.fmt) {
      const size = h.w !== undefined && h.h !== undefined ? { width: h.w, height: h.h } : imageSize(data);
      if (!size) {
        results[h.i] = { ok: false, error: 'The thumbnailer returned an unreadable image', unsupported: false };
        continue;
      }
      results[h.i] = {
        ok: true,
        data: Buffer.from(data),
        format: h.fmt,
        mime: h.fmt === 'jpeg' ? 'image/jpeg' : 'image/png',
        width: size.width,
        height: size.height,
        ...(h.ow !== undefined && h.oh !== undefined ? { originalWidth: h.ow, originalHeight: h.oh } : {}),
        tool: (h as { tool?: RemoteTool }).tool ?? 'pil',
      };
    } else {
      results[h.i] = { ok: false, error: h.error ?? 'Failed', unsupported: h.unsupported === true };
    }
  }
  return { tool: hello.header.tool ?? null, results, ...(typeof hello.header.nice === 'number' ? { nice: hello.header.nice } : {}) };
}

/**
 * thumbs.py as one batch job: the script and its request go into a private folder under
 * ~/.cache/remote-hpc (which compute nodes see), its records come back in the job's output file.
 */
async function renderInJob(ops: RemoteOps, runner: HeavyRunner, request: { paths: string[]; max: number }, opts: RenderOptions): Promise<RunResult> {
  const dir = await privateRemoteDir(ops, await remoteWorkParent(ops), 'thumbs-');
  try {
    const script = `#!/bin/sh\nexec ${commandLine([opts.python ?? 'python3', `${dir}/thumbs.py`])} < ${quoteArg(`${dir}/request.json`)}\n`;
    await writePrivateFiles(ops, dir, { 'thumbs.py': thumbsSource(), 'request.json': JSON.stringify(request), 'run.sh': script });
    // Room for every image at full size as PNG (4 bytes a pixel) plus headers, within 256 MiB.
    const maxOutputBytes = Math.min(256 * 1024 * 1024, request.paths.length * (Math.max(request.max, 256) ** 2 * 4 + 4096));
    return await runner.run({
      ops,
      script: `${dir}/run.sh`,
      workDir: dir,
      name: 'remote-hpc-thumbnails',
      maxOutputBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onStatus ? { onStatus: opts.onStatus } : {}),
    });
  } catch (err) {
    throw opts.signal?.aborted ? new CancelledError() : err;
  } finally {
    await ops.remove(dir, { recursive: true }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

export interface ThumbTarget {
  path: string;
  size: number;
  mtimeMs: number;
}

export type ThumbOutcome =
  | { path: string; ok: true; file: string; width: number; height: number; fromCache: boolean }
  | { path: string; ok: false; error: string; unsupported: boolean };

export interface ThumbnailServiceOptions {
  host: string;
  getOps(): Promise<RemoteOps>;
  cache: PreviewCache;
  /** Longest side of a thumbnail in pixels. */
  size: number;
  /** Paths per remote call (default 16; 64 per batch job). */
  batchSize?: number;
  /** Remote calls in flight (default 3; 2 batch jobs). */
  concurrency?: number;
  /** Without a remote tool, originals up to this size are fetched instead (default 1 MiB). */
  fetchOriginalMaxBytes?: number;
  /** Niceness of the remote renderer (default 10). */
  nice?: number;
  /** Where the renderer runs: a batch runner makes one job per batch (default: the login node). */
  runner?: HeavyRunner;
  /** A batch job's queued / running / done. */
  onStatus?(s: HeavyStatus): void;
  log?: Logger;
}

/**
 * Thumbnails for a gallery: callers say what is on screen (`want`, which replaces the previous
 * wish, so scrolling away drops queued work); results come back through `onResult` as each
 * batch lands, from the cache when possible.
 */
export class ThumbnailService implements Disposable {
  private queue: ThumbTarget[] = [];
  private readonly inflight = new Set<string>();
  private readonly done = new Map<string, ThumbOutcome>();
  private readonly listeners = new Set<(r: ThumbOutcome[]) => void>();
  private running = 0;
  private remoteTool: RemoteTool | null | undefined;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  /** Bytes received from the remote (thumbnails + originals), for the benchmark. */
  bytesTransferred = 0;

  constructor(private readonly opts: ThumbnailServiceOptions) {
    this.log = opts.log ?? silentLogger;
  }

  onResult(listener: (r: ThumbOutcome[]) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Key of a thumbnail in the preview cache (ext chosen when it is made). */
  keyOf(t: ThumbTarget, ext: string): CacheKey {
    return { host: this.opts.host, path: t.path, size: t.size, mtimeMs: t.mtimeMs, variant: `thumb-${this.opts.size}`, ext };
  }

  /** The outcome for a target already produced (this session), if any. */
  known(path: string): ThumbOutcome | undefined {
    return this.done.get(path);
  }

  /** Replaces the wish list: these targets, in this order. Already made or in flight ones are skipped. */
  want(targets: ThumbTarget[]): void {
    this.queue = targets.filter((t) => !this.inflight.has(this.id(t)) && this.doneFor.get(t.path) !== this.id(t));
    this.pump();
  }

  /** Forgets a path (deleted or changed), so a later want() makes it again. */
  forget(path: string): void {
    this.done.delete(path);
    this.doneFor.delete(path);
  }

  dispose(): void {
    this.abort.abort();
    this.queue = [];
    this.listeners.clear();
  }

  private readonly doneFor = new Map<string, string>();

  private id(t: ThumbTarget): string {
    return `${t.path}\0${t.size}\0${t.mtimeMs}`;
  }

  private emit(results: ThumbOutcome[], targets: Map<string, ThumbTarget>): void {
    if (results.length === 0) return;
    for (const r of results) {
      this.done.set(r.path, r);
      const t = targets.get(r.path);
      if (t) this.doneFor.set(r.path, this.id(t));
    }
    for (const l of this.listeners) {
      try {
        l(results);
      } catch (err) {
        this.log.error(err instanceof Error ? err : String(err));
      }
    }
  }

  private pump(): void {
    // A batch job waits in the queue: fewer, bigger batches.
    const jobs = this.opts.runner?.where === 'batch';
    const concurrency = this.opts.concurrency ?? (jobs ? 2 : 3);
    const batchSize = this.opts.batchSize ?? (jobs ? 64 : 16);
    while (this.running < concurrency && this.queue.length > 0 && !this.abort.signal.aborted) {
      const batch = this.queue.splice(0, batchSize);
      for (const t of batch) this.inflight.add(this.id(t));
      this.running++;
      void this.run(batch)
        .catch((err: unknown) => {
          if (!this.abort.signal.aborted) this.log.warn(`[thumbs] batch failed: ${String(err)}`);
          const targets = new Map(batch.map((t) => [t.path, t]));
          this.emit(
            batch.map((t) => ({ path: t.path, ok: false, error: err instanceof Error ? err.message : String(err), unsupported: false })),
            targets,
          );
        })
        .finally(() => {
          for (const t of batch) this.inflight.delete(this.id(t));
          this.running--;
          this.pump();
        });
    }
  }

  private async run(batch: ThumbTarget[]): Promise<void> {
    const targets = new Map(batch.map((t) => [t.path, t]));
    const hits: ThumbOutcome[] = [];
    const misses: ThumbTarget[] = [];
    for (const t of batch) {
      const file = this.opts.cache.get(this.keyOf(t, 'jpg')) ?? this.opts.cache.get(this.keyOf(t, 'png')) ?? this.cachedOriginal(t);
      const size = file ? imageSize(await readFile(file).catch(() => Buffer.alloc(0))) : undefined;
      if (file && size) hits.push({ path: t.path, ok: true, file, width: size.width, height: size.height, fromCache: true });
      else if (file && extOf(file) === 'svg') hits.push({ path: t.path, ok: true, file, width: 0, height: 0, fromCache: true });
      else misses.push(t);
    }
    this.emit(hits, targets);
    if (misses.length === 0) return;
    const ops = await this.opts.getOps();
    let results: RenderResult[];
    if (this.remoteTool === null) {
      results = misses.map(() => ({ ok: false, error: 'No image tool on the remote host', unsupported: true }));
    } else {
      const batchRes = await renderRemote(ops, misses.map((t) => t.path), {
        maxSize: this.opts.size,
        signal: this.abort.signal,
        workers: 4,
        ...(this.opts.nice !== undefined ? { nice: this.opts.nice } : {}),
        ...(this.opts.runner ? { runner: this.opts.runner } : {}),
        ...(this.opts.onStatus ? { onStatus: this.opts.onStatus } : {}),
      });
      if (this.remoteTool === undefined || batchRes.tool !== null) this.remoteTool = batchRes.tool;
      results = batchRes.results;
    }
    const out: ThumbOutcome[] = [];
    await Promise.all(
      misses.map(async (t, k) => {
        const r = results[k];
        if (r.ok) {
          this.bytesTransferred += r.data.length;
          const file = await this.opts.cache.put(this.keyOf(t, r.format === 'jpeg' ? 'jpg' : 'png'), r.data);
          out.push({ path: t.path, ok: true, file, width: r.width, height: r.height, fromCache: false });
        } else if (r.unsupported) {
          out.push(await this.original(ops, t, r.error));
        } else {
          out.push({ path: t.path, ok: false, error: r.error, unsupported: false });
        }
      }),
    );
    this.emit(out, targets);
  }

  private originalKey(t: ThumbTarget): CacheKey {
    const ext = extOf(t.path);
    return { host: this.opts.host, path: t.path, size: t.size, mtimeMs: t.mtimeMs, variant: 'full', ext };
  }

  private cachedOriginal(t: ThumbTarget): string | undefined {
    const small = t.size <= (this.opts.fetchOriginalMaxBytes ?? 1024 * 1024);
    return small && BROWSER_IMAGE_EXTS.has(extOf(t.path)) ? this.opts.cache.get(this.originalKey(t)) : undefined;
  }

  /** No remote tool could render it: a small browser-readable original stands in. */
  private async original(ops: RemoteOps, t: ThumbTarget, why: string): Promise<ThumbOutcome> {
    const limit = this.opts.fetchOriginalMaxBytes ?? 1024 * 1024;
    const ext = extOf(t.path);
    if (!BROWSER_IMAGE_EXTS.has(ext) || t.size > limit) return { path: t.path, ok: false, error: why, unsupported: true };
    // Bounded read: the listing's size is the remote's word, not a promise.
    const data = await ops.readFile(t.path, { offset: 0, length: limit + 1 });
    if (data.length > limit) return { path: t.path, ok: false, error: `${why}; the original is larger than announced`, unsupported: true };
    this.bytesTransferred += data.length;
    const file = await this.opts.cache.put(this.originalKey(t), data);
    const size = imageSize(data);
    this.log.debug(`[thumbs] ${t.path}: original used (${mimeOf(ext)}, ${data.length} bytes)`);
    return { path: t.path, ok: true, file, width: size?.width ?? 0, height: size?.height ?? 0, fromCache: false };
  }
}
