/**
 * Downloads and uploads of files and folder trees over SFTP, built for throughput:
 *  - several SFTP channels (Session.openSftp), each with its own SSH flow-control window, since
 *    one channel's window caps throughput at about window / RTT;
 *  - several read/write requests in flight per channel, at the server's largest request size;
 *  - a big file is split into chunks that every channel pulls from one queue, so all channels
 *    work on it at once; folders move several files at a time.
 * Both directions write to a dot-prefixed temp file next to the target and rename it over the
 * target when complete (remote: posix-rename@openssh.com), so a cancelled or broken transfer
 * never leaves a half-written file under the real name.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { Session } from '../ssh/session';
import { CancelledError } from '../cancel';
import { silentLogger, type Logger } from '../log';
import { RemoteFsError, classifyRemoteError } from './errors';
import { joinPath } from './filters';
import { isTempName, tempNameFor } from './common';
import { onUserPath } from '../userPath';
import { sftpCannotAddress } from './sftpOps';
import { assertRealInside, containedPath, isInside, portableName, UnsafeLocalPathError, type PathApi } from '../local/localPath';
import { closedError, explainWriteFailure, maxReadLength, maxWriteLength, sftpIsOpen, sftpClose, sftpError, sftpFchmod, sftpLstat, sftpMkdir, sftpOpen, sftpReaddirPipelined, sftpReplace, sftpStat, sftpUnlink } from '../ssh/sftp';

export interface TransferProgress {
  /** Bytes moved so far and in all. */
  bytes: number;
  totalBytes?: number;
  files?: number;
  totalFiles?: number;
  /** Path of a file being moved. */
  current?: string;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** Called at most every `progressIntervalMs` and once at the end. */
  onProgress?(p: TransferProgress): void;
  progressIntervalMs?: number;
  /** Replace existing files (default true). Folders are merged. */
  overwrite?: boolean;
  /**
   * Most SFTP channels for big transfers (default 7; the session's shared one is one of them).
   * Fewer are used when the measured round trip is short (see channelsForRtt). Each channel's
   * ssh2 window is 2 MiB, so at 30 ms RTT 512 MiB took 1.5–1.9× scp's time with 4 and 2.8–3.2×
   * with 7 (bench/transfer.ts); 7 plus the agent leaves sshd's default MaxSessions (10) room for
   * a terminal or two during a transfer.
   */
  channels?: number;
  /** Requests in flight per channel (default 8). */
  requestsPerChannel?: number;
  /** Bytes per request (default: the server's limit, at most 256 KiB). */
  chunkSize?: number;
  /** Files moved at once in a folder transfer (default 8). */
  fileConcurrency?: number;
  log?: Logger;
  /**
   * Downloads: the folder every local write must stay in (default: localPath for a folder, its
   * parent for a file). Checked lexically and through real paths (no writing through links).
   */
  localRoot?: string;
}

export interface TransferResult {
  bytes: number;
  files: number;
  ms: number;
  /** Downloads: remote names saved under a portable name (`a:b → a%3Ab`), and entries skipped. */
  renamed?: string[];
  skipped?: string[];
}

/**
 * Where a remote entry of a folder download goes: under the local folder, its name made portable
 * (see local/localPath.ts); undefined for a name no real server sends (`.`, `..`, empty, with `/`).
 */
export function localChild(localDir: string, remoteName: string, p: PathApi = nodePath): string | undefined {
  if (remoteName === '' || remoteName === '.' || remoteName === '..' || remoteName.includes('/') || remoteName.includes('\0')) return undefined;
  return containedPath(localDir, [portableName(remoteName)], p);
}

interface FileJob {
  from: string;
  to: string;
  size: number;
  mode: number;
}

/** Most SFTP channels of one big transfer (see TransferOptions.channels). */
const DEFAULT_CHANNELS = 7;

/** Transfers below this size use the session's one SFTP channel only. */
const MULTI_CHANNEL_FROM = 8 << 20;

/**
 * Channels worth opening at a given round-trip time: one channel's 2 MiB window already moves
 * about 2 MiB per RTT, so on a LAN more channels only add CPU work; from ~10 ms on they pay.
 */
function channelsForRtt(rttMs: number, max: number): number {
  if (rttMs < 5) return 1;
  if (rttMs < 12) return Math.min(2, max);
  return max;
}

