/**
 * Local disk cache of previews (thumbnails, downscaled and full images, videos), keyed by what
 * identifies a remote file's content well enough: host, path, size and mtime, plus a variant
 * ("thumb-256", "full", …). A changed file gets a new key, so entries never go stale; old ones
 * age out of the size-capped LRU. Files are written to a temp name and renamed, so a reader
 * never sees half an entry. Pinned entries (a video being played) are never evicted.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Disposable } from '../cancel';
import { silentLogger, type Logger } from '../log';
import { aboutUserPath } from '../userPath';

export interface CacheKey {
  host: string;
  path: string;
  size: number;
  mtimeMs: number;
  /** What rendering of the file: "full", "thumb-256", "preview-2048"… */
  variant: string;
  /** Extension of the cached file (the webview infers the MIME type from it). */
  ext: string;
}

export interface PreviewCacheOptions {
  maxBytes: number;
  log?: Logger;
}

interface Entry {
  size: number;
}

const TMP_PREFIX = '.tmp-';

export class PreviewCache {
  /** LRU order: first = least recently used (Map keeps insertion order; a touch re-inserts). */
  private readonly entries = new Map<string, Entry>();
  private readonly pins = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<string>>();
  private bytes = 0;
  private tmpCounter = 0;
  private readonly log: Logger;

  private constructor(
    readonly dir: string,
    private maxBytes: number,
    log: Logger,
  ) {
    this.log = log;
  }

  /** Opens (creating) the cache folder and indexes what a previous run left, oldest first. */
  static async open(dir: string, opts: PreviewCacheOptions): Promise<PreviewCache> {
    const cache = new PreviewCache(dir, opts.maxBytes, opts.log ?? silentLogger);
    await mkdir(dir, { recursive: true });
    const found: { rel: string; size: number; mtimeMs: number }[] = [];
    for (const shard of await readdir(dir, { withFileTypes: true })) {
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      for (const f of await readdir(join(dir, shard.name))) {
        const rel = `${shard.name}/${f}`;
        const full = join(dir, rel);
        if (f.startsWith(TMP_PREFIX)) {
          await rm(full, { force: true }); // a crash mid-write
          continue;
        }
        try {
          const st = await stat(full);
          if (st.isFile()) found.push({ rel, size: st.size, mtimeMs: st.mtimeMs });
        } catch {
          // vanished meanwhile
        }
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of found) {
      cache.entries.set(f.rel, { size: f.size });
      cache.bytes += f.size;
    }
    await cache.evict();
    return cache;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.entries.size;
  }

  get limit(): number {
    return this.maxBytes;
  }

  async setLimit(maxBytes: number): Promise<void> {
    this.maxBytes = maxBytes;
    await this.evict();
  }

  /** Relative name of a key's file: <2 hex>/<38 hex>.<ext>. */
  static nameOf(key: CacheKey): string {
    const h = createHash('sha256').update(JSON.stringify([key.host, key.path, key.size, key.mtimeMs, key.variant])).digest('hex');
    const ext = key.ext.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8) || 'bin';
    return `${h.slice(0, 2)}/${h.slice(2, 40)}.${ext}`;
  }

  /** Where a key's file is (or would be). */
  pathOf(key: CacheKey): string {
    return join(this.dir, PreviewCache.nameOf(key));
  }

  has(key: CacheKey): boolean {
    return this.entries.has(PreviewCache.nameOf(key));
  }

  /** The cached file's path (marking it recently used), or undefined. */
  get(key: CacheKey): string | undefined {
    const rel = PreviewCache.nameOf(key);
    const e = this.entries.get(rel);
    if (!e) return undefined;
    this.entries.delete(rel);
    this.entries.set(rel, e);
    const full = join(this.dir, rel);
    const now = new Date();
    utimes(full, now, now).catch(() => undefined); // recency survives a restart
    return full;
  }

  async put(key: CacheKey, data: Uint8Array): Promise<string> {
    return this.produce(key, (tmp) => writeFile(tmp, data));
  }

  /**
   * The cached file, or the result of `producer`, which writes the content to the temp path it
   * is given. Concurrent calls for one key share one producer. A failed or aborted producer
   * leaves nothing behind.
   */
  produce(key: CacheKey, producer: (tmpPath: string) => Promise<void>): Promise<string> {
    const hit = this.get(key);
    if (hit) return Promise.resolve(hit);
    const rel = PreviewCache.nameOf(key);
    const running = this.inflight.get(rel);
    if (running) return running;
    const p = this.runProducer(rel, producer).finally(() => this.inflight.delete(rel));
    this.inflight.set(rel, p);
    return p;
  }

  /** Keeps an entry from eviction until disposed (e.g. while a webview plays it). */
  pin(key: CacheKey): Disposable {
    const rel = PreviewCache.nameOf(key);
    this.pins.set(rel, (this.pins.get(rel) ?? 0) + 1);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        const n = (this.pins.get(rel) ?? 1) - 1;
        if (n <= 0) this.pins.delete(rel);
        else this.pins.set(rel, n);
        void this.evict();
      },
    };
  }

  async clear(): Promise<void> {
    for (const rel of [...this.entries.keys()]) if (!this.pins.has(rel)) await this.drop(rel);
  }

  private async runProducer(rel: string, producer: (tmpPath: string) => Promise<void>): Promise<string> {
    const full = join(this.dir, rel);
    const shard = join(this.dir, rel.slice(0, 2));
    await mkdir(shard, { recursive: true });
    const tmp = join(shard, `${TMP_PREFIX}${process.pid}-${++this.tmpCounter}-${rel.slice(3)}`);
    try {
      await producer(tmp);
      const st = await stat(tmp);
      await rename(tmp, full);
      const old = this.entries.get(rel);
      if (old) this.bytes -= old.size;
      this.entries.delete(rel);
      this.entries.set(rel, { size: st.size });
      this.bytes += st.size;
    } catch (err) {
      await rm(tmp, { force: true });
      throw aboutUserPath(err, tmp, full);
    }
    await this.evict();
    return full;
  }

  private async evict(): Promise<void> {
    if (this.bytes <= this.maxBytes) return;
    for (const rel of [...this.entries.keys()]) {
      if (this.bytes <= this.maxBytes) break;
      if (this.pins.has(rel) || this.inflight.has(rel)) continue;
      await this.drop(rel);
    }
  }

  private async drop(rel: string): Promise<void> {
    const e = this.entries.get(rel);
    if (!e) return;
    this.entries.delete(rel);
    this.bytes -= e.size;
    try {
      await rm(join(this.dir, rel), { force: true });
    } catch (err) {
      this.log.warn(`[preview-cache] could not remove ${rel}: ${String(err)}`);
    }
  }
}
