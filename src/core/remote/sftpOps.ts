/**
 * RemoteOps over plain SFTP + exec, for hosts without Python. Filters and sorting run here with
 * the same semantics as the agent (./filters, ./common); every command argument goes through
 * quote.ts (Session.exec / spawn quote argv once).
 */
import type { SFTPWrapper, Stats } from 'ssh2';
import type { Session } from '../ssh/session';
import type { Logger } from '../log';
import { CancelledError, type Disposable } from '../cancel';
import { RemoteFsError, classifyRemoteError } from './errors';
import { displayName, isEscaped } from './remoteName';
import { compileFilter, joinPath } from './filters';
import { SEARCH_MAX_FILE_SIZE, SkipList, binaryFilesArgv, contentGrepArgv, skipsArgv, type GrepQuery } from './search';
import { checkFilter } from './agentOps';
import { aboutUserPath } from '../userPath';
import { TEMP_RE, TEMP_STALE_MS, basename, isTempName, compareNames, diffSnapshots, dirname, isDirLike, nameMatcher, pageStart, sortEntries, tempNameFor } from './common';
import {
  explainWriteFailure,
  hasExtension,
  sftpClose,
  sftpFchmod,
  sftpFtruncate,
  sftpFstat,
  sftpFsync,
  sftpLstat,
  sftpMkdir,
  sftpOpen,
  sftpReaddirPipelined,
  sftpReadRange,
  sftpRealpath,
  sftpReplace,
  sftpRmdir,
  sftpStat,
  sftpUnlink,
  sftpWriteAll,
} from '../ssh/sftp';
import type {
  ChangeEvent,
  EntryType,
  FollowOptions,
  WatchOptions,
  ListOptions,
  ListResult,
  RemoteEntry,
  RemoteOps,
  RemoteStat,
  RunOptions,
  RunResult,
  SearchMatch,
  SearchOptions,
  SearchResult,
  WriteOutcome,
} from './types';

const S_IFMT = 0o170000;