/** Round-trip time of the SFTP channel: the quickest of three stats of `path`. */
async function measureRtt(s: SFTPWrapper, path: string): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await sftpStat(s, path).catch(() => undefined);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const abortError = () => new CancelledError('Transfer cancelled');

/** The SFTP channels of one transfer: its own main one plus extra ones opened on demand. */
class ChannelPool {
  private extra: SFTPWrapper[] = [];
  private opening: Promise<SFTPWrapper[]> | undefined;
  private rr = 0;

  constructor(
    private readonly session: Session,
    readonly main: SFTPWrapper,
    private readonly want: number,
    private readonly log: Logger,
  ) {}

  /** All channels, opening the extra ones on first call; a channel that fails to open is skipped. */
  async all(): Promise<SFTPWrapper[]> {
    if (this.want <= 1) return [this.main];
    this.opening ??= Promise.all(
      Array.from({ length: this.want - 1 }, () =>
        this.session.openSftp().catch((err: unknown) => {
          this.log.debug(`extra SFTP channel refused: ${String(err)}`);
          return undefined;
        }),
      ),
    ).then((list) => (this.extra = list.filter((s): s is SFTPWrapper => !!s)));
    await this.opening;
    return [this.main, ...this.extra];
  }

  /** One channel for a small file, round robin over those already open. */
  one(): SFTPWrapper {
    const list = [this.main, ...this.extra];
    return list[this.rr++ % list.length];
  }

  close(): void {
    for (const s of this.extra) s.end();
    this.extra = [];
  }
}

class Progress {
  bytes = 0;
  files = 0;
  private last = 0;
  current: string | undefined;

  constructor(
    private readonly opts: TransferOptions,
    public totalBytes: number,
    public totalFiles: number,
  ) {}

  add(n: number): void {
    this.bytes += n;
    this.emit(false);
  }

