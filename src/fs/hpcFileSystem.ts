import * as vscode from 'vscode';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import type { ChangeEvent, EntryType, RemoteOps, RemoteOpsProvider, RemoteStat } from '../core/remote/types';
import { readWholeFile } from '../core/remote/wholeFile';
import { toFileSystemError } from './errors';
import { hpcUri, parseHpcUri } from './hpcUri';

interface WatchEntry {
  host: string;
  path: string;
  /** The live RemoteOps watch, while the host is connected. */
  handle?: { dispose(): void };
  /** Bumped on every (re)attach so a late attach result is dropped. */
  generation: number;
  disposed: boolean;
}

const CHANGE_TYPE: Record<ChangeEvent['kind'], vscode.FileChangeType> = {
  created: vscode.FileChangeType.Created,
  changed: vscode.FileChangeType.Changed,
  deleted: vscode.FileChangeType.Deleted,
};

function fileType(t: EntryType): vscode.FileType {
  return t === 'file' ? vscode.FileType.File : t === 'directory' ? vscode.FileType.Directory : vscode.FileType.Unknown;
}

/** VS Code's FileType of a remote stat: symlinks carry the SymbolicLink bit plus their target's type. */
function toFileType(s: Pick<RemoteStat, 'type' | 'targetType'>): vscode.FileType {
  if (s.type === 'symlink') return vscode.FileType.SymbolicLink | fileType(s.targetType ?? 'other');
  return fileType(s.type);
}

/**
 * The `hpc:` file system: every call goes to the host's RemoteOps (agent or SFTP fallback) and
 * failures become FileSystemErrors. Watches are attached only while a host is connected, so a
 * restored editor never opens a connection just to watch; they re-attach on reconnect.
 */