export function typeFromMode(mode: number): EntryType {
  switch (mode & S_IFMT) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

function toStat(st: Stats): RemoteStat {
  return { type: typeFromMode(st.mode), size: st.size, mtimeMs: st.mtime * 1000, mode: st.mode & 0o7777 };
}

/**
 * A left-over of our own interrupted save, safe to delete: our exact current naming (legacy names
 * are only hidden), owned by the session user (a shared folder holds other users' files), stale.
 */
export function isOurStaleTemp(name: string, attrs: { uid: number; mtime: number }, uid: number | undefined, nowMs: number): boolean {
  return TEMP_RE.test(name) && uid !== undefined && attrs.uid === uid && nowMs - attrs.mtime * 1000 > TEMP_STALE_MS;
}

/**
 * ssh2 decodes SFTP names as UTF-8, so a name that is not valid UTF-8 arrives with U+FFFD in it
 * and cannot be told apart from the file really named so; an escaped name (./remoteName) cannot be
 * sent as its bytes. Such paths are refused, never resolved to another file.
 */
export function sftpCannotAddress(path: string): boolean {
  return path.includes('\uFFFD') || isEscaped(path);
}

function checkAddressable(...paths: string[]): void {
  for (const p of paths) {
    if (sftpCannotAddress(p)) {
      throw new RemoteFsError('unknown', p, `The name is not valid UTF-8 and cannot be addressed exactly over SFTP (no Python agent on this host), so it is not touched: ${displayName(p)}`);
    }
  }
}

/** How long the following pages of a folder are served from its first page's read. */
const LISTING_TTL_MS = 30_000;
const MAX_LISTINGS = 4;
/** From this many entries a listing says `huge`, so the UI can warn. */
const HUGE_FOLDER = 100_000;

const isMissing = (err: unknown) => classifyRemoteError(err) === 'not-found';

/** Runs `$SHELL -l` (sh-family shells) so variables set by login scripts are seen, as by the agent. */
const GETENV_SCRIPT = [
  'body=\'printf "@@RHPC-ENV@@"; for n in "$@"; do if v=$(printenv "$n"); then printf "%s=%s\\0" "$n" "$v"; fi; done\'',
  'case "${SHELL##*/}" in bash|zsh|ksh|ksh93|mksh|sh|dash|ash|yash) exec "$SHELL" -lc "$body" sh "$@";; esac',
  'eval "$body"',
].join('; ');

export interface SftpOpsOptions {
  /** Polling interval of watch() (default 1000 ms). */
  watchIntervalMs?: number;
  /** Polling interval of follow() (default 250 ms). */
  followIntervalMs?: number;
}

export class SftpOps implements RemoteOps {
  readonly kind = 'sftp' as const;
  private homeDir: Promise<string> | undefined;
  private uidP: Promise<number | undefined> | undefined;
  private contentChannel: Promise<SFTPWrapper> | undefined;
  /** Sorted listings for paging, newest last (bounded: MAX_LISTINGS, LISTING_TTL_MS). */
  private readonly listings = new Map<string, { at: number; entries: RemoteEntry[] }>();
  private readonly timers = new Set<Disposable>();

  constructor(
    private readonly session: Session,
    private readonly log: Logger,
    private readonly opts: SftpOpsOptions = {},
  ) {}

  get closed(): boolean {
    return !this.session.connected;
  }

  private sftp(): Promise<SFTPWrapper> {
    return this.session.sftp();
  }

  /** The session user's uid (`id -u`), undefined when unknown: then no temp file is ever deleted. */
  private uid(): Promise<number | undefined> {
    this.uidP ??= this.session
      .exec(['id', '-u'], { timeoutMs: 30_000 })
      .then((r) => {
        const out = r.stdout.toString('utf8').trim();
        return r.code === 0 && /^\d+$/.test(out) ? Number(out) : undefined;
      })
      .catch(() => undefined);
    return this.uidP;
  }

  home(): Promise<string> {
    this.homeDir ??= this.sftp().then((s) => sftpRealpath(s, '.'));
    this.homeDir.catch(() => (this.homeDir = undefined));
    return this.homeDir;
  }

  async getenv(names: string[]): Promise<Record<string, string | undefined>> {
    for (const n of names) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`Invalid environment variable name: ${n}`);
    const out: Record<string, string | undefined> = Object.fromEntries(names.map((n) => [n, undefined]));
    if (names.length === 0) return out;
    const res = await this.session.exec(['/bin/sh', '-c', GETENV_SCRIPT, 'sh', ...names], { timeoutMs: 30_000 });
    const text = res.stdout.toString('utf8');
    const at = text.indexOf('@@RHPC-ENV@@');
    if (at < 0) throw new Error(`getenv failed: ${res.stderr.toString('utf8').trim() || `exit ${res.code}`}`);
    for (const pair of text.slice(at + 12).split('\0')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq) in out) out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return out;
  }

  /**
   * Pages of a folder: the first page reads the whole folder (SFTP cannot read a sorted slice) and
   * keeps the sorted entries a short while, so the following pages do not read it all again. A
   * name query is answered from that listing while it is kept (typing in Find in Folder), else
   * drops what does not match while the folder is read; `locate` reads it afresh.
   */
  async list(path: string, opts: ListOptions = {}): Promise<ListResult> {
    checkAddressable(path);
    checkFilter(opts.filter, path);
    const keyOf = (name: string) => JSON.stringify([path, opts.filter ?? null, opts.sort ?? 'name', !!opts.descending, !!opts.natural, opts.hidden ?? true, name]);
    const fresh = (x: { at: number } | undefined): x is { at: number; entries: RemoteEntry[] } => !!x && Date.now() - x.at <= LISTING_TTL_MS;
    const key = keyOf(opts.name ?? '');
    let offset = opts.offset ?? 0;
    let snap = this.listings.get(key);
    const every = opts.name && opts.locate === undefined ? this.listings.get(keyOf('')) : undefined;
    if (fresh(every)) {
      const match = nameMatcher(opts.name);
      snap = { at: every.at, entries: every.entries.filter((e) => match(e.name)) }; // not kept: cheap to redo
    } else if (!fresh(snap) || offset === 0 || opts.locate !== undefined) {
      snap = { at: Date.now(), entries: await this.readListing(path, opts) };
      this.listings.delete(key);
      this.listings.set(key, snap);
      for (const k of this.listings.keys()) if (this.listings.size > MAX_LISTINGS) this.listings.delete(k);
    }
    const kept = snap.entries;
    let position: number | undefined;
    if (opts.locate !== undefined) {
      position = kept.findIndex((e) => e.name === opts.locate);
      if (position >= 0) offset = pageStart(position, opts.limit);
    }
    const page = opts.limit === undefined ? kept.slice(offset) : kept.slice(offset, offset + opts.limit);
    return { entries: page, total: kept.length, offset, ...(position !== undefined ? { position } : {}), ...(kept.length >= HUGE_FOLDER ? { huge: true } : {}) };
  }

  /** Every entry of a folder, filtered and sorted; removes our own stale temp files on the way. */
  private async readListing(path: string, opts: ListOptions): Promise<RemoteEntry[]> {
    const filter = compileFilter(opts.filter);
    const match = opts.name ? nameMatcher(opts.name) : undefined;
    const sftp = await this.sftp();
    const keep = match && ((r: { filename: string }) => match(r.filename) || isTempName(r.filename));
    const [raw, uid] = await Promise.all([sftpReaddirPipelined(sftp, path, { ...(keep ? { keep } : {}), ...(opts.signal ? { signal: opts.signal } : {}) }), this.uid()]);
    const now = Date.now();
    const hidden = opts.hidden ?? true;
    const entries: RemoteEntry[] = [];
    const links: RemoteEntry[] = [];
    const stale: string[] = [];
    for (const r of raw) {
      const name = r.filename;
      if (name.startsWith('.')) {
        if (isTempName(name)) {
          if (isOurStaleTemp(name, r.attrs, uid, now)) stale.push(joinPath(path, name));
          continue;
        }
        if (!hidden) continue;
      }
      const e: RemoteEntry = { name, path: joinPath(path, name), ...toStat(r.attrs as Stats) };
      if (sftpCannotAddress(name)) e.unaddressable = true;
      if (e.type === 'symlink') {
        if (e.unaddressable) e.targetType = 'other';
        else links.push(e);
      }
      entries.push(e);
    }
    await this.resolveLinks(sftp, links);
    if (opts.signal?.aborted) throw new CancelledError();
    const kept = filter.empty ? entries : entries.filter((e) => filter.keep(e.path, isDirLike(e)));
    sortEntries(kept, opts.sort ?? 'name', !!opts.descending, !!opts.natural);
    for (const p of stale) sftpUnlink(sftp, p).catch(() => undefined); // left-overs of interrupted saves
    return kept;
  }

  /** Fills targetType (and the target's size, time, mode) of symlinks, several stats in flight. */
  private async resolveLinks(sftp: SFTPWrapper, links: RemoteEntry[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < links.length) {
        const e = links[next++];
        try {
          const st = toStat(await sftpStat(sftp, e.path));
          e.targetType = st.type;
          e.size = st.size;
          e.mtimeMs = st.mtimeMs;
          e.mode = st.mode;
        } catch {
          e.targetType = 'other';
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, links.length) }, worker));
  }

  async stat(paths: string[]): Promise<(RemoteStat | null)[]> {
    checkAddressable(...paths);
    const sftp = await this.sftp();
    return Promise.all(
      paths.map(async (p) => {
        let st: RemoteStat;
        try {
          st = toStat(await sftpLstat(sftp, p));
        } catch (err) {
          if (isMissing(err)) return null;
          throw err;
        }
        if (st.type === 'symlink') {
          try {
            const t = toStat(await sftpStat(sftp, p));
            return { ...t, type: 'symlink' as const, targetType: t.type };
          } catch {
            return { ...st, targetType: 'other' as const };
          }
        }
        return st;
      }),
    );
  }

  /**
   * The channel file contents are read on, apart from listings and stats: sftp-server handles one
   * request at a time, so a slow read (a stalled network file system) never holds up browsing.
   */
  private contentSftp(): Promise<SFTPWrapper> {
    if (!this.contentChannel) {
      const p = this.session.openSftp();
      this.contentChannel = p;
      const drop = () => this.contentChannel === p && (this.contentChannel = undefined);
      p.then((s) => s.once('close', drop), drop);
    }
    return this.contentChannel;
  }

  /**
   * Stats a path (through symlinks) on the content channel and refuses anything but a regular
   * file, before it is ever opened: opening a FIFO blocks sftp-server, and every request after it.
   */
  private async regularFile(path: string): Promise<{ sftp: SFTPWrapper; size: number }> {
    checkAddressable(path);
    const sftp = await this.contentSftp();
    const st = await sftpStat(sftp, path);
    const type = typeFromMode(st.mode);
    if (type === 'directory') throw new RemoteFsError('is-a-directory', path);
    if (type !== 'file') throw new RemoteFsError('unknown', path, `Not a regular file (FIFO, socket or device), not opened: ${path}`);
    return { sftp, size: st.size };
  }

  async readFile(path: string, range?: { offset: number; length: number }): Promise<Buffer> {
    checkAddressable(path);
    const { sftp } = await this.regularFile(path);
    const h = await sftpOpen(sftp, path, 'r');
    try {
      const offset = range?.offset ?? 0;
      const length = range?.length ?? Math.max(0, (await sftpFstat(sftp, h)).size - offset);
      return await sftpReadRange(sftp, h, offset, length);
    } finally {
      await sftpClose(sftp, h).catch(() => undefined);
    }
  }

  async writeFileAtomic(path: string, data: Buffer, opts: { create?: boolean; overwrite?: boolean } = {}): Promise<WriteOutcome> {
    checkAddressable(path);
    this.listings.clear(); // our own change: no page from before it
    const sftp = await this.sftp();
    let target = path;
    let existing: Stats | undefined;
    try {
      existing = await sftpStat(sftp, path);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    if (!existing && opts.create === false) throw new RemoteFsError('not-found', path);
    if (existing && opts.overwrite === false) throw new RemoteFsError('exists', path);
    if (existing?.isDirectory()) throw new RemoteFsError('is-a-directory', path);
    if (existing && !existing.isFile()) throw new RemoteFsError('unknown', path, `Not a regular file (FIFO, socket or device), not replaced: ${path}`);
    if (existing && typeFromMode((await sftpLstat(sftp, path)).mode) === 'symlink') target = await sftpRealpath(sftp, path);
    const tmp = tempNameFor(target);
    let h: Buffer;
    try {
      // New files: 0666 and the server's umask, as an editor would create them.
      h = await sftpOpen(sftp, tmp, 'wx', existing ? 0o600 : 0o666);
    } catch (err) {
      // Said about the user's file: the temp name is ours.
      aboutUserPath(err, tmp, target);
      // A writable file in a folder we may not write: overwrite the file itself (not atomic).
      if (!existing || classifyRemoteError(err) !== 'no-permission') throw err;
      await this.writeInPlace(sftp, target, data, err);
      return { inPlace: true };
    }
    try {
      try {
        await sftpWriteAll(sftp, h, data);
        if (existing) await sftpFchmod(sftp, h, existing.mode & 0o7777);
        if (hasExtension(sftp, 'fsync@openssh.com')) await sftpFsync(sftp, h);
      } catch (err) {
        await sftpClose(sftp, h).catch(() => undefined);
        throw err;
      }
      await sftpClose(sftp, h);
      await sftpReplace(sftp, tmp, target);
    } catch (err) {
      const explained = await explainWriteFailure(sftp, err, target, data.length);
      await sftpUnlink(sftp, tmp).catch(() => undefined);
      throw aboutUserPath(explained, tmp, target);
    }
    return { inPlace: false };
  }

  /** New bytes over the old, then the length: owner, mode and hard links stay. */
  private async writeInPlace(sftp: SFTPWrapper, path: string, data: Buffer, folderError: unknown): Promise<void> {
    let h: Buffer;
    try {
      h = await sftpOpen(sftp, path, 'r+');
    } catch {
      throw folderError; // the file is not writable either: the folder's error says why
    }
    try {
      if (!(await sftpFstat(sftp, h)).isFile()) throw new RemoteFsError('unknown', path, `Not a regular file, not written: ${path}`);
      await sftpWriteAll(sftp, h, data);
      await sftpFtruncate(sftp, h, data.length);
      if (hasExtension(sftp, 'fsync@openssh.com')) await sftpFsync(sftp, h);
    } finally {
      await sftpClose(sftp, h).catch(() => undefined);
    }
  }

  async mkdir(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    checkAddressable(path);
    this.listings.clear(); // our own change: no page from before it
    const sftp = await this.sftp();
    const exists = async (p: string) => !!(await sftpStat(sftp, p).catch(() => undefined));
    if (!opts.recursive) {
      try {
        await sftpMkdir(sftp, path);
      } catch (err) {
        if (await exists(path)) throw new RemoteFsError('exists', path);
        throw err;
      }
      return;
    }
    const missing: string[] = [];
    for (let p = path; p !== '/' && p !== '.' && !(await exists(p)); p = dirname(p)) missing.unshift(p);
    for (const p of missing) {
      try {
        await sftpMkdir(sftp, p);
      } catch (err) {
        if (!(await exists(p))) throw err;
      }
    }
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    checkAddressable(path);
    this.listings.clear(); // our own change: no page from before it
    const sftp = await this.sftp();
    const st = await sftpLstat(sftp, path);
    if (!st.isDirectory()) return sftpUnlink(sftp, path);
    if (opts.recursive) {
      const res = await this.session.exec(['rm', '-rf', '--', path], { timeoutMs: 600_000 });
      if (res.code !== 0) throw new Error(`Cannot remove ${path}: ${res.stderr.toString('utf8').trim()}`);
      return;
    }
    try {
      await sftpRmdir(sftp, path);
    } catch (err) {
      const left = await sftpReaddirPipelined(sftp, path).catch(() => []);
      if (left.length > 0) throw new RemoteFsError('not-empty', path);
      throw err;
    }
  }

  async rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    checkAddressable(from, to);
    this.listings.clear(); // our own change: no page from before it
    const sftp = await this.sftp();
    if (!opts.overwrite && (await sftpLstat(sftp, to).catch(() => undefined))) throw new RemoteFsError('exists', to);
    await sftpLstat(sftp, from);
    await sftpReplace(sftp, from, to);
  }

  async copy(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    checkAddressable(from, to);
    this.listings.clear(); // our own change: no page from before it
    const sftp = await this.sftp();
    await sftpLstat(sftp, from);
    if (await sftpLstat(sftp, to).catch(() => undefined)) {
      if (!opts.overwrite) throw new RemoteFsError('exists', to);
      await this.remove(to, { recursive: true });
    }
    const res = await this.session.exec(['cp', '-PRp', '--', from, to], { timeoutMs: 3600_000 });
    if (res.code !== 0) throw new Error(`Cannot copy ${from} to ${to}: ${res.stderr.toString('utf8').trim()}`);
  }

  async search(root: string, opts: SearchOptions): Promise<SearchResult> {
    checkFilter(opts.filter, root);
    const filter = compileFilter(opts.filter);
    const cap = opts.maxResults ?? 1000;
    const pat = opts.namePattern ?? '';
    const glob = !pat ? '*' : /[*?[]/.test(pat) ? pat : `*${pat.replace(/\\/g, '\\\\')}*`;
    const rootSlash = root.endsWith('/') ? root : `${root}/`;
    /** Slycat filter on the entry and on every folder between root and it. */
    const keep = (p: string, isDir: boolean): boolean => {
      if (!p.startsWith(rootSlash)) return false;
      if (isTempName(basename(p))) return false;
      if (!filter.keep(p, isDir)) return false;
      for (let i = p.indexOf('/', rootSlash.length); i >= 0; i = p.indexOf('/', i + 1)) if (!filter.keep(p.slice(0, i), true)) return false;
      return true;
    };
    const rootStat = (await this.stat([root]))[0];
    if (!rootStat) throw new RemoteFsError('not-found', root);
    if (rootStat.type !== 'directory' && rootStat.targetType !== 'directory') throw new RemoteFsError('not-a-directory', root);
    const matches: SearchMatch[] = [];
    const skips = new SkipList();
    let truncated = false;
    if (!opts.contentPattern) {
      const argv = ['find', root, '-mindepth', '1', '(', '-type', 'd', '-iname', glob, '-exec', 'printf', '%s/\\0', '{}', '+', ')', '-o', '(', '!', '-type', 'd', '-iname', glob, '-print0', ')'];
      truncated = await this.stream(argv, opts.signal, '\0', (rec) => {
        if (!rec) return true;
        const isDir = rec.endsWith('/');
        const p = isDir ? rec.slice(0, -1) : rec;
        if (keep(p, isDir)) matches.push({ path: p });
        return matches.length <= cap;
      });
    } else {
      const q: GrepQuery = {
        root,
        glob,
        pattern: opts.contentPattern,
        regex: !!opts.regex,
        caseSensitive: !!opts.caseSensitive,
        maxFileSize: opts.maxFileSize === undefined ? SEARCH_MAX_FILE_SIZE : opts.maxFileSize,
      };
      // What grep will not see: unreadable folders and files, files over the size limit, binary files.
      let fields: string[] = [];
      let rootDenied = false;
      await this.stream(skipsArgv(q), opts.signal, '\0', (rec) => {
        fields.push(rec);
        const [kind, a, b] = fields;
        if (kind === 'b' && b === undefined) return true;
        if (a === undefined) return true;
        fields = [];
        if (kind === 'd' && (a === root || `${a}/` === rootSlash)) {
          rootDenied = true;
          return false;
        }
        const path = kind === 'b' ? (b ?? '') : a;
        if (!keep(path, kind === 'd')) return true;
        if (kind === 'd') skips.add({ path, reason: 'denied', folder: true });
        else if (kind === 'u') skips.add({ path, reason: 'denied' });
        else skips.add({ path, reason: 'too-big', size: Number(a) });
        return true;
      });
      if (rootDenied) throw new RemoteFsError('no-permission', root);
      await this.stream(binaryFilesArgv(q), opts.signal, '\0', (rec) => {
        if (rec && keep(rec, false)) skips.add({ path: rec, reason: 'binary' });
        return true;
      });
      let path: string | undefined;
      truncated = await this.stream(contentGrepArgv(q), opts.signal, undefined, (rec) => {
        // grep -Z: "path\0line:text\n"; the path may contain newlines, the text cannot.
        if (path === undefined) {
          path = rec;
          return true;
        }
        const colon = rec.indexOf(':');
        const p = path;
        path = undefined;
        if (keep(p, false)) matches.push({ path: p, line: Number(rec.slice(0, colon)), text: rec.slice(colon + 1).slice(0, 400) });
        return matches.length <= cap;
      });
    }
    if (matches.length > cap) {
      matches.length = cap;
      truncated = true;
    }
    matches.sort((a, b) => compareNames(a.path, b.path) || (a.line ?? 0) - (b.line ?? 0));
    return { matches, truncated, ...skips.result() };
  }

  /**
   * Streams a command's stdout as records (split on `sep`, or for grep -Z alternately on NUL and
   * newline); `onRecord` returning false stops the command. Resolves true when stopped early.
   */
  private async stream(argv: string[], signal: AbortSignal | undefined, sep: string | undefined, onRecord: (rec: string) => boolean): Promise<boolean> {
    if (signal?.aborted) throw new CancelledError();
    const channel = await this.session.spawn(argv);
    return new Promise((resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      let stopped = false;
      let wantNul = true;
      const stop = () => {
        stopped = true;
        channel.signal('KILL');
        channel.close();
      };
      const onAbort = () => {
        stop();
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (d: Buffer) => {
        if (stopped) return;
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        for (;;) {
          const byte = sep !== undefined ? sep.charCodeAt(0) : wantNul ? 0 : 10;
          const i = buf.indexOf(byte);
          if (i < 0) break;
          const rec = buf.subarray(0, i).toString('utf8');
          buf = buf.subarray(i + 1);
          if (sep === undefined) wantNul = !wantNul;
          if (!onRecord(rec)) {
            stop();
            break;
          }
        }
      });
      channel.stderr.on('data', (d: Buffer) => this.log.trace(`${argv[0]}: ${d.toString('utf8').trimEnd()}`));
      channel.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(stopped);
      });
      channel.end();
    });
  }

  watch(paths: string[], listener: (events: ChangeEvent[]) => void, opts: WatchOptions = {}): Disposable {
    const norm = paths.map((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p));
    const state = new Map<string, Map<string, string>>();
    const poll = async (first: boolean) => {
      const events: ChangeEvent[] = [];
      for (const p of norm) {
        const now = await this.snapshot(p);
        if (!first) events.push(...diffSnapshots(state.get(p) ?? new Map(), now));
        state.set(p, now);
      }
      if (events.length) listener(events);
    };
    return this.every(this.opts.watchIntervalMs ?? 1000, poll, `watch ${paths.join(', ')}`, undefined, opts.onReady);
  }

  /** Signatures of a file, or of a directory and its direct children (size, mtime, mode). */
  private async snapshot(path: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const sftp = await this.sftp();
    let st: Stats;
    try {
      st = await sftpStat(sftp, path);
    } catch {
      return out;
    }
    out.set(path, st.isDirectory() ? 'dir' : `${st.mode}:${st.size}:${st.mtime}`);
    if (st.isDirectory()) {
      const list = await sftpReaddirPipelined(sftp, path).catch(() => []);
      for (const e of list) if (!isTempName(e.filename)) out.set(joinPath(path, e.filename), `${e.attrs.mode}:${e.attrs.size}:${e.attrs.mtime}`);
    }
    return out;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (opts.signal?.aborted) throw new CancelledError();
    try {
      const res = await this.session.exec(argv, { cwd: opts.cwd, env: opts.env, stdin: opts.stdin, timeoutMs: opts.timeoutMs, signal: opts.signal });
      return { code: res.code, stdout: res.stdout, stderr: res.stderr };
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      throw err;
    }
  }

  follow(path: string, opts: FollowOptions): Disposable {
    let pos = opts.offset ?? 0;
    const state = { stopped: false };
    const tick = async () => {
      let file: { sftp: SFTPWrapper; size: number };
      try {
        file = await this.regularFile(path);
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      const { sftp, size } = file;
      if (size < pos) {
        pos = 0;
        opts.onTruncate?.();
      }
      if (size <= pos) return;
      const h = await sftpOpen(sftp, path, 'r');
      try {
        while (pos < size && !state.stopped) {
          const n = Math.min(size - pos, 1 << 20);
          const data = await sftpReadRange(sftp, h, pos, n);
          if (data.length === 0 || state.stopped) break;
          opts.onData(data, pos);
          pos += data.length;
        }
      } finally {
        await sftpClose(sftp, h).catch(() => undefined);
      }
    };
    const handle = this.every(this.opts.followIntervalMs ?? 250, tick, `follow ${path}`, opts.onError, opts.onReady);
    return {
      dispose: () => {
        state.stopped = true;
        handle.dispose();
      },
    };
  }

  dispose(): void {
    for (const t of [...this.timers]) t.dispose();
    this.contentChannel?.then((s) => s.end()).catch(() => undefined);
    this.contentChannel = undefined;
  }

  /**
   * Runs `fn` now and then `ms` after each run ends, until disposed; errors are logged, not fatal.
   * `onReady` after the first run (the baseline is taken).
   */
  private every(ms: number, fn: (first: boolean) => Promise<void>, what: string, onError?: (err: Error) => void, onReady?: () => void): Disposable {
    let timer: NodeJS.Timeout | undefined;
    const handle = {
      stopped: false,
      dispose: () => {
        handle.stopped = true;
        if (timer) clearTimeout(timer);
        this.timers.delete(handle);
      },
    };
    this.timers.add(handle);
    const run = async (first: boolean) => {
      try {
        await fn(first);
      } catch (err) {
        this.log.debug(`${what}: ${(err as Error).message}`);
        onError?.(err as Error);
      }
      if (first && !handle.stopped) onReady?.();
      if (!handle.stopped) timer = setTimeout(() => void run(false), ms);
    };
    void run(true);
    return handle;
  }
}
