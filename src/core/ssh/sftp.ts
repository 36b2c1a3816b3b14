/**
 * Promise wrappers over ssh2's callback SFTP API, plus SFTP status codes mapped to errno names
 * so both RemoteOps implementations fail with the same `code` ('ENOENT', 'EEXIST', ...).
 */
import type { SFTPWrapper, Stats, FileEntryWithStats, OpenMode } from 'ssh2';
import { CancelledError } from '../cancel';


/**
 * An SFTP failure with the operation and path in its message; `code` keeps ssh2's numeric SFTP
 * status, so classifyRemoteError (./errors) maps it.
 */
export class SftpError extends Error {
  constructor(
    message: string,
    readonly code: number | string | undefined,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'SftpError';
  }
}

export function sftpError(err: unknown, what: string, path?: string): Error {
  if (err instanceof SftpError) return err;
  const e = err as { code?: unknown; message?: string };
  const code = typeof e.code === 'number' || typeof e.code === 'string' ? e.code : undefined;
  return new SftpError(`${what}${path !== undefined ? ` ${JSON.stringify(path)}` : ''}: ${e.message ?? String(err)}`, code, path);
}

/**
 * False once the channel is closing or closed. ssh2 silently drops requests sent then (their
 * callbacks never run), so every call checks first.
 */
export function sftpIsOpen(s: SFTPWrapper): boolean {
  // After a connection loss ssh2 marks only `incoming` closed; `outgoing` may still say 'open'.
  const c = s as unknown as { outgoing?: { state?: string }; incoming?: { state?: string } };
  return (c.outgoing?.state ?? 'open') === 'open' && (c.incoming?.state ?? 'open') === 'open';
}

export function closedError(what: string, path?: string): SftpError {
  return new SftpError(`${what}${path !== undefined ? ` ${JSON.stringify(path)}` : ''}: SFTP channel closed (connection lost)`, 'ECONNRESET', path);
}

function call<T>(what: string, path: string | undefined, fn: (cb: (err: Error | null | undefined, v: T) => void) => void, s?: SFTPWrapper): Promise<T> {
  return new Promise((resolve, reject) => {
    if (s && !sftpIsOpen(s)) {
      reject(closedError(what, path));
      return;
    }
    try {
      fn((err, v) => (err ? reject(sftpError(err, what, path)) : resolve(v)));
    } catch (err) {
      reject(sftpError(err, what, path));
    }
  });
}

export const sftpStat = (s: SFTPWrapper, p: string) => call<Stats>('stat', p, (cb) => s.stat(p, cb), s);
export const sftpLstat = (s: SFTPWrapper, p: string) => call<Stats>('lstat', p, (cb) => s.lstat(p, cb), s);
export const sftpRealpath = (s: SFTPWrapper, p: string) => call<string>('realpath', p, (cb) => s.realpath(p, cb), s);
export const sftpMkdir = (s: SFTPWrapper, p: string, mode?: number) =>
  call<void>('mkdir', p, (cb) => (mode === undefined ? s.mkdir(p, (e) => cb(e, undefined)) : s.mkdir(p, { mode }, (e) => cb(e, undefined))), s);
export const sftpRmdir = (s: SFTPWrapper, p: string) => call<void>('rmdir', p, (cb) => s.rmdir(p, (e) => cb(e, undefined)), s);
export const sftpUnlink = (s: SFTPWrapper, p: string) => call<void>('unlink', p, (cb) => s.unlink(p, (e) => cb(e, undefined)), s);
export const sftpChmod = (s: SFTPWrapper, p: string, mode: number) => call<void>('chmod', p, (cb) => s.chmod(p, mode, (e) => cb(e, undefined)), s);
export const sftpOpen = (s: SFTPWrapper, p: string, flags: OpenMode, mode?: number) =>
  call<Buffer>('open', p, (cb) => (mode === undefined ? s.open(p, flags, cb) : s.open(p, flags, { mode }, cb)), s);
