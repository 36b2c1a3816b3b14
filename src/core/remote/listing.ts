/**
 * The explorer's model of folder listings: one cached, paged listing per (host, folder).
 * The tree reads snapshots from here; fetching, paging, refreshing after remote changes and
 * dropping stale results all happen here, so the tree provider never talks to a host itself.
 */
import type { Disposable } from '../cancel';
import type { ListResult, RemoteEntry } from './types';

/** Fetches one page of a folder (the RemoteOps.list call, with the host's filter applied). */
export type PageFetcher = (host: string, path: string, offset: number, limit: number) => Promise<ListResult>;

export interface FolderSnapshot {
  readonly entries: readonly RemoteEntry[];
  /** Entries in the folder after filtering; more than entries.length while pages are left. */
  readonly total: number;
  readonly complete: boolean;
  /** The last fetch failed (entries are what was there before, possibly none). */
  readonly error?: unknown;
  readonly loadingMore: boolean;
}

interface Folder {
  entries: RemoteEntry[];
  total: number;
  error?: unknown;
  /** Bumped whenever the entries are replaced; a page fetched against an older seq is dropped. */
  seq: number;
  first?: Promise<unknown>;
  more?: Promise<unknown>;
  refreshing?: Promise<void>;
  refreshAgain?: boolean;
  loaded: boolean;
}

const key = (host: string, path: string) => `${host}\0${path}`;

export interface ListingCacheOptions {
  pageSize(): number;
}

export class ListingCache implements Disposable {
  private readonly folders = new Map<string, Folder>();
  private readonly listeners = new Set<(host: string, path: string) => void>();

  constructor(
    private readonly fetchPage: PageFetcher,
    private readonly opts: ListingCacheOptions,
  ) {}

  onDidChange(listener: (host: string, path: string) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The cached listing, without fetching (undefined before the first page arrived). */
  peek(host: string, path: string): FolderSnapshot | undefined {
    const f = this.folders.get(key(host, path));
    return f?.loaded ? snapshot(f) : undefined;
  }

  /** The cached listing, or the first page fetched now (concurrent callers share one fetch). Never throws. */
  async load(host: string, path: string): Promise<FolderSnapshot> {
    const k = key(host, path);
    let f = this.folders.get(k);
    if (!f) {
      f = { entries: [], total: 0, seq: 0, loaded: false };
      this.folders.set(k, f);
    }
    if (!f.loaded) {
      const folder = f;
      // The caller awaits the first page: no change event for it.
      folder.first ??= this.fetchInto(host, path, folder, 0, this.pageSize(), 'replace', false).finally(() => (folder.first = undefined));
      await folder.first;
    }
    return snapshot(f);
  }

  /** Appends the next page; fires a change for the folder when it arrives. */
  async loadMore(host: string, path: string): Promise<FolderSnapshot> {
    const f = this.folders.get(key(host, path));
    if (!f || !f.loaded) return this.load(host, path);
    if (f.entries.length >= f.total) return snapshot(f);
    const folder = f;
    if (!folder.more) {
      folder.more = this.fetchInto(host, path, folder, folder.entries.length, this.pageSize(), 'append').finally(() => (folder.more = undefined));
      this.emit(host, path);
    }
    await folder.more;
    return snapshot(folder);
  }

  /**
   * Re-fetches a cached folder in the background, as many entries as are shown, keeping the old
   * listing visible meanwhile. Calls while one runs are coalesced into one more run.
   */
  refresh(host: string, path: string): Promise<void> {
    const f = this.folders.get(key(host, path));
    if (!f || !f.loaded) return Promise.resolve();
    if (f.refreshing) {
      f.refreshAgain = true;
      return f.refreshing;
    }
    const folder = f;
    const run = async (): Promise<void> => {
      do {
        folder.refreshAgain = false;
        const done = await this.fetchInto(host, path, folder, 0, Math.max(this.pageSize(), folder.entries.length), 'replace');
        if (done === 'retry') folder.refreshAgain = true;
      } while (folder.refreshAgain && this.folders.get(key(host, path)) === folder);
    };
    folder.refreshing = run().finally(() => (folder.refreshing = undefined));
    return folder.refreshing;
  }

  /** Drops a folder's listing and, unless `descendants` is false, every cached folder below it. */
  invalidate(host: string, path: string, descendants = true): void {
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const k of [...this.folders.keys()]) {
      const [h, p] = k.split('\0');
      if (h === host && (p === path || (descendants && p.startsWith(prefix)))) this.folders.delete(k);
    }
    this.emit(host, path);
  }

  /** Drops every listing of a host (filter changed, disconnected). Fires no event: callers refresh the host. */
  invalidateHost(host: string): void {
    for (const k of [...this.folders.keys()]) if (k.startsWith(`${host}\0`)) this.folders.delete(k);
  }

  /** Folders of a host with a listing in the cache. */
  cachedFolders(host: string): string[] {
    const out: string[] = [];
    for (const [k, f] of this.folders) {
      const [h, p] = k.split('\0');
      if (h === host && f.loaded) out.push(p);
    }
    return out;
  }

  dispose(): void {
    this.folders.clear();
    this.listeners.clear();
  }

  private pageSize(): number {
    const n = Math.floor(this.opts.pageSize());
    return Number.isFinite(n) && n > 0 ? n : 500;
  }

  /** Fetches a page into the folder; 'retry' when a refresh came back shorter than what pages appended meanwhile show. */
  private async fetchInto(host: string, path: string, folder: Folder, offset: number, limit: number, mode: 'replace' | 'append', notify = true): Promise<'done' | 'retry'> {
    const seq = folder.seq;
    let result: ListResult | undefined;
    let error: unknown;
    try {
      result = await this.fetchPage(host, path, offset, limit);
    } catch (e) {
      error = e;
    }
    if (this.folders.get(key(host, path)) !== folder) return 'done'; // dropped meanwhile
    if (mode === 'append' && folder.seq !== seq) return 'done'; // replaced meanwhile: this page is stale
    if (result) {
      if (mode === 'replace' && folder.entries.length > limit && result.entries.length >= limit && result.total > limit) {
        return 'retry'; // "load more" pages arrived meanwhile: never shrink what is shown
      }
      if (mode === 'replace') {
        folder.entries = result.entries.slice();
        folder.seq++;
      } else {
        const have = new Set(folder.entries.map((e) => e.name));
        for (const e of result.entries) if (!have.has(e.name)) folder.entries.push(e);
      }
      folder.total = Math.max(result.total, folder.entries.length);
      // An empty page past the start: the folder shrank since; what we have is all there is.
      if (result.entries.length === 0 && offset > 0) folder.total = folder.entries.length;
      folder.error = undefined;
    } else {
      folder.error = error;
    }
    folder.loaded = true;
    if (notify) this.emit(host, path);
    return 'done';
  }

  private emit(host: string, path: string): void {
    for (const l of [...this.listeners]) l(host, path);
  }
}

function snapshot(f: Folder): FolderSnapshot {
  return {
    entries: f.entries,
    total: f.total,
    complete: f.entries.length >= f.total,
    ...(f.error !== undefined ? { error: f.error } : {}),
    loadingMore: f.more !== undefined,
  };
}