  emit(force: boolean): void {
    if (!this.opts.onProgress) return;
    const now = Date.now();
    if (!force && now - this.last < (this.opts.progressIntervalMs ?? 100)) return;
    this.last = now;
    this.opts.onProgress({ bytes: this.bytes, totalBytes: this.totalBytes, files: this.files, totalFiles: this.totalFiles, current: this.current });
  }
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

function sftpReadInto(s: SFTPWrapper, h: Buffer, buf: Buffer, position: number): Promise<number> {
  if (!sftpIsOpen(s)) return Promise.reject(closedError('read'));
  return new Promise((resolve, reject) =>
    s.read(h, buf, 0, buf.length, position, (err, n) => {
      if (err) {
        if ((err as { code?: unknown }).code === 1) resolve(0);
        else reject(sftpError(err, 'read'));
      } else resolve(n);
    }),
  );
}

function sftpWriteAt(s: SFTPWrapper, h: Buffer, buf: Buffer, position: number): Promise<void> {
  if (!sftpIsOpen(s)) return Promise.reject(closedError('write'));
  return new Promise((resolve, reject) => s.write(h, buf, 0, buf.length, position, (err) => (err ? reject(sftpError(err, 'write')) : resolve())));
}

/** Splits [0, size) into chunks pulled by workers on every channel; runs until done, aborted or failed. */
async function runChunks(
  size: number,
  chunk: number,
  lanes: { count: number; work: (at: number, n: number) => Promise<number> }[],
  signal: AbortSignal | undefined,
): Promise<number> {
  let next = 0;
  let end = size;
  let failed: unknown;
  const worker = async (work: (at: number, n: number) => Promise<number>) => {
    while (next < end && failed === undefined) {
      if (signal?.aborted) {
        failed ??= abortError();
        return;
      }
      const at = next;
      const n = Math.min(chunk, end - at);
      next += n;
      try {
        const got = await work(at, n);
        if (got < n) end = Math.min(end, at + got); // the file got shorter meanwhile
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(lanes.flatMap((l) => Array.from({ length: l.count }, () => worker(l.work))));
  if (failed !== undefined) throw failed;
  return end;
}

/**
 * Runs one transfer on an SFTP channel of its own, closed once it is done (or failed): the login
 * node keeps no sftp-server for the session after a transfer (the agent does everything else).
 */
async function onOwnChannel<T>(session: Session, opts: TransferOptions, fn: (main: SFTPWrapper, t0: number) => Promise<T>): Promise<T> {
  const t0 = Date.now();
  checkAbort(opts.signal);
  const main = await session.openSftp();
  try {
    return await fn(main, t0);
  } finally {
    main.end();
  }
}

/** Downloads a remote file or folder (recursively) to localPath. */
export function download(session: Session, remotePath: string, localPath: string, opts: TransferOptions = {}): Promise<TransferResult> {
  return onOwnChannel(session, opts, (main, t0) => downloadOn(session, main, t0, remotePath, localPath, opts));
}

async function downloadOn(session: Session, main: SFTPWrapper, t0: number, remotePath: string, localPath: string, opts: TransferOptions): Promise<TransferResult> {
  const log = opts.log ?? silentLogger;
  const root = await sftpStat(main, remotePath);
  const jobs: FileJob[] = [];
  const dirs: string[] = [];
  const notes: WalkNotes = { renamed: [], skipped: [] };
  const localRoot = opts.localRoot ?? (root.isDirectory() ? localPath : nodePath.dirname(localPath));
  if (!isInside(localRoot, localPath)) throw new UnsafeLocalPathError(`${localPath} is outside ${localRoot}`);
  if (root.isDirectory()) {
    dirs.push(localPath);
    await walkRemote(main, remotePath, localPath, jobs, dirs, notes, opts.signal);
  } else {
    jobs.push({ from: remotePath, to: localPath, size: root.size, mode: root.mode & 0o777 });
  }
  for (const d of dirs) {
    // Parents come first: each folder is checked before it is made, so none is made through a link.
    await assertRealInside(localRoot, nodePath.join(d, 'x'));
    await fsp.mkdir(d, { recursive: true });
  }
  if (!dirs.length) await assertRealInside(localRoot, localPath);
  for (const n of notes.renamed) log.info(`download: saved ${n}`);
  for (const n of notes.skipped) log.warn(`download: skipped ${n}`);
  if (opts.overwrite === false) {
    for (const j of jobs) if (await fsp.lstat(j.to).catch(() => undefined)) throw new RemoteFsError('exists', j.to, `Already exists: ${j.to}`);
  }
  const result = await runJobs(session, main, jobs, remotePath, downloadFile, opts, log, t0);
  return { ...result, renamed: notes.renamed, skipped: notes.skipped };
}

interface WalkNotes {
  renamed: string[];
  skipped: string[];
}

async function walkRemote(s: SFTPWrapper, from: string, to: string, jobs: FileJob[], dirs: string[], notes: WalkNotes, signal: AbortSignal | undefined): Promise<void> {
  checkAbort(signal);
  const entries = await sftpReaddirPipelined(s, from);
  const subdirs: [string, string][] = [];
  for (const e of entries) {
    if (isTempName(e.filename)) continue;
    if (sftpCannotAddress(e.filename)) {
      notes.skipped.push(`${JSON.stringify(e.filename)} in ${from}: not valid UTF-8, cannot be read exactly over SFTP`);
      continue;
    }
    const lp = localChild(to, e.filename);
    if (!lp) {
      notes.skipped.push(`${JSON.stringify(e.filename)} in ${from}: not a valid file name`);
      continue;
    }
    if (nodePath.basename(lp) !== e.filename) notes.renamed.push(`${joinPath(from, e.filename)} as ${nodePath.basename(lp)}`);
    const rp = joinPath(from, e.filename);
    let st: Stats = e.attrs as Stats;
    if ((st.mode & 0o170000) === 0o120000) {
      // Symlinks: files are fetched through the link; linked folders are skipped (no loops).
      const target = await sftpStat(s, rp).catch(() => undefined);
      if (!target || target.isDirectory()) {
        if (target) notes.skipped.push(`${rp}: a link to a folder (not followed)`);
        continue;
      }
      st = target;
    }
    if ((st.mode & 0o170000) === 0o040000) {
      dirs.push(lp);
      subdirs.push([rp, lp]);
    } else if ((st.mode & 0o170000) === 0o100000) {
      jobs.push({ from: rp, to: lp, size: st.size, mode: st.mode & 0o777 });
    }
  }
  await eachLimit(subdirs, 8, ([rp, lp]) => walkRemote(s, rp, lp, jobs, dirs, notes, signal));
}

/**
 * Moves the files of a download or upload: a channel pool sized from the measured round trip
 * (one channel for small totals), several files at once, progress and cancellation.
 */
async function runJobs(
  session: Session,
  main: SFTPWrapper,
  jobs: FileJob[],
  rttProbePath: string,
  moveFile: (pool: ChannelPool, j: FileJob, opts: TransferOptions, progress: Progress) => Promise<void>,
  opts: TransferOptions,
  log: Logger,
  t0: number,
): Promise<TransferResult> {
  const total = jobs.reduce((a, j) => a + j.size, 0);
  const progress = new Progress(opts, total, jobs.length);
  const channels = total >= MULTI_CHANNEL_FROM ? channelsForRtt(await measureRtt(main, rttProbePath), opts.channels ?? DEFAULT_CHANNELS) : 1;
  const pool = new ChannelPool(session, main, channels, log);
  try {
    await eachLimit(jobs, jobs.length === 1 ? 1 : (opts.fileConcurrency ?? 8), async (j) => {
      checkAbort(opts.signal);
      progress.current = j.from;
      await moveFile(pool, j, opts, progress);
      progress.files++;
      progress.emit(false);
    });
  } finally {
    pool.close();
  }
  progress.emit(true);
  return { bytes: progress.bytes, files: progress.files, ms: Date.now() - t0 };
}

async function downloadFile(pool: ChannelPool, j: FileJob, opts: TransferOptions, progress: Progress): Promise<void> {
  const tmp = nodePath.join(nodePath.dirname(j.to), `.${nodePath.basename(j.to)}.remote-hpc-${randomBytes(4).toString('hex')}.tmp`);
  await onUserPath(tmp, j.to, () => downloadVia(tmp, pool, j, opts, progress));
}

/** downloadFile's work: into `tmp` beside the destination, renamed onto it at the end. */
async function downloadVia(tmp: string, pool: ChannelPool, j: FileJob, opts: TransferOptions, progress: Progress): Promise<void> {
  const local = await fsp.open(tmp, 'wx', j.mode || 0o644);
  const channels = j.size >= MULTI_CHANNEL_FROM ? await pool.all() : [pool.one()];
  const handles: [SFTPWrapper, Buffer][] = [];
  let ok = false;
  try {
    for (const h of await Promise.all(channels.map(async (s) => [s, await sftpOpen(s, j.from, 'r')] as [SFTPWrapper, Buffer]))) handles.push(h);
    const chunk = Math.min(opts.chunkSize ?? 256 * 1024, ...channels.map(maxReadLength));
    const perChannel = opts.requestsPerChannel ?? 8;
    const end = await runChunks(
      j.size,
      chunk,
      handles.map(([s, h]) => ({
        count: perChannel,
        work: async (at, n) => {
          const buf = Buffer.allocUnsafe(n);
          let got = 0;
          while (got < n) {
            const k = await sftpReadInto(s, h, got === 0 ? buf : buf.subarray(got), at + got);
            if (k === 0) break;
            got += k;
          }
          if (got > 0) await local.write(buf, 0, got, at);
          progress.add(got);
          return got;
        },
      })),
      opts.signal,
    );
    await local.truncate(end);
    ok = true;
  } finally {
    await Promise.all(handles.map(([s, h]) => sftpClose(s, h).catch(() => undefined)));
    await local.close();
    if (!ok) await fsp.unlink(tmp).catch(() => undefined);
  }
  await fsp.rename(tmp, j.to).catch(async (err: unknown) => {
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  });
}

/** Uploads a local file or folder (recursively) to remotePath. */
export function upload(session: Session, localPath: string, remotePath: string, opts: TransferOptions = {}): Promise<TransferResult> {
  return onOwnChannel(session, opts, (main, t0) => uploadOn(session, main, t0, localPath, remotePath, opts));
}

async function uploadOn(session: Session, main: SFTPWrapper, t0: number, localPath: string, remotePath: string, opts: TransferOptions): Promise<TransferResult> {
  const log = opts.log ?? silentLogger;
  const root = await fsp.stat(localPath);
  const jobs: FileJob[] = [];
  const dirs: string[] = [];
  if (root.isDirectory()) {
    dirs.push(remotePath);
    await walkLocal(localPath, remotePath, jobs, dirs, opts.signal);
  } else {
    jobs.push({ from: localPath, to: remotePath, size: root.size, mode: root.mode & 0o777 });
  }
  for (const d of dirs) {
    checkAbort(opts.signal);
    try {
      await sftpMkdir(main, d);
    } catch (err) {
      const st = await sftpStat(main, d).catch(() => undefined);
      if (!st?.isDirectory()) throw err;
    }
  }
  return runJobs(session, main, jobs, dirs[0] ?? remotePath, uploadFile, opts, log, t0);
}

async function walkLocal(from: string, to: string, jobs: FileJob[], dirs: string[], signal: AbortSignal | undefined): Promise<void> {
  checkAbort(signal);
  for (const e of await fsp.readdir(from, { withFileTypes: true })) {
    const lp = nodePath.join(from, e.name);
    const rp = joinPath(to, e.name);
    let st;
    try {
      st = e.isSymbolicLink() ? await fsp.stat(lp) : await fsp.lstat(lp);
    } catch {
      continue; // dangling link
    }
    if (st.isDirectory()) {
      if (e.isSymbolicLink()) continue;
      dirs.push(rp);
      await walkLocal(lp, rp, jobs, dirs, signal);
    } else if (st.isFile()) {
      jobs.push({ from: lp, to: rp, size: st.size, mode: st.mode & 0o777 });
    }
  }
}

async function uploadFile(pool: ChannelPool, j: FileJob, opts: TransferOptions, progress: Progress): Promise<void> {
  const main = pool.main;
  let existing: Stats | undefined;
  try {
    existing = await sftpStat(main, j.to);
  } catch (err) {
    if (classifyRemoteError(err) !== 'not-found') throw err;
  }
  if (existing && opts.overwrite === false) throw new RemoteFsError('exists', j.to);
  if (existing?.isDirectory()) throw new RemoteFsError('is-a-directory', j.to);
  let target = j.to;
  if (existing && ((await sftpLstat(main, j.to)).mode & 0o170000) === 0o120000) {
    target = await new Promise<string>((resolve, reject) => main.realpath(j.to, (e, p) => (e ? reject(sftpError(e, 'realpath', j.to)) : resolve(p))));
  }
  const mode = existing ? existing.mode & 0o7777 : j.mode || 0o644;
  const tmp = tempNameFor(target);
  await onUserPath(tmp, target, () => uploadVia(tmp, target, mode, pool, j, opts, progress));
}

/** uploadFile's work: into the remote `tmp` beside `target`, renamed onto it at the end. */
async function uploadVia(tmp: string, target: string, mode: number, pool: ChannelPool, j: FileJob, opts: TransferOptions, progress: Progress): Promise<void> {
  const main = pool.main;
  const local = await fsp.open(j.from, 'r');
  const channels = j.size >= MULTI_CHANNEL_FROM ? await pool.all() : [pool.one()];
  const handles: [SFTPWrapper, Buffer][] = [];
  let ok = false;
  try {
    const first = channels[0];
    handles.push([first, await sftpOpen(first, tmp, 'wx', 0o600)]);
    for (const h of await Promise.all(channels.slice(1).map(async (s) => [s, await sftpOpen(s, tmp, 'r+')] as [SFTPWrapper, Buffer]))) handles.push(h);
    const chunk = Math.min(opts.chunkSize ?? 256 * 1024, ...channels.map(maxWriteLength));
    const perChannel = opts.requestsPerChannel ?? 8;
    await runChunks(
      j.size,
      chunk,
      handles.map(([s, h]) => ({
        count: perChannel,
        work: async (at, n) => {
          const buf = Buffer.allocUnsafe(n);
          const { bytesRead } = await local.read(buf, 0, n, at);
          if (bytesRead > 0) await sftpWriteAt(s, h, bytesRead === n ? buf : buf.subarray(0, bytesRead), at);
          progress.add(bytesRead);
          return bytesRead;
        },
      })),
      opts.signal,
    );
    await sftpFchmod(first, handles[0][1], mode);
    ok = true;
  } catch (err) {
    throw await explainWriteFailure(main, err, target, j.size);
  } finally {
    await Promise.all(handles.map(([s, h]) => sftpClose(s, h).catch(() => undefined)));
    await local.close();
    if (!ok) await sftpUnlink(main, tmp).catch(() => undefined);
  }
  try {
    await sftpReplace(main, tmp, target);
  } catch (err) {
    await sftpUnlink(main, tmp).catch(() => undefined);
    throw err;
  }
}

async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}