export const sftpClose = (s: SFTPWrapper, h: Buffer) => call<void>('close', undefined, (cb) => s.close(h, (e) => cb(e, undefined)), s);
export const sftpFstat = (s: SFTPWrapper, h: Buffer) => call<Stats>('fstat', undefined, (cb) => s.fstat(h, cb), s);
/** Sets an open file's length (SFTP fsetstat with only a size). */
export const sftpFtruncate = (s: SFTPWrapper, h: Buffer, size: number) =>
  call<void>('ftruncate', undefined, (cb) => s.fsetstat(h, { size }, (e) => cb(e, undefined)), s);
export const sftpFchmod = (s: SFTPWrapper, h: Buffer, mode: number) => call<void>('fchmod', undefined, (cb) => s.fchmod(h, mode, (e) => cb(e, undefined)), s);

/** Reads up to length bytes at position; fewer only at end of file. */
function sftpRead(s: SFTPWrapper, h: Buffer, position: number, length: number, into?: Buffer): Promise<Buffer> {
  const buf = into ?? Buffer.allocUnsafe(length);
  return new Promise((resolve, reject) => {
    if (!sftpIsOpen(s)) {
      reject(closedError('read'));
      return;
    }
    s.read(h, buf, 0, length, position, (err, n) => {
      if (err) {
        if ((err as { code?: unknown }).code === 1) resolve(buf.subarray(0, 0));
        else reject(sftpError(err, 'read'));
      } else resolve(buf.subarray(0, n));
    });
  });
}

/** Reads exactly [position, position+length) or up to end of file, in one or more requests. */
async function sftpReadFully(s: SFTPWrapper, h: Buffer, position: number, length: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const b = await sftpRead(s, h, position + got, length - got, out.subarray(got));
    if (b.length === 0) break;
    got += b.length;
  }
  return out.subarray(0, got);
}

export function sftpWrite(s: SFTPWrapper, h: Buffer, data: Buffer, position: number): Promise<void> {
  return call<void>('write', undefined, (cb) => s.write(h, data, 0, data.length, position, (e) => cb(e, undefined)), s);
}

export function sftpFsync(s: SFTPWrapper, h: Buffer): Promise<void> {
  return call<void>('fsync', undefined, (cb) => s.ext_openssh_fsync(h, (e) => cb(e, undefined)), s);
}

export function hasExtension(s: SFTPWrapper, name: string): boolean {
  const ext = (s as unknown as { _extensions?: Record<string, string> })._extensions;
  return !!ext && ext[name] !== undefined;
}

/** Atomic replace: posix-rename@openssh.com when offered, else rename after unlinking the target. */
export async function sftpReplace(s: SFTPWrapper, from: string, to: string): Promise<void> {
  if (hasExtension(s, 'posix-rename@openssh.com')) {
    await call<void>('rename', from, (cb) => s.ext_openssh_rename(from, to, (e) => cb(e, undefined)), s);
    return;
  }
  try {
    await call<void>('rename', from, (cb) => s.rename(from, to, (e) => cb(e, undefined)), s);
  } catch (err) {
    // Plain SFTP rename refuses to overwrite: unlink then rename (not atomic, last resort).
    await sftpUnlink(s, to).catch(() => undefined);
    await call<void>('rename', from, (cb) => s.rename(from, to, (e) => cb(e, undefined)), s).catch(() => {
      throw err;
    });
  }
}

/** Largest read the server accepts in one request (from limits@openssh.com, else 32 KiB). */
export function maxReadLength(s: SFTPWrapper): number {
  const n = (s as unknown as { _maxReadLen?: number })._maxReadLen;
  return typeof n === 'number' && n > 0 ? n : 32 * 1024;
}

export function maxWriteLength(s: SFTPWrapper): number {
  const n = (s as unknown as { _maxWriteLen?: number })._maxWriteLen;
  return typeof n === 'number' && n > 0 ? n : 32 * 1024;
}

const sftpOpendir = (s: SFTPWrapper, p: string) => call<Buffer>('opendir', p, (cb) => s.opendir(p, cb), s);

export interface ReaddirOptions {
  /** Entries kept as each batch arrives (the rest are dropped at once: a 100,000-entry folder narrowed to a few names stays small). */
  keep?: (e: FileEntryWithStats) => boolean;
  /** Stops asking for more batches; the read then rejects with CancelledError. */
  signal?: AbortSignal;
  depth?: number;
}

