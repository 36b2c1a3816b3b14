/**
 * The explorer's model of folder listings: one cached, paged listing per (host, folder).
 * The tree reads snapshots from here; fetching, paging, refreshing after remote changes and
 * dropping stale results all happen here, so the tree provider never talks to a host itself.
 *
 * A listing is a window of the folder: entries [start, start + entries.length) of `total`. It
 * starts at 0 and grows at the end ("Load more"); a jump to an entry (`jump`) fetches the one
 * page that holds it, after which the window can also grow at the front ("Load previous").
 */
import type { Disposable } from '../cancel';
import type { ListResult, RemoteEntry } from './types';

/**
 * Fetches one page of a folder (the RemoteOps.list call, with the host's filter applied); with
 * `locate`, the page of `limit` entries holding that name instead (ListResult offset, position).
 */
export type PageFetcher = (host: string, path: string, offset: number, limit: number, locate?: string) => Promise<ListResult>;

export interface FolderSnapshot {
  readonly entries: readonly RemoteEntry[];
  /** Index of entries[0] in the folder: entries before it are not loaded ("Load previous"). */
  readonly start: number;
  /** Entries in the folder after filtering; more than start + entries.length while pages are left. */
  readonly total: number;
  /** Nothing left to load after the last entry. */
  readonly complete: boolean;
  /** The last fetch failed (entries are what was there before, possibly none). */
  readonly error?: unknown;
  readonly loadingMore: boolean;
  readonly loadingPrevious: boolean;
}

