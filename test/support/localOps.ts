/**
 * RemoteOps over this machine's own file system and processes: the preview core's logic
 * (thumbnails, video from stills, cache) tested without SSH. PATH can be narrowed to hide
 * tools (e.g. no ffmpeg, no Pillow) from the "remote".
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import * as fs from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ChangeEvent, ListOptions, ListResult, RemoteEntry, RemoteOps, RemoteStat, RunOptions, RunResult, SearchResult, FollowOptions, EntryType, WatchOptions } from '../../src/core/remote/types';
import type { Disposable } from '../../src/core/cancel';

function typeOf(st: import('node:fs').Stats): EntryType {
  return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';
}

/** An error as node's fs throws it (errno code and message), as the real RemoteOps classify them. */
function errno(code: string, text: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}, '${path}'`), { code, path });
}

export class LocalOps implements RemoteOps {
  readonly kind = 'sftp' as const;
  readonly closed = false;
  /** Commands run, for assertions. */
  readonly runs: string[][] = [];
  bytesRead = 0;
  /** One promise per process still running (resolved on its 'close'). */
  private readonly live = new Set<Promise<void>>();

  constructor(private readonly env: Record<string, string> = {}) {}

  async home(): Promise<string> {
    return homedir();
  }
  async getenv(names: string[]): Promise<Record<string, string | undefined>> {
    return Object.fromEntries(names.map((n) => [n, process.env[n]]));
  }
  private async statOne(p: string): Promise<RemoteStat | null> {
    try {
      const l = await fs.lstat(p);
      const base: RemoteStat = { type: typeOf(l), size: l.size, mtimeMs: l.mtimeMs, mode: l.mode & 0o7777 };
      if (l.isSymbolicLink()) {
        try {
          const t = await fs.stat(p);
          return { ...base, targetType: typeOf(t), size: t.size, mtimeMs: t.mtimeMs };
        } catch {
          return { ...base, targetType: 'other' };
        }
      }
      return base;
    } catch {
      return null;
    }
  }
  async list(path: string, opts: ListOptions = {}): Promise<ListResult> {
    const names = (await fs.readdir(path)).filter((n) => opts.hidden !== false || !n.startsWith('.'));
    const entries: RemoteEntry[] = [];
    for (const name of names) {
      const st = await this.statOne(join(path, name));
      if (st) entries.push({ ...st, name, path: join(path, name) });
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    const offset = opts.offset ?? 0;
    return { entries: entries.slice(offset, opts.limit === undefined ? undefined : offset + opts.limit), total: entries.length };
  }
  async stat(paths: string[]): Promise<(RemoteStat | null)[]> {
    return Promise.all(paths.map((p) => this.statOne(p)));
  }
  async readFile(path: string, range?: { offset: number; length: number }): Promise<Buffer> {
    let data: Buffer;
    if (!range) data = await fs.readFile(path);
    else {
      const fh = await fs.open(path, 'r');
      try {
        const buf = Buffer.alloc(range.length);
        const { bytesRead } = await fh.read(buf, 0, range.length, range.offset);
        data = buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    }
    this.bytesRead += data.length;
    return data;
  }
  async writeFileAtomic(path: string, data: Buffer, opts: { create?: boolean; overwrite?: boolean } = {}): Promise<{ inPlace: boolean }> {
    const exists = (await this.statOne(path)) !== null;
    if (exists && opts.overwrite === false) throw errno('EEXIST', 'file already exists', path);
    if (!exists && opts.create === false) throw errno('ENOENT', 'no such file or directory', path);
    const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, path);
    return { inPlace: false };
  }
  async mkdir(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await fs.mkdir(path, { recursive: opts.recursive === true });
  }
  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const st = await fs.lstat(path);
    if (st.isDirectory()) await (opts.recursive ? fs.rm(path, { recursive: true }) : fs.rmdir(path)); // rmdir: ENOTEMPTY, as on a host
    else await fs.unlink(path);
  }
  async rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    if (!opts.overwrite && (await this.statOne(to))) throw errno('EEXIST', 'file already exists', to);
    await fs.rename(from, to);
  }
  async copy(from: string, to: string): Promise<void> {
    await fs.copyFile(from, to);
  }
  async search(): Promise<SearchResult> {
    return { matches: [], truncated: false, skipped: [], skippedCounts: {} };
  }
  watch(paths: string[], listener: (events: ChangeEvent[]) => void, opts: WatchOptions = {}): Disposable {
    const watchers: FSWatcher[] = paths.map((dir) =>
      fsWatch(dir, (_ev, name) => {
        if (!name) return;
        const p = join(dir, name.toString());
        void this.statOne(p).then((st) => listener([{ path: p, kind: st ? 'created' : 'deleted' }]));
      }),
    );
    queueMicrotask(() => opts.onReady?.()); // fs.watch is armed when it returns
    return { dispose: () => watchers.forEach((w) => w.close()) };
  }
  run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.runs.push(argv);
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: { ...process.env, ...this.env, ...opts.env }, stdio: 'pipe', detached: true });
      const closed: Promise<void> = new Promise<void>((r) => child.once('close', () => r())).then(() => void this.live.delete(closed));
      this.live.add(closed);
      child.once('error', () => this.live.delete(closed));
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const abort = () => {
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          /* gone */
        }
        reject(new Error('aborted'));
      };
      opts.signal?.addEventListener('abort', abort, { once: true });
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.once('error', (e: NodeJS.ErrnoException) => {
        opts.signal?.removeEventListener('abort', abort);
        if (e.code === 'ENOENT') resolve({ code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(`${argv[0]}: not found`) });
        else reject(e);
      });
      child.once('close', (code) => {
        opts.signal?.removeEventListener('abort', abort);
        resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      });
      child.stdin.on('error', () => undefined); // EPIPE: the program exited without reading its stdin
      child.stdin.end(opts.stdin ?? '');
    });
  }
  /** Resolves once every process started so far has ended (a cancelled run rejects before that). */
  async settled(): Promise<void> {
    while (this.live.size) await Promise.all([...this.live]);
  }
  follow(path: string, opts: FollowOptions): Disposable {
    let offset = opts.offset ?? 0;
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const st = await fs.stat(path);
        if (st.size < offset) {
          offset = 0;
          opts.onTruncate?.();
        }
        if (st.size > offset) {
          const data = await this.readFile(path, { offset, length: st.size - offset });
          const at = offset;
          offset += data.length;
          opts.onData(data, at);
        }
      } catch {
        // not there yet
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), 50);
    void tick().then(() => opts.onReady?.());
    return { dispose: () => clearInterval(timer) };
  }
  dispose(): void {}
}
