/**
 * A small RemoteOps over one SSH Session (exec + SFTP), for the preview integration tests: the
 * same shape as the real SFTP fallback (argv quoted once, a channel per command, SFTP for
 * bytes), polling for watch/follow. The real implementations (agent, SFTP) come from
 * src/core/remote; this keeps the preview tests independent of them.
 */
import { randomBytes } from 'node:crypto';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { Disposable } from '../../src/core/cancel';
import type { Session } from '../../src/core/ssh/session';
import type { ChangeEvent, EntryType, FollowOptions, ListOptions, ListResult, RemoteEntry, RemoteOps, RemoteStat, RunOptions, RunResult } from '../../src/core/remote/types';

const S_IFMT = 0o170000;
function typeOfMode(mode: number): EntryType {
  const t = mode & S_IFMT;
  return t === 0o100000 ? 'file' : t === 0o040000 ? 'directory' : t === 0o120000 ? 'symlink' : 'other';
}

function p<T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

export class SessionOps implements RemoteOps {
  readonly kind = 'sftp' as const;
  bytesRead = 0;
  constructor(private readonly session: Session) {}

  private sftp(): Promise<SFTPWrapper> {
    return this.session.sftp();
  }
  private toStat(s: Stats): RemoteStat {
    return { type: typeOfMode(s.mode), size: s.size, mtimeMs: s.mtime * 1000, mode: s.mode & 0o7777 };
  }
  private async statOne(sftp: SFTPWrapper, path: string): Promise<RemoteStat | null> {
    try {
      const l = this.toStat(await p<Stats>((cb) => sftp.lstat(path, cb)));
      if (l.type !== 'symlink') return l;
      try {
        const t = this.toStat(await p<Stats>((cb) => sftp.stat(path, cb)));
        return { ...l, targetType: t.type, size: t.size, mtimeMs: t.mtimeMs };
      } catch {
        return { ...l, targetType: 'other' };
      }
    } catch {
      return null;
    }
  }
  async home(): Promise<string> {
    return (await this.run(['sh', '-c', 'printf %s "$HOME"'])).stdout.toString();
  }
  async getenv(names: string[]): Promise<Record<string, string | undefined>> {
    return Object.fromEntries(names.map((n) => [n, undefined]));
  }
  async list(path: string, opts: ListOptions = {}): Promise<ListResult> {
    const sftp = await this.sftp();
    const raw = await p<{ filename: string; attrs: Stats }[]>((cb) => sftp.readdir(path, cb));
    const entries: RemoteEntry[] = [];
    for (const r of raw) {
      if (opts.hidden === false && r.filename.startsWith('.')) continue;
      const full = `${path === '/' ? '' : path}/${r.filename}`;
      // readdir's attrs are lstat's: only symlinks need another round trip
      const st = typeOfMode(r.attrs.mode) === 'symlink' ? await this.statOne(sftp, full) : this.toStat(r.attrs);
      if (st) entries.push({ ...st, name: r.filename, path: full });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const offset = opts.offset ?? 0;
    return { entries: entries.slice(offset, opts.limit === undefined ? undefined : offset + opts.limit), total: entries.length };
  }
  async stat(paths: string[]): Promise<(RemoteStat | null)[]> {
    const sftp = await this.sftp();
    return Promise.all(paths.map((x) => this.statOne(sftp, x)));
  }
  async readFile(path: string, range?: { offset: number; length: number }): Promise<Buffer> {
    const sftp = await this.sftp();
    const chunks: Buffer[] = [];
    if (range && range.length === 0) return Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const s = sftp.createReadStream(path, range ? { start: range.offset, end: range.offset + range.length - 1 } : {});
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('error', reject);
      s.on('end', () => resolve());
    });
    const out = Buffer.concat(chunks);
    this.bytesRead += out.length;
    return out;
  }
  async writeFileAtomic(path: string, data: Buffer, opts: { create?: boolean; overwrite?: boolean } = {}): Promise<void> {
    const sftp = await this.sftp();
    const exists = (await this.statOne(sftp, path)) !== null;
    if (exists && opts.overwrite === false) throw new Error(`EEXIST: ${path}`);
    const tmp = `${path.slice(0, path.lastIndexOf('/'))}/.${randomBytes(4).toString('hex')}.tmp`;
    await p<void>((cb) => sftp.writeFile(tmp, data, (err) => cb(err, undefined)));
    await this.check(['mv', '-f', '--', tmp, path]);
  }
  private async check(argv: string[]): Promise<void> {
    const r = await this.run(argv);
    if (r.code !== 0) throw new Error(`${argv[0]} failed: ${r.stderr.toString().trim()}`);
  }
  mkdir(path: string): Promise<void> {
    return this.check(['mkdir', '--', path]);
  }
  remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return this.check(opts.recursive ? ['rm', '-rf', '--', path] : ['sh', '-c', 'if [ -d "$1" ] && [ ! -L "$1" ]; then rmdir -- "$1"; else rm -- "$1"; fi', 'sh', path]);
  }
  async rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    if (!opts.overwrite && (await this.stat([to]))[0]) throw new Error(`EEXIST: ${to}`);
    await this.check(['mv', '-f', '--', from, to]);
  }
  copy(from: string, to: string): Promise<void> {
    return this.check(['cp', '--', from, to]);
  }
  async search(): Promise<{ matches: []; truncated: boolean }> {
    return { matches: [], truncated: false };
  }
  watch(paths: string[], listener: (events: ChangeEvent[]) => void): Disposable {
    const known = new Map<string, string>();
    let first = true;
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const events: ChangeEvent[] = [];
        const seen = new Set<string>();
        for (const dir of paths) {
          for (const e of (await this.list(dir)).entries) {
            seen.add(e.path);
            const sig = `${e.size}:${e.mtimeMs}`;
            const old = known.get(e.path);
            if (old === undefined) events.push({ path: e.path, kind: 'created' });
            else if (old !== sig) events.push({ path: e.path, kind: 'changed' });
            known.set(e.path, sig);
          }
        }
        for (const path of [...known.keys()]) {
          if (seen.has(path)) continue;
          known.delete(path);
          events.push({ path, kind: 'deleted' });
        }
        if (!first && events.length) listener(events);
        first = false;
      } catch {
        // transient
      } finally {
        busy = false;
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), 300);
    return { dispose: () => clearInterval(timer) };
  }
  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.session.exec(argv, opts);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
  follow(path: string, opts: FollowOptions): Disposable {
    let offset = opts.offset ?? 0;
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const [st] = await this.stat([path]);
        if (st && st.size < offset) {
          offset = 0;
          opts.onTruncate?.();
        }
        if (st && st.size > offset) {
          const data = await this.readFile(path, { offset, length: st.size - offset });
          const at = offset;
          offset += data.length;
          opts.onData(data, at);
        }
      } catch {
        // not there yet, or gone
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), 200);
    return { dispose: () => clearInterval(timer) };
  }
  dispose(): void {}
}
