/**
 * The agent's operations, in one table: name → parameters → result (→ events, for subscriptions).
 *
 * Both sides are held to it. AgentClient.request/subscribe take their op names, parameter and
 * result types from here, so a misspelt op or parameter is a compile error; and
 * test/unit/agent-operations.test.ts reads agent.py's handlers and fails unless they are exactly
 * these ops, each reading exactly these parameters (`p["x"]` for a required one, `p.get("x")` for
 * an optional one). Adding an op or a parameter: add it here and in agent.py.
 */

/** One parameter: whether the agent requires it; its TypeScript type exists for the compiler only. */
interface Param<T, Required extends boolean> {
  readonly required: Required;
  readonly type?: () => T;
}

type Params = Record<string, Param<unknown, boolean>>;

interface Operation<P extends Params, R, E> {
  readonly params: P;
  /** The JSON result (a subscription's is always `{ subscribed: true }`) and pushed events; types only. */
  readonly result?: () => R;
  readonly event?: () => E;
}

const required = <T>(): Param<T, true> => ({ required: true });
const optional = <T>(): Param<T, false> => ({ required: false });
/** The result type of an op, or the event type of a subscription; no value at run time. */
const returns = <T>(): (() => T) | undefined => undefined;
const emits = returns;
const op = <P extends Params, R>(params: P, _result: (() => R) | undefined): Operation<P, R, never> => ({ params });
const subscription = <P extends Params, E>(params: P, _event: (() => E) | undefined): Operation<P, { subscribed: true }, E> => ({ params });

/** Filter regexes (Python syntax, src/core/remote/filters.ts translates them): see Filter in agent.py. */
interface WireFilter {
  fileAllow?: string[];
  fileReject?: string[];
  dirAllow?: string[];
  dirReject?: string[];
}

interface WireMatch {
  path: string;
  /** 1-based line and its text, for content matches. */
  line?: number;
  text?: string;
}

/** What a search did not look into, and why (search_walk's Skips). */
interface WireSkip {
  path: string;
  reason: 'too-big' | 'binary' | 'denied' | 'unreadable';
  size?: number;
  folder?: boolean;
}

interface WireChange {
  path: string;
  kind: 'created' | 'changed' | 'deleted';
}

/** A stat as the agent sends it: type characters (f d l o), a symlink's fields are its target's. */
export interface WireStat {
  type: string;
  targetType?: string;
  size: number;
  mtimeMs: number;
  mode: number;
}

/**
 * A folder page as columns, not objects. The JSON holds what is small; the payload holds the
 * numbers and names (listColumns.ts reads it: agent.py's list_payload writes it).
 */
export interface WireList {
  total: number;
  /** Entries on this page. */
  count: number;
  /** One type character per entry. */
  types: string;
  /** Index → target type character, symlinks only. */
  targets: Record<string, string>;
  /** Where the page starts (the requested offset, or the page of `locate`). */
  offset: number;
  /** With `locate`: the entry's index in the sorted listing, -1 when it is not there. */
  position?: number;
}

