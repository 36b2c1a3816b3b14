import type { Disposable } from '../cancel';

export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface RemoteStat {
  type: EntryType;
  /** For a symlink: the type of what it points at ('other' when dangling or looping). */
  targetType?: EntryType;
  size: number;
  /** Milliseconds since the epoch. */
  mtimeMs: number;
  /** POSIX mode bits (permissions only, e.g. 0o644). */
  mode: number;
}

/** How a save went: atomically (temp + rename) or, in a read-only folder, in place. */
export interface WriteOutcome {
  inPlace: boolean;
}

export interface RemoteEntry extends RemoteStat {
  name: string;
  /** Absolute path. */
  path: string;
  /** SFTP fallback: the name is not valid UTF-8 (shown with U+FFFD), every operation on it is refused. */
  unaddressable?: boolean;
}

/** Slycat's four regex lists, matched against the full path. */
export interface PathFilter {
  fileAllow?: string[];
  fileReject?: string[];
  dirAllow?: string[];
  dirReject?: string[];
}

export type SortKey = 'name' | 'mtime' | 'size';

export interface ListOptions {
  filter?: PathFilter;
  /** Only names matching this, ignoring case: a substring, or a glob when it has * ? or [ (see nameMatcher). */
  name?: string;
  /** Answer the page (of `limit` entries) holding the entry of this name instead of the one at `offset`. */
  locate?: string;
  /**
   * Directories first, then by key (default name); ties by name A to Z whatever the direction.
   * Folders stay in name order when sorting by size.
   */
  sort?: SortKey;
  descending?: boolean;
  /** Names in natural order (step2 before step10) instead of code point order. */
  natural?: boolean;
  offset?: number;
  limit?: number;
  /** Include dot-files (default true). */
  hidden?: boolean;
  signal?: AbortSignal;
}

export interface ListResult {
  entries: RemoteEntry[];
  /** Entries in the directory after filtering (for "load more"). */
  total: number;
  /** A folder so big (HUGE_FOLDER entries) that listing it is slow: the UI may warn. */
  huge?: boolean;
  /** Where the page starts: the offset asked for, or the start of the page holding `locate`. */
  offset?: number;
  /** With `locate`: the entry's index in the whole (filtered, sorted) listing; -1 when it is not there. */
  position?: number;
}

export interface SearchOptions {
  /** Case-insensitive substring or glob on names; matches any name when empty. */
  namePattern?: string;
  /** Text searched in file contents line by line; name search only when absent. */
  contentPattern?: string;
  /**
   * contentPattern is a regular expression (default: literal text, like VS Code's search). The
   * agent uses Python `re`, the SFTP fallback `grep -E`: keep to their common subset.
   */
  regex?: boolean;
  /** Content match case-sensitively (default: case-insensitive, like names). */
  caseSensitive?: boolean;
  maxResults?: number;
  /** Content search skips (and reports) files larger than this; null searches every size. Default SEARCH_MAX_FILE_SIZE. */
  maxFileSize?: number | null;
  filter?: PathFilter;
  signal?: AbortSignal;
}

export interface SearchMatch {
  path: string;
  /** 1-based line and its text, for content matches. */
  line?: number;
  text?: string;
}

/**
 * Why a content search did not look into a file or folder: larger than maxFileSize, binary
 * (NUL bytes near the start), permission denied, or another read error.
 */
export type SearchSkipReason = 'too-big' | 'binary' | 'denied' | 'unreadable';

export interface SearchSkip {
  path: string;
  reason: SearchSkipReason;
  /** Bytes, for too-big files. */
  size?: number;
  /** A folder that could not be listed (so nothing below it was searched). */
  folder?: boolean;
}

export interface SearchResult {
  matches: SearchMatch[];
  truncated: boolean;
  /** What a content search did not look into (at most SEARCH_MAX_SKIPPED entries); a name search may list folders it could not read. */
  skipped: SearchSkip[];
  /** How many were skipped per reason, including those past the cap of `skipped`. */
  skippedCounts: Partial<Record<SearchSkipReason, number>>;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  stdin?: Buffer | string;
  signal?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

type ChangeKind = 'created' | 'changed' | 'deleted';
export interface ChangeEvent {
  path: string;
  kind: ChangeKind;
}

export interface FollowOptions {
  /** Byte offset to start from (default 0). */
  offset?: number;
  /** Called with bytes appended since the last call, in order, each byte exactly once. */
  onData(chunk: Buffer, offset: number): void;
  /** The file shrank: reading restarts at 0. */
  onTruncate?(): void;
  onError?(err: Error): void;
  /** Following has begun: every byte appended from now on will be reported. */
  onReady?(): void;
}

export interface WatchOptions {
  /** The watch is armed: every change from now on will be reported. */
  onReady?(): void;
}

/**
 * Everything features do on a remote host. Two implementations: through the remote
 * agent (one round trip per request) and the fallback over plain SFTP + exec.
 */
export interface RemoteOps extends Disposable {
  readonly kind: 'agent' | 'sftp';
  /** True once these ops can serve nothing more (agent exited, session closed): build new ones. */
  readonly closed: boolean;
  home(): Promise<string>;
  /** Environment variables of a login shell (e.g. SCRATCH, WORK), for roots. */
  getenv(names: string[]): Promise<Record<string, string | undefined>>;
  list(path: string, opts?: ListOptions): Promise<ListResult>;
  /** One entry per path, null where it does not exist. Symlinks are followed (targetType set). */
  stat(paths: string[]): Promise<(RemoteStat | null)[]>;
  readFile(path: string, range?: { offset: number; length: number }): Promise<Buffer>;
  /**
   * Temp file in the same folder, original mode kept, then rename over the target. When the
   * folder is not writable but the existing file is, the file is overwritten in place instead
   * (not atomic; reported as `inPlace`).
   */
  writeFileAtomic(path: string, data: Buffer, opts?: { create?: boolean; overwrite?: boolean }): Promise<WriteOutcome>;
  /** Fails when it exists; `recursive` creates missing parents and accepts an existing folder (mkdir -p). */
  mkdir(path: string, opts?: { recursive?: boolean }): Promise<void>;
  remove(path: string, opts?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string, opts?: { overwrite?: boolean }): Promise<void>;
  copy(from: string, to: string, opts?: { overwrite?: boolean }): Promise<void>;
  /** Names or contents below root; a root that cannot be read rejects (not-found, no-permission). */
  search(root: string, opts: SearchOptions): Promise<SearchResult>;
  /** Pushes changes under the given paths (directory = its direct children). */
  watch(paths: string[], listener: (events: ChangeEvent[]) => void, opts?: WatchOptions): Disposable;
  /** argv without a shell on the agent; quoted exec on the fallback. Rejects on timeout or abort. */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  follow(path: string, opts: FollowOptions): Disposable;
}

/**
 * Hands out the RemoteOps of a host's cached session (agent when it starts, SFTP fallback
 * otherwise), connecting on first use. Every feature's adapter takes one of these.
 */
export interface RemoteOpsProvider {
  ops(host: string): Promise<RemoteOps>;
  /** Fires when a host's ops are replaced (reconnect) or gone (disconnect). */
  onDidInvalidate(listener: (host: string) => void): Disposable;
}
