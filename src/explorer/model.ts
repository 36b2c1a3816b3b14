import * as vscode from 'vscode';
import { numberSetting, onDidChangeSettings, setting } from '../config/settings';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import type { ListResult, PathFilter, RemoteEntry, RemoteOpsProvider } from '../core/remote/types';
import { ListingCache, type FolderSnapshot } from '../core/remote/listing';
import { isFolderOrder, listOrder, type FolderOrder } from '../core/remote/folderOrder';
import { FolderOrders } from './folderOrders';
import { resolveRoots, rootSpecsFor, rootVariables, type ResolvedRoot } from '../core/remote/roots';
import type { FilterStore } from './filterStore';
import type { ExplorerHosts } from './deps';
import { hpcUri, HPC_SCHEME, parseHpcUri } from '../fs/hpcUri';

export interface RootsState {
  roots: ResolvedRoot[];
  error?: unknown;
}

/** What changed: everything, a host (its roots), or one folder's listing. */
export type ModelChange = undefined | { host: string; path?: string };

export interface ExplorerConfig {
  pageSize: number;
  showHidden: boolean;
  naturalSort: boolean;
  sortBy: FolderOrder;
}

function readExplorerConfig(): ExplorerConfig {
  const sortBy = setting('explorer.sortBy');
  return {
    pageSize: Math.floor(numberSetting('explorer.pageSize', 1)),
    showHidden: setting('explorer.showHiddenFiles'),
    naturalSort: setting('explorer.naturalSort') !== false,
    sortBy: isFolderOrder(sortBy) ? sortBy : 'name',
  };
}

const COALESCE_MS = 150;
/** How long a page waits for its symlinks' targets before it is drawn without them. */
const LINK_WAIT_MS = 2000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The Remote Explorer's model: which hosts are shown, their roots, and the cached, paged listing
 * of every folder that was expanded. The tree only reads it; fetching, refreshing after remote
 * changes (watches through the `hpc:` file system), link targets and filters are handled here.
 */