export const OPERATIONS = {
  /** Who answers: protocol version, Python version, pid, platform, host name (tests, benchmarks). */
  info: op({}, returns<{ protocol: number; python: string; pid: number; platform: string; host: string }>()),
  /** The remote user's home folder. */
  home: op({}, returns<{ home: string }>()),
  /** Environment variables by name; null when unset. */
  getenv: op({ names: optional<string[]>() }, returns<{ env: Record<string, string | null> }>()),
  /**
   * One folder: filtered (Python regexes), narrowed to names matching `name` (substring or glob,
   * ignoring case), directories first, sorted (natural: step2 before step10), paged; `locate`
   * answers the page holding that name instead of the one at offset. filterTimeoutMs: a shorter
   * filter limit (tests).
   */
  list: op(
    {
      path: required<string>(),
      filter: optional<WireFilter>(),
      name: optional<string>(),
      locate: optional<string>(),
      hidden: optional<boolean>(),
      sort: optional<'name' | 'mtime' | 'size'>(),
      descending: optional<boolean>(),
      natural: optional<boolean>(),
      offset: optional<number>(),
      limit: optional<number | null>(),
      filterTimeoutMs: optional<number>(),
    },
    returns<WireList>(),
  ),
  /** lstat of each path (a symlink's target's fields); null for a missing one. */
  stat: op({ paths: required<string[]>() }, returns<{ stats: (WireStat | null)[] }>()),
  /** A regular file's bytes (to EOF when length is null) as the payload. */
  read: op({ path: required<string>(), offset: optional<number>(), length: optional<number | null>() }, returns<{ length: number }>()),
  /**
   * Atomic save of the request payload: temp file in the same folder, mode kept, rename; in place
   * (`inPlace`) when the folder is not writable but the file is.
   */
  write: op({ path: required<string>(), create: optional<boolean>(), overwrite: optional<boolean>() }, returns<{ written: number; inPlace?: boolean }>()),
  mkdir: op({ path: required<string>(), recursive: optional<boolean>() }, returns<Record<string, never>>()),
  /** A file, link or (empty unless recursive) folder. */
  remove: op({ path: required<string>(), recursive: optional<boolean>() }, returns<Record<string, never>>()),
  rename: op({ from: required<string>(), to: required<string>(), overwrite: optional<boolean>() }, returns<Record<string, never>>()),
  /** A file, link or folder tree (links copied as links). */
  copy: op({ from: required<string>(), to: required<string>(), overwrite: optional<boolean>() }, returns<Record<string, never>>()),
  /** Names (substring or glob) and contents (regex or literal text) below root, in a worker with a time limit (timeoutMs: tests); reports what it could not search. */
  search: op(
    {
      root: required<string>(),
      name: optional<string>(),
      content: optional<string | null>(),
      /** content is a regular expression (default true); false: literal text. */
      regex: optional<boolean>(),
      caseSensitive: optional<boolean>(),
      max: optional<number>(),
      /** Bytes; larger files are skipped and reported. null: no limit (the time limit holds). */
      maxFileSize: optional<number | null>(),
      filter: optional<WireFilter>(),
      timeoutMs: optional<number>(),
    },
    returns<{ matches: WireMatch[]; truncated: boolean; skipped: WireSkip[]; skippedCounts: Partial<Record<WireSkip['reason'], number>> }>(),
  ),
  /** Change events for files and folders' direct children; folders over maxEntries (tests lower it) only as a whole. */
  watch: subscription({ paths: required<string[]>(), maxEntries: optional<number>() }, emits<{ events: WireChange[]; huge?: { path: string; entries: number }[] }>()),
  /** Bytes appended to a file from offset on, as event payloads; truncation and errors as events. */
  follow: subscription(
    { path: required<string>(), offset: optional<number>() },
    emits<{ kind: 'data'; offset: number } | { kind: 'truncate' } | { kind: 'error'; message: string }>(),
  ),
  /** Ends the subscription started by request `id`. */
  unsubscribe: op({ id: required<number>() }, returns<{ stopped: boolean }>()),
  /** A command (argv, no shell) with the request payload as stdin; the answer's payload is stdout then stderr. */
  run: op(
    {
      argv: required<string[]>(),
      cwd: optional<string | null>(),
      env: optional<Record<string, string>>(),
      timeoutMs: optional<number | null>(),
    },
    returns<{ code: number | null; stdoutLength: number; timedOut: boolean; signal?: string }>(),
  ),
} satisfies Record<string, Operation<Params, unknown, unknown>>;

type Table = typeof OPERATIONS;
export type OpName = keyof Table;
type ValueOf<F> = NonNullable<F> extends () => infer T ? T : never;
type TypeOf<X> = X extends Param<infer T, boolean> ? T : never;
type RequiredKeys<P> = { [K in keyof P]: P[K] extends Param<unknown, true> ? K : never }[keyof P];
type Fields<P> = { [K in RequiredKeys<P>]: TypeOf<P[K]> } & { [K in Exclude<keyof P, RequiredKeys<P>>]?: TypeOf<P[K]> };
type ParamsOf<P> = [keyof P] extends [never] ? Record<string, never> : Fields<P>;

/** The parameters of each op, as the client sends them. */
export type OpParams = { [K in OpName]: ParamsOf<Table[K]['params']> };
/** The JSON result of each op. */
export type OpResult = { [K in OpName]: ValueOf<Table[K]['result']> };
/** The ops that push events until unsubscribed, and their events. */
export type SubscriptionOp = { [K in OpName]: [ValueOf<Table[K]['event']>] extends [never] ? never : K }[OpName];
export type OpEvent = { [K in SubscriptionOp]: ValueOf<Table[K]['event']> };
