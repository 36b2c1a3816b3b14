/** RemoteOps through the remote agent: one round trip per operation, filtering and sorting remote. */
import type { Disposable } from '../cancel';
import type { Logger } from '../log';
import type { AgentClient } from '../agent/client';
import type { WireStat } from '../agent/operations';
import { RemoteFsError } from './errors';
import { pythonFilter, validateFilter } from './filters';
import { TYPE_FROM_CHAR } from './common';
import { entriesFromWire } from './listWire';
import { SEARCH_MAX_FILE_SIZE } from './search';
import type {
  ChangeEvent,
  FollowOptions,
  WatchOptions,
  ListOptions,
  ListResult,
  RemoteOps,
  RemoteStat,
  RunOptions,
  RunResult,
  SearchOptions,
  SearchResult,
  WriteOutcome,
} from './types';

function toStat(w: WireStat): RemoteStat {
  const s: RemoteStat = { type: TYPE_FROM_CHAR[w.type] ?? 'other', size: w.size, mtimeMs: w.mtimeMs, mode: w.mode };
  if (w.targetType) s.targetType = TYPE_FROM_CHAR[w.targetType] ?? 'other';
  return s;
}

/** The largest list answer taken: a million entries with 255-byte names. */
const LIST_MAX_PAYLOAD = 256 * 1024 * 1024;

export function checkFilter(filter: ListOptions['filter'], path: string): void {
  const err = validateFilter(filter);
  if (err) throw new RemoteFsError('unknown', path, `Invalid filter: ${err}`);
}

export class AgentOps implements RemoteOps {
  readonly kind = 'agent' as const;
  private homeDir: Promise<string> | undefined;
  private readonly subscriptions = new Set<Disposable>();

  constructor(
    readonly client: AgentClient,
    private readonly log: Logger,
  ) {}

  get closed(): boolean {
    return this.client.isClosed;
  }

  home(): Promise<string> {
    this.homeDir ??= this.client.request('home', {}).then((r) => r.result.home);
    this.homeDir.catch(() => (this.homeDir = undefined));
    return this.homeDir;
  }

  async getenv(names: string[]): Promise<Record<string, string | undefined>> {
    const { result } = await this.client.request('getenv', { names });
    const out: Record<string, string | undefined> = {};
    for (const n of names) out[n] = result.env[n] ?? undefined;
    return out;
  }

  async list(path: string, opts: ListOptions = {}): Promise<ListResult> {
    checkFilter(opts.filter, path);
    const { result: r, payload } = await this.client.request(
      'list',
      {
        path,
        filter: pythonFilter(opts.filter),
        ...(opts.name ? { name: opts.name } : {}),
        ...(opts.locate !== undefined ? { locate: opts.locate } : {}),
        sort: opts.sort ?? 'name',
        descending: !!opts.descending,
        natural: !!opts.natural,
        offset: opts.offset ?? 0,
        limit: opts.limit ?? null,
        hidden: opts.hidden ?? true,
      },
      undefined,
      { signal: opts.signal, maxPayload: LIST_MAX_PAYLOAD },
    );
    const entries = entriesFromWire(path, r, payload);
    return { entries, total: r.total, offset: r.offset, ...(r.position !== undefined ? { position: r.position } : {}) };
  }

  async stat(paths: string[]): Promise<(RemoteStat | null)[]> {
    if (paths.length === 0) return [];
    const { result } = await this.client.request('stat', { paths });
    return result.stats.map((s) => (s ? toStat(s) : null));
  }

  async readFile(path: string, range?: { offset: number; length: number }): Promise<Buffer> {
    const { payload } = await this.client.request('read', { path, offset: range?.offset ?? 0, length: range?.length ?? null }, undefined, { maxPayload: range?.length });
    return payload;
  }

  async writeFileAtomic(path: string, data: Buffer, opts: { create?: boolean; overwrite?: boolean } = {}): Promise<WriteOutcome> {
    const { result } = await this.client.request('write', { path, create: opts.create ?? true, overwrite: opts.overwrite ?? true }, data);
    return { inPlace: result.inPlace === true };
  }