export class ExplorerModel implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelChange>();
  readonly onDidChange = this.changed.event;
  readonly listings: ListingCache;
  private readonly roots = new Map<string, Promise<RootsState>>();
  private readonly linkTargets = new Map<string, string>();
  private readonly watches = new Map<string, vscode.Disposable>();
  private readonly pending = new Map<string, { host: string; path: string }>();
  private timer: NodeJS.Timeout | undefined;
  private shownHosts: string[] = [];
  private lastStatus = new Map<string, string>();
  /** Folder watches only while the view is visible (a live watch keeps the session from idling out). */
  private watching = true;
  private config = readExplorerConfig();
  private readonly orders: FolderOrders;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly hosts: ExplorerHosts,
    private readonly remote: RemoteOpsProvider,
    private readonly filters: FilterStore,
    private readonly fs: vscode.FileSystemProvider,
    private readonly log: Logger,
    /** Where "Sort Folder By…" choices are kept (the workspace state); in memory only without. */
    state?: vscode.Memento,
  ) {
    this.orders = new FolderOrders(state);
    this.listings = new ListingCache((host, path, offset, limit, locate) => this.fetchPage(host, path, offset, limit, locate), { pageSize: () => this.config.pageSize });
    this.shownHosts = this.connectedHosts();
    this.lastStatus = new Map(hosts.list().map((h) => [h.alias, h.status]));
    this.disposables.push(
      this.changed,
      this.listings.onDidChange((host, path) => this.changed.fire({ host, path })),
      hosts.onDidChange(() => this.syncHosts()),
      filters.onDidChange((hs) => hs.forEach((h) => this.resetListings(h))),
      fs.onDidChangeFile((events) => this.onFileChanges(events)),
      onDidChangeSettings(['roots'], () => {
        this.roots.clear();
        this.changed.fire(undefined);
      }),
      onDidChangeSettings(['explorer'], () => {
        const before = this.config;
        this.config = readExplorerConfig();
        const c = this.config;
        if (before.showHidden !== c.showHidden || before.naturalSort !== c.naturalSort || before.sortBy !== c.sortBy) for (const h of this.shownHosts) this.resetListings(h);
      }),
    );
    // While reconnecting, what is shown stays (and is fetched again once back, see syncHosts).
    const invalidation = remote.onDidInvalidate((host) => this.trouble(host)?.status !== 'reconnecting' && this.resetHost(host));
    this.disposables.push(new vscode.Disposable(() => invalidation.dispose()));
  }

  // ---- reading

  /** Connected hosts, in the Hosts view's order. */
  hostAliases(): string[] {
    return this.shownHosts;
  }

  filter(host: string): PathFilter | undefined {
    return this.filters.get(host);
  }

  /** The host's roots, resolved once per connection (home, $SCRATCH, $WORK or the setting). */
  rootsOf(host: string): Promise<RootsState> {
    let p = this.roots.get(host);
    if (!p) {
      p = this.resolveRootsOf(host);
      this.roots.set(host, p);
    }
    return p;
  }

  /** A folder's listing: cached, or its first page fetched now. Starts watching the folder. */
  async folder(host: string, path: string): Promise<FolderSnapshot> {
    const snap = await this.listings.load(host, path);
    if (!snap.error) this.watchFolder(host, path);
    return snap;
  }

  loadMore(host: string, path: string): Promise<FolderSnapshot> {
    return this.listings.loadMore(host, path);
  }

  loadPrevious(host: string, path: string): Promise<FolderSnapshot> {
    return this.listings.loadPrevious(host, path);
  }

  /** Loads the page of a folder that holds `name` (one request, whatever its position); see ListingCache.jump. */
  async jump(host: string, path: string, name: string): Promise<{ snapshot: FolderSnapshot; found: boolean }> {
    const r = await this.listings.jump(host, path, name);
    if (!r.snapshot.error) this.watchFolder(host, path);
    return r;
  }

  /**
   * The entries of a folder whose names match `query` (substring or glob, ignoring case), in the
   * folder's order, matched on the host: at most `limit` of them, and how many there are.
   */
  async find(host: string, path: string, query: string, limit: number, signal?: AbortSignal): Promise<ListResult> {
    const ops = await this.opsOf(host);
    return ops.list(path, { ...this.listOptions(host, path), name: query, offset: 0, limit, ...(signal ? { signal } : {}) });
  }

  /** The order a folder is listed in: its own ("Sort Folder By…") or the setting's. */
  orderOf(host: string, path: string): FolderOrder {
    return this.orders.get(host, path) ?? this.config.sortBy;
  }

  /** True when the folder has an order of its own. */
  hasOwnOrder(host: string, path: string): boolean {
    return this.orders.get(host, path) !== undefined;
  }

  get defaultOrder(): FolderOrder {
    return this.config.sortBy;
  }

  /** Gives a folder an order of its own (undefined: back to the setting's) and lists it again. */
  setOrder(host: string, path: string, order: FolderOrder | undefined): void {
    this.orders.set(host, path, order);
    this.listings.invalidate(host, path, false);
  }

  /** The target of a symlink once known (resolved in the background after its folder loaded). */
  linkTarget(host: string, path: string): string | undefined {
    return this.linkTargets.get(`${host}\0${path}`);
  }

  // ---- changing

  /** Drops a folder's listing (and those below it) so it is fetched again; host alone: roots too. */
  refresh(host?: string, path?: string): void {
    if (host === undefined) {
      for (const h of this.shownHosts) this.resetHost(h, false);
      this.changed.fire(undefined);
      return;
    }
    if (path === undefined) {
      this.resetHost(host);
      return;
    }
    this.unwatch(host, path);
    this.listings.invalidate(host, path);
  }

  /** Re-fetches a cached folder now, keeping it on screen meanwhile (after our own changes). */
  reload(host: string, path: string): Promise<void> {
    return this.listings.refresh(host, path);
  }

  /** A folder was collapsed: stop watching it and forget its listing (re-expanding fetches it fresh). */
  collapsed(host: string, path: string): void {
    this.unwatch(host, path);
    this.listings.invalidate(host, path);
  }

  private resetHost(host: string, announce = true): void {
    this.roots.delete(host);
    this.resetListings(host, announce);
  }

  /** Drops a host's listings but keeps its roots (filter or hidden-files setting changed). */
  private resetListings(host: string, announce = true): void {
    this.unwatch(host, '/');
    this.listings.invalidateHost(host);
    for (const k of [...this.linkTargets.keys()]) if (k.startsWith(`${host}\0`)) this.linkTargets.delete(k);
    if (announce) this.changed.fire(this.shownHosts.includes(host) ? { host } : undefined);
  }

  /**
   * Connected and reconnecting hosts, and shown ones whose reconnect failed or that are being
   * connected again: a host leaves the view only when disconnected (by the user, or a cancelled
   * login), never silently while its connection is in trouble.
   */
  private connectedHosts(): string[] {
    return this.hosts
      .list()
      .filter((h) => h.status === 'connected' || h.status === 'reconnecting' || (this.shownHosts.includes(h.alias) && h.status !== 'disconnected'))
      .map((h) => h.alias);
  }

  /** Why a shown host is not usable right now (connection lost, reconnecting or failed), if it is not. */
  trouble(host: string): { status: 'reconnecting' | 'failed' | 'connecting'; error?: string } | undefined {
    const h = this.hosts.list().find((x) => x.alias === host);
    if (!h || (h.status !== 'reconnecting' && h.status !== 'failed' && h.status !== 'connecting')) return undefined;
    return { status: h.status, ...(h.error ? { error: h.error } : {}) };
  }

  private syncHosts(): void {
    const next = this.connectedHosts();
    const gone = this.shownHosts.filter((h) => !next.includes(h));
    const same = gone.length === 0 && next.length === this.shownHosts.length && next.every((h, i) => h === this.shownHosts[i]);
    this.shownHosts = next;
    for (const h of gone) this.resetHost(h, false);
    // Back after a lost connection: everything shown is fetched again (the tree keeps what was
    // expanded, its items have the same ids); while in trouble the host row says so.
    const statuses = new Map(this.hosts.list().map((h) => [h.alias, h.status]));
    for (const h of next) {
      const before = this.lastStatus.get(h);
      const now = statuses.get(h);
      if (now === 'connected' && before !== undefined && before !== 'connected') this.resetHost(h);
      else if (now !== before && same) this.changed.fire({ host: h });
    }
    this.lastStatus = statuses;
    if (!same) this.changed.fire(undefined);
  }

  /** The host's ops, only while it is connected: the explorer never opens a connection by itself. */
  private async opsOf(host: string) {
    if (!this.shownHosts.includes(host)) throw new Error(`${host} is not connected`);
    return this.remote.ops(host);
  }

  private async resolveRootsOf(host: string): Promise<RootsState> {
    try {
      const ops = await this.opsOf(host);
      const specs = rootSpecsFor(setting('roots'), host);
      const names = rootVariables(specs);
      const [home, env] = await Promise.all([ops.home(), names.length ? ops.getenv(names) : Promise.resolve({})]);
      const { roots, skipped } = resolveRoots(specs, home, env);
      for (const s of skipped) {
        // Unset $SCRATCH/$WORK among the defaults is normal; anything else the user wrote is worth a note.
        this.log.debug(`[explorer] ${host}: root ${s.spec} skipped (${s.reason})`);
      }
      return { roots };
    } catch (error) {
      this.log.warn(`[explorer] ${host}: cannot resolve roots: ${String(error)}`);
      this.roots.delete(host);
      return { roots: [], error };
    }
  }

  /** Filter, hidden files, natural names and the folder's order: what every listing of it is asked with. */
  private listOptions(host: string, path: string) {
    const filter = this.filters.get(host);
    return {
      ...listOrder(this.orderOf(host, path)),
      natural: this.config.naturalSort,
      hidden: this.config.showHidden,
      ...(filter ? { filter } : {}),
    };
  }

  private async fetchPage(host: string, path: string, offset: number, limit: number, locate?: string) {
    const ops = await this.opsOf(host);
    const result = await ops.list(path, { ...this.listOptions(host, path), offset, limit, ...(locate !== undefined ? { locate } : {}) });
    const links = result.entries.filter((e) => e.type === 'symlink' && !this.linkTargets.has(`${host}\0${e.path}`));
    // Waited for (briefly), so the page's items are drawn with their targets: a refresh fired
    // while VS Code is still rendering a folder's first page can be lost.
    if (links.length) await Promise.race([this.resolveLinks(host, path, links), delay(LINK_WAIT_MS)]);
    return result;
  }

  /** readlink for a page's symlinks in one remote command; the folder is redrawn if they arrive late. */
  private async resolveLinks(host: string, folder: string, links: RemoteEntry[]): Promise<void> {
    try {
      const ops = await this.opsOf(host);
      const script = 'for p do t=$(readlink -- "$p" 2>/dev/null) || t=; printf "%s\\0" "$t"; done';
      const res = await ops.run(['sh', '-c', script, 'sh', ...links.map((l) => l.path)], { timeoutMs: 15_000 });
      const targets = res.stdout.toString('utf8').split('\0');
      links.forEach((l, i) => {
        if (targets[i]) this.linkTargets.set(`${host}\0${l.path}`, targets[i]);
      });
      this.changed.fire({ host, path: folder });
      // The links' own items too: a folder refresh that lands while the tree is still rendering
      // that folder's first page can be lost, and the links then kept "→ …" for good.
      for (const l of links) this.changed.fire({ host, path: l.path });
    } catch (err) {
      this.log.debug(`[explorer] readlink in ${host}:${folder} failed: ${String(err)}`);
    }
  }

  // ---- watching and remote changes

  /**
   * The view was shown or hidden. Hidden: folder watches are dropped (listings kept). Shown again:
   * cached folders are watched and refreshed, to catch what changed meanwhile.
   */
  setWatching(on: boolean): void {
    if (on === this.watching) return;
    this.watching = on;
    if (!on) {
      for (const d of this.watches.values()) d.dispose();
      this.watches.clear();
      return;
    }
    for (const host of this.shownHosts) {
      for (const path of this.listings.cachedFolders(host)) {
        this.watchFolder(host, path);
        void this.listings.refresh(host, path);
      }
    }
  }

  private watchFolder(host: string, path: string): void {
    const k = `${host}\0${path}`;
    if (!this.watching || this.watches.has(k)) return;
    try {
      this.watches.set(k, this.fs.watch(hpcUri(host, path), { recursive: false, excludes: [] }));
    } catch (err) {
      this.log.debug(`[explorer] cannot watch ${host}:${path}: ${String(err)}`);
    }
  }

  private unwatch(host: string, path: string): void {
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const [k, d] of [...this.watches]) {
      const [h, p] = k.split('\0');
      if (h === host && (p === path || p.startsWith(prefix))) {
        d.dispose();
        this.watches.delete(k);
      }
    }
  }

  private onFileChanges(events: readonly vscode.FileChangeEvent[]): void {
    for (const e of events) {
      if (e.uri.scheme !== HPC_SCHEME) continue;
      const { host, path } = parseHpcUri(e.uri);
      if (e.type === vscode.FileChangeType.Deleted && this.listings.peek(host, path)) {
        this.unwatch(host, path);
        this.listings.invalidate(host, path);
      }
      const parent = posix.dirname(path);
      if (this.listings.peek(host, parent)) this.pending.set(`${host}\0${parent}`, { host, path: parent });
      // A watched folder reporting on itself (e.g. a file watch) refreshes that folder.
      if (e.type === vscode.FileChangeType.Changed && this.listings.peek(host, path)) this.pending.set(`${host}\0${path}`, { host, path });
    }
    if (this.pending.size && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const todo = [...this.pending.values()];
        this.pending.clear();
        for (const { host, path } of todo) void this.listings.refresh(host, path);
      }, COALESCE_MS);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.watches.values()) d.dispose();
    this.watches.clear();
    this.listings.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