interface Folder {
  entries: RemoteEntry[];
  start: number;
  total: number;
  error?: unknown;
  /** Bumped whenever the entries are replaced; a page fetched against an older seq is dropped. */
  seq: number;
  first?: Promise<unknown>;
  more?: Promise<unknown>;
  previous?: Promise<unknown>;
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
      f = { entries: [], start: 0, total: 0, seq: 0, loaded: false };
      this.folders.set(k, f);
    }
    if (!f.loaded) {
      const folder = f;
      // The caller awaits the first page: no change event for it.
      folder.first ??= this.fetchInto(host, path, folder, { offset: 0, limit: this.pageSize(), mode: 'replace', notify: false }).finally(() => (folder.first = undefined));
      await folder.first;
    }
    return snapshot(f);
  }

  /**
   * Makes the entry `name` part of the listing: nothing to fetch when it is shown already, else
   * the one page holding it replaces the listing (the pages before and after it are loaded on
   * demand). Never throws; `found` is false when the folder has no such entry (or failed).
   */
  async jump(host: string, path: string, name: string): Promise<{ snapshot: FolderSnapshot; found: boolean }> {
    const k = key(host, path);
    let f = this.folders.get(k);
    if (f?.first) await f.first;
    f = this.folders.get(k);
    if (f?.loaded && f.entries.some((e) => e.name === name)) return { snapshot: snapshot(f), found: true };
    if (!f) {
      f = { entries: [], start: 0, total: 0, seq: 0, loaded: false };
      this.folders.set(k, f);
    }
    const folder = f;
    const run = this.fetchInto(host, path, folder, { offset: 0, limit: this.pageSize(), mode: 'jump', locate: name, notify: folder.loaded });
    if (!folder.loaded) folder.first = run.finally(() => (folder.first = undefined));
    await run;
    return { snapshot: snapshot(folder), found: folder.entries.some((e) => e.name === name) };
  }

  /** Prepends the page before the first loaded entry; fires a change for the folder when it arrives. */
  async loadPrevious(host: string, path: string): Promise<FolderSnapshot> {
    const f = this.folders.get(key(host, path));
    if (!f || !f.loaded) return this.load(host, path);
    if (f.start === 0) return snapshot(f);
    const folder = f;
    if (!folder.previous) {
      const offset = Math.max(0, folder.start - this.pageSize());
      folder.previous = this.fetchInto(host, path, folder, { offset, limit: folder.start - offset, mode: 'prepend' }).finally(() => (folder.previous = undefined));
      this.emit(host, path);
    }
    await folder.previous;
    return snapshot(folder);
  }

  /** Appends the next page; fires a change for the folder when it arrives. */
  async loadMore(host: string, path: string): Promise<FolderSnapshot> {
    const f = this.folders.get(key(host, path));
    if (!f || !f.loaded) return this.load(host, path);
    if (f.start + f.entries.length >= f.total) return snapshot(f);
    const folder = f;
    if (!folder.more) {
      folder.more = this.fetchInto(host, path, folder, { offset: folder.start + folder.entries.length, limit: this.pageSize(), mode: 'append' }).finally(() => (folder.more = undefined));
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
        const done = await this.fetchInto(host, path, folder, { offset: folder.start, limit: Math.max(this.pageSize(), folder.entries.length), mode: 'replace' });
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

  /**
   * Fetches a page into the folder; 'retry' when a refresh came back shorter than what pages
   * appended meanwhile show, or the window moved (a jump, an earlier page) while it ran.
   */
  private async fetchInto(host: string, path: string, folder: Folder, req: { offset: number; limit: number; mode: 'replace' | 'append' | 'prepend' | 'jump'; locate?: string; notify?: boolean }): Promise<'done' | 'retry'> {
    const { offset, limit, mode } = req;
    const seq = folder.seq;
    const start = folder.start;
    let result: ListResult | undefined;
    let error: unknown;
    try {
      result = await this.fetchPage(host, path, offset, limit, ...(req.locate !== undefined ? [req.locate] : []));
    } catch (e) {
      error = e;
    }
    if (this.folders.get(key(host, path)) !== folder) return 'done'; // dropped meanwhile
    if ((mode === 'append' || mode === 'prepend') && (folder.seq !== seq || folder.start !== start)) return 'done'; // stale page
    if (mode === 'replace' && folder.loaded && (folder.seq !== seq || folder.start !== start)) return 'retry'; // the window moved: refetch it
    if (result) {
      if (mode === 'replace' && folder.entries.length > limit && result.entries.length >= limit && result.total > offset + limit) {
        return 'retry'; // "load more" pages arrived meanwhile: never shrink what is shown
      }
      if (mode === 'replace' && offset > 0 && result.entries.length === 0 && result.total > 0) {
        folder.start = 0; // the folder shrank below the window: show it from the top
        return 'retry';
      }
      if (mode === 'jump' && (result.position ?? -1) < 0 && folder.loaded) {
        folder.total = Math.max(result.total, folder.start + folder.entries.length);
        return 'done'; // not there: what is shown stays
      }
      if (mode === 'replace' || mode === 'jump') {
        folder.entries = result.entries.slice();
        folder.start = mode === 'jump' ? (result.offset ?? 0) : offset;
        folder.seq++;
      } else if (mode === 'append') {
        const have = new Set(folder.entries.map((e) => e.name));
        for (const e of result.entries) if (!have.has(e.name)) folder.entries.push(e);
      } else {
        const have = new Set(folder.entries.map((e) => e.name));
        folder.entries = [...result.entries.filter((e) => !have.has(e.name)), ...folder.entries];
        folder.start = offset;
      }
      folder.total = Math.max(result.total, folder.start + folder.entries.length);
      // An empty page past the start: the folder shrank since; what we have is all there is.
      if (mode === 'append' && result.entries.length === 0) folder.total = folder.start + folder.entries.length;
      folder.error = undefined;
    } else {
      folder.error = error;
    }
    folder.loaded = true;
    if (req.notify !== false) this.emit(host, path);
    return 'done';
  }

  private emit(host: string, path: string): void {
    for (const l of [...this.listeners]) l(host, path);
  }
}

function snapshot(f: Folder): FolderSnapshot {
  return {
    entries: f.entries,
    start: f.start,
    total: f.total,
    complete: f.start + f.entries.length >= f.total,
    ...(f.error !== undefined ? { error: f.error } : {}),
    loadingMore: f.more !== undefined,
    loadingPrevious: f.previous !== undefined,
  };
}