  async mkdir(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await this.client.request('mkdir', { path, recursive: !!opts.recursive });
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await this.client.request('remove', { path, recursive: !!opts.recursive });
  }

  async rename(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    await this.client.request('rename', { from, to, overwrite: !!opts.overwrite });
  }

  async copy(from: string, to: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    await this.client.request('copy', { from, to, overwrite: !!opts.overwrite });
  }

  async search(root: string, opts: SearchOptions): Promise<SearchResult> {
    checkFilter(opts.filter, root);
    const { result } = await this.client.request(
      'search',
      {
        root,
        name: opts.namePattern ?? '',
        content: opts.contentPattern ?? null,
        regex: !!opts.regex,
        caseSensitive: !!opts.caseSensitive,
        maxFileSize: opts.maxFileSize === undefined ? SEARCH_MAX_FILE_SIZE : opts.maxFileSize,
        max: opts.maxResults ?? 1000,
        filter: pythonFilter(opts.filter),
      },
      undefined,
      { signal: opts.signal },
    );
    return result;
  }

  watch(paths: string[], listener: (events: ChangeEvent[]) => void, opts: WatchOptions = {}): Disposable {
    return this.track(
      this.client.subscribe('watch', { paths }, ({ events, huge }) => {
        // Folders too big to track entry by entry: only changes of the folder itself are reported.
        for (const h of huge ?? []) this.log.warn(`watch ${h.path}: ${h.entries} entries, only the folder itself is watched`);
        if (events.length) listener(events);
      }),
      `watch ${paths.join(', ')}`,
      undefined,
      opts.onReady,
    );
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const stdin = opts.stdin === undefined ? undefined : Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin, 'utf8');
    const { result, payload } = await this.client.request(
      'run',
      { argv, cwd: opts.cwd ?? null, env: opts.env ?? {}, timeoutMs: opts.timeoutMs ?? null },
      stdin ?? Buffer.alloc(0),
      // The agent enforces the command's own time limit; without one it may run as long as it takes.
      { signal: opts.signal, timeoutMs: opts.timeoutMs ? opts.timeoutMs + 30_000 : 0 },
    );
    if (result.timedOut) throw new Error(`Command timed out after ${opts.timeoutMs} ms: ${argv[0]}`);
    return { code: result.code, stdout: payload.subarray(0, result.stdoutLength), stderr: payload.subarray(result.stdoutLength) };
  }

  follow(path: string, opts: FollowOptions): Disposable {
    return this.track(
      this.client.subscribe('follow', { path, offset: opts.offset ?? 0 }, (ev, payload) => {
        if (ev.kind === 'data') opts.onData(payload, ev.offset);
        else if (ev.kind === 'truncate') opts.onTruncate?.();
        else if (ev.kind === 'error') opts.onError?.(new Error(ev.message));
      }),
      `follow ${path}`,
      opts.onError,
      opts.onReady,
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions.clear();
    this.client.dispose();
  }

  /** A synchronous Disposable over a subscription that is still being set up. */
  /** `onReady` once the agent has armed the subscription (its answer comes after the first snapshot). */
  private track(pending: Promise<Disposable>, what: string, onError?: (err: Error) => void, onReady?: () => void): Disposable {
    let disposed = false;
    let sub: Disposable | undefined;
    const handle: Disposable = {
      dispose: () => {
        disposed = true;
        this.subscriptions.delete(handle);
        sub?.dispose();
      },
    };
    this.subscriptions.add(handle);
    pending.then(
      (s) => {
        sub = s;
        if (disposed) s.dispose();
        else onReady?.();
      },
      (err: Error) => {
        this.subscriptions.delete(handle);
        this.log.warn(`${what}: ${err.message}`);
        onError?.(err);
      },
    );
    return handle;
  }
}