export class HpcFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private readonly watches = new Set<WatchEntry>();
  private readonly invalidation: { dispose(): void };

  constructor(
    private readonly remote: RemoteOpsProvider,
    private readonly log: Logger,
    private readonly isConnected: (host: string) => boolean,
  ) {
    this.invalidation = remote.onDidInvalidate((host) => {
      this.detach(host);
      if (this.isConnected(host)) this.attachHost(host);
    });
  }

  // ---- watching

  watch(uri: vscode.Uri, _options: { readonly recursive: boolean; readonly excludes: readonly string[] }): vscode.Disposable {
    const { host, path } = parseHpcUri(uri);
    const w: WatchEntry = { host, path, generation: 0, disposed: false };
    this.watches.add(w);
    if (this.isConnected(host)) this.attach(w);
    return new vscode.Disposable(() => {
      w.disposed = true;
      w.handle?.dispose();
      w.handle = undefined;
      this.watches.delete(w);
    });
  }

  /** Attaches the watches of a host that (re)connected. Idempotent. */
  attachHost(host: string): void {
    for (const w of this.watches) if (w.host === host && !w.handle) this.attach(w);
  }

  /** Drops the live watches of a host whose session went away (they re-attach on reconnect). */
  detach(host: string): void {
    for (const w of this.watches) {
      if (w.host !== host) continue;
      w.generation++;
      try {
        w.handle?.dispose();
      } catch {
        /* the session is gone already */
      }
      w.handle = undefined;
    }
  }

  private attach(w: WatchEntry): void {
    const generation = ++w.generation;
    this.remote.ops(w.host).then(
      (ops) => {
        if (w.disposed || w.generation !== generation) return;
        w.handle = ops.watch([w.path], (events) => this.fireRemote(w.host, events));
      },
      (err: unknown) => this.log.debug(`[fs] cannot watch ${w.host}:${w.path}: ${String(err)}`),
    );
  }

  private fireRemote(host: string, events: ChangeEvent[]): void {
    if (events.length) this.emitter.fire(events.map((e) => ({ type: CHANGE_TYPE[e.kind], uri: hpcUri(host, e.path) })));
  }

  /** Announces a change made through this provider (editors and the explorer tree listen). */
  private fire(...events: [vscode.FileChangeType, vscode.Uri][]): void {
    this.emitter.fire(events.map(([type, uri]) => ({ type, uri })));
  }

  // ---- operations

  private async run<T>(uri: vscode.Uri, op: (ops: RemoteOps, path: string) => Promise<T>): Promise<T> {
    const { host, path } = parseHpcUri(uri);
    let ops: RemoteOps;
    try {
      ops = await this.remote.ops(host);
    } catch (err) {
      this.log.debug(`[fs] ${host} unavailable: ${String(err)}`);
      throw vscode.FileSystemError.Unavailable(`${host} is not reachable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    try {
      return await op(ops, path);
    } catch (err) {
      throw toFileSystemError(err, uri);
    }
  }

  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.run(uri, async (ops, path) => {
      const [s] = await ops.stat([path]);
      if (!s) throw vscode.FileSystemError.FileNotFound(uri);
      const stat: vscode.FileStat = { type: toFileType(s), ctime: s.mtimeMs, mtime: s.mtimeMs, size: s.size };
      if ((s.mode & 0o222) === 0 && s.type !== 'directory') stat.permissions = vscode.FilePermission.Readonly;
      return stat;
    });
  }

  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.run(uri, async (ops, path) => {
      const { entries } = await ops.list(path);
      return entries.map((e): [string, vscode.FileType] => [e.name, toFileType(e)]);
    });
  }

  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.run(uri, (ops, path) => readWholeFile(ops, path));
  }

  writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
    return this.run(uri, async (ops, path) => {
      const data = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
      // The flags are enforced remotely (EEXIST / ENOENT), in the same round trip as the write.
      const { inPlace } = await ops.writeFileAtomic(path, data, { create: options.create, overwrite: options.overwrite });
      if (inPlace) this.log.info(`[fs] ${uri.authority}:${path} saved in place: its folder is not writable (no temp file + rename)`);
      this.fire([options.create && !options.overwrite ? vscode.FileChangeType.Created : vscode.FileChangeType.Changed, uri]);
    });
  }

  createDirectory(uri: vscode.Uri): Promise<void> {
    return this.run(uri, async (ops, path) => {
      await ops.mkdir(path);
      this.fire([vscode.FileChangeType.Created, uri]);
    });
  }

  delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
    return this.run(uri, async (ops, path) => {
      if (path === '/') throw vscode.FileSystemError.NoPermissions('Refusing to delete /');
      await ops.remove(path, { recursive: options.recursive });
      this.fire([vscode.FileChangeType.Deleted, uri]);
    });
  }

  rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    const to = this.sameHost(oldUri, newUri, 'Moving');
    return this.run(oldUri, async (ops, path) => {
      await ops.rename(path, to, { overwrite: options.overwrite });
      this.fire([vscode.FileChangeType.Deleted, oldUri], [vscode.FileChangeType.Created, newUri]);
    });
  }

  copy(source: vscode.Uri, destination: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    const to = this.sameHost(source, destination, 'Copying');
    return this.run(source, async (ops, path) => {
      if (to === path || to.startsWith(path === '/' ? '/' : `${path}/`)) {
        throw vscode.FileSystemError.NoPermissions(`Cannot copy ${posix.basename(path)} into itself`);
      }
      await ops.copy(path, to, { overwrite: options.overwrite });
      this.fire([vscode.FileChangeType.Created, destination]);
    });
  }

  private sameHost(a: vscode.Uri, b: vscode.Uri, what: string): string {
    const from = parseHpcUri(a);
    const to = parseHpcUri(b);
    if (from.host !== to.host) {
      throw vscode.FileSystemError.NoPermissions(`${what} between hosts (${from.host} → ${to.host}) is not supported: download and upload instead`);
    }
    return to.path;
  }

  dispose(): void {
    this.invalidation.dispose();
    for (const w of this.watches) {
      w.disposed = true;
      w.handle?.dispose();
    }
    this.watches.clear();
    this.emitter.dispose();
  }
}