/**
 * Reads a whole directory with several READDIR requests in flight on the same handle.
 * sftp-server answers requests in order, each with the next batch (about 100 names), so this
 * costs about (names / 100 / depth) round trips instead of one per batch.
 */
export async function sftpReaddirPipelined(s: SFTPWrapper, path: string, opts: ReaddirOptions = {}): Promise<FileEntryWithStats[]> {
  const { keep, signal, depth = 32 } = opts;
  const handle = await sftpOpendir(s, path);
  const batches: FileEntryWithStats[][] = [];
  let eof = false;
  let failure: Error | undefined;
  let seq = 0;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const pump = () => {
      if (!sftpIsOpen(s)) failure ??= closedError('readdir', path);
      if (signal?.aborted) failure ??= new CancelledError();
      if (failure && inFlight === 0) resolve();
      while (!eof && !failure && inFlight < depth) {
        const index = seq++;
        inFlight++;
        s.readdir(handle, (err, list) => {
          inFlight--;
          if (err) {
            if ((err as { code?: unknown }).code === 1) eof = true;
            else failure ??= sftpError(err, 'readdir', path);
          } else batches[index] = keep ? list.filter(keep) : list;
          if (inFlight === 0 && (eof || failure)) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  await sftpClose(s, handle).catch(() => undefined);
  if (failure) throw failure;
  const out: FileEntryWithStats[] = [];
  for (const b of batches) if (b) for (const e of b) out.push(e);
  return out;
}

/** Reads [offset, offset+length) with up to `depth` requests in flight; shorter at end of file. */
export async function sftpReadRange(s: SFTPWrapper, h: Buffer, offset: number, length: number, depth = 16): Promise<Buffer> {
  const chunk = maxReadLength(s);
  const out = Buffer.allocUnsafe(length);
  let next = 0;
  let end = length; // shrinks when the file turns out shorter
  const worker = async () => {
    while (next < end) {
      const at = next;
      const n = Math.min(chunk, end - at);
      next += n;
      const got = await sftpReadFully(s, h, offset + at, n);
      if (got.length < n) end = Math.min(end, at + got.length);
      got.copy(out, at);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(depth, Math.ceil(length / chunk))) }, worker));
  return out.subarray(0, end);
}

/** Writes data at offset with up to `depth` requests in flight. */
export async function sftpWriteAll(s: SFTPWrapper, h: Buffer, data: Buffer, offset = 0, depth = 16): Promise<void> {
  const chunk = maxWriteLength(s);
  let next = 0;
  const worker = async () => {
    while (next < data.length) {
      const at = next;
      const n = Math.min(chunk, data.length - at);
      next += n;
      await sftpWrite(s, h, data.subarray(at, at + n), offset + at);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(depth, Math.ceil(data.length / chunk))) }, worker));
}

/**
 * SFTP v3 has no "disk full" status: OpenSSH's sftp-server answers a write that hit ENOSPC with a
 * bare "Failure". After a failed write of `needed` bytes to `path`, asks the server how much room
 * the disk holding it has left (statvfs@openssh.com) and, when that is too little, says so, naming
 * the user's file. Any other error, or a server without the extension, is returned as it was.
 * (A quota, EDQUOT, leaves statvfs's free space unchanged and keeps the bare message.)
 */
export async function explainWriteFailure(s: SFTPWrapper, err: unknown, path: string, needed: number): Promise<unknown> {
  if ((err as { code?: unknown }).code !== 4 || !sftpIsOpen(s) || !hasExtension(s, 'statvfs@openssh.com')) return err;
  const folder = path.slice(0, Math.max(1, path.lastIndexOf('/')));
  try {
    const st = await new Promise<{ f_bavail: number; f_frsize: number }>((resolve, reject) => s.ext_openssh_statvfs(folder, (e, v) => (e ? reject(e) : resolve(v as { f_bavail: number; f_frsize: number }))));
    const free = Number(st.f_bavail) * Number(st.f_frsize);
    if (!Number.isFinite(free)) return err;
    if (free >= needed && free >= 1 << 20) return err;
    return new SftpError(`write ${JSON.stringify(path)}: No space left on device (${free.toLocaleString('en')} bytes free on its disk, ${needed.toLocaleString('en')} needed)`, 'ENOSPC', path);
  } catch {
    return err;
  }
}
