/**
 * The one message protocol between the extension host and every webview.
 *
 * Shape of a conversation:
 *  1. the webview loads and posts `{ kind: 'ready', view }`; the host posts nothing before that
 *     (and re-sends its whole state on every later `ready`, since a hidden webview may reload);
 *  2. the host pushes `event`s (state, progress, data);
 *  3. the webview sends `notify` (fire and forget) or `request`s, which the host answers with a
 *     `reply` carrying the same `id`.
 *
 * Each view declares its own messages in a `*Protocol` interface below; the envelopes and the
 * guards are shared. To add a view: add its protocol interface, a key to `Protocols` and its
 * names to `PROTOCOL_NAMES`.
 *
 * No `vscode`, no DOM: this file is compiled by both tsconfigs.
 */

// ---------------------------------------------------------------- common payloads

export interface ErrorInfo {
  message: string;
  /** The user cancelled: show nothing alarming. */
  cancelled?: boolean;
}

export interface ProgressInfo {
  /** 0..1; absent while the total is unknown. */
  fraction?: number;
  loaded?: number;
  total?: number;
  label?: string;
  /** Progress is over (successfully or not). */
  done?: boolean;
}

/**
 * The preview waits for its host: a tab VS Code restored after a reload does not connect by
 * itself. The webview shows "Connect to <host>" with a button (the `connect` request) until
 * the remote content arrives.
 */
export interface OfflineInfo {
  host: string;
  /** True while a connection is being made (the button waits). */
  connecting: boolean;
}

/** `params` of requests that take none. */
type NoParams = Record<string, never>;

// ---------------------------------------------------------------- image preview

export interface ImageMeta {
  host: string;
  path: string;
  name: string;
  /** Lower-case extension without the dot. */
  ext: string;
  fileSize: number;
  mtimeMs: number;
}

/** Where the webview gets the pixels: a webview URI into the preview cache, or bytes (SVG, shown via a blob URL). */
type ImageSource = { kind: 'uri'; uri: string; mime: string } | { kind: 'bytes'; data: Uint8Array; mime: string };

export interface ImageShown {
  source: ImageSource;
  /** Pixel size of what is shown, when the host knows it (the webview falls back to naturalWidth). */
  width?: number;
  height?: number;
  /** Pixel size of the original file, when known. */
  originalWidth?: number;
  originalHeight?: number;
  /** A smaller rendering than the original: the webview offers "Load full resolution". */
  downscaled: boolean;
  /** The remote converted the format (e.g. TIFF → PNG). */
  convertedFrom?: string;
}

interface ImagePreviewProtocol {
  events: {
    meta: ImageMeta;
    progress: ProgressInfo;
    image: ImageShown;
    error: ErrorInfo;
    offline: OfflineInfo;
  };
  notifications: {
    /** The image failed to decode in the webview. */
    decodeError: { message: string };
  };
  requests: {
    loadFullResolution: { params: NoParams; result: null };
    reload: { params: NoParams; result: null };
    connect: { params: NoParams; result: null };
  };
}

// ---------------------------------------------------------------- gallery

export interface GalleryEntry {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
}

export type GalleryThumb =
  | { path: string; uri: string; width: number; height: number }
  | { path: string; error: string; unsupported?: boolean };

interface GalleryProtocol {
  events: {
    init: { host: string; folder: string; thumbSize: number };
    /** `reset` replaces the whole list; otherwise entries are upserted by path and `removed` deleted. */
    entries: { reset: boolean; upsert: GalleryEntry[]; removed: string[]; complete: boolean };
    thumbs: { items: GalleryThumb[] };
    progress: ProgressInfo;
    error: ErrorInfo;
    /** Thumbnails made by a batch job: its state ("… queued", "… running"); empty once it is over. */
    work: { message: string };
    offline: OfflineInfo;
  };
  notifications: {
    /** Paths that are on screen and have no thumbnail yet, most wanted first; replaces the previous wish. */
    want: { paths: string[] };
    /** `pin`: a kept tab that takes the keyboard (double-click); else a preview tab beside, the gallery keeping the keyboard. */
    open: { path: string; pin?: boolean };
  };
  requests: {
    refresh: { params: NoParams; result: null };
    makeVideo: { params: { paths: string[] }; result: null };
    connect: { params: NoParams; result: null };
  };
}

// ---------------------------------------------------------------- video preview

export interface VideoMeta {
  host: string;
  path: string;
  name: string;
  fileSize: number;
  mtimeMs: number;
  mime: string;
}

/** "Convert to WebM on the cluster", as the video preview shows it. */
export interface VideoConvertState {
  /** `offer`: why it cannot play, and the button; `running`: progress and Cancel; `failed`: the error, and the button again. */
  phase: 'offer' | 'running' | 'failed';
  message: string;
  /** 0..1 while running, when the duration is known. */
  fraction?: number;
}

interface VideoProtocol {
  events: {
    /** The file shown: the one opened, or its WebM copy once converted. */
    meta: VideoMeta;
    progress: ProgressInfo;
    source: { uri: string; mime: string };
    error: ErrorInfo;
    convert: VideoConvertState;
    offline: OfflineInfo;
  };
  notifications: {
    /** The element reported an error (often a codec the browser lacks). */
    playbackError: { message: string; code?: number };
    cancelConvert: NoParams;
  };
  requests: {
    reload: { params: NoParams; result: null };
    /** Converts on the cluster and plays the result; resolves when over (its states come as `convert` events). */
    convert: { params: NoParams; result: null };
    connect: { params: NoParams; result: null };
  };
}

// ---------------------------------------------------------------- new job form

/** The "New Job…" form: every field as typed (strings), converted and validated by the host. */
export interface NewJobForm {
  host: string;
  /** Remote folder the `<name>.job.json` is saved in (and the default work directory). */
  folder: string;
  name: string;
  mode: 'command' | 'script';
  /** Shell command line(s), run by bash as written. */
  command: string;
  /** Script on the cluster (relative to the work directory), with its arguments as shell words. */
  script: string;
  args: string;
  /** Empty: the folder of the job file. */
  workdir: string;
  partition: string;
  account: string;
  walltime: string;
  nodes: string;
  tasks: string;
  cpusPerTask: string;
  memory: string;
  gpus: string;
  array: string;
  repeat: string;
  /** Comma or space separated. */
  tags: string;
  nice: string;
  dependency: string;
  /** One path or glob per line. */
  outputs: string;
  /** One path per line, relative to the folder (or absolute) on the cluster. */
  inputs: string;
  /** `NAME=value` per line. */
  env: string;
  /** Further options of the host's submit program (sbatch, qsub) as shell words. */
  extraSbatchArgs: string;
  /** Job mail: to whom (empty: the scheduler's default, you) and on which events (`end, fail`). */
  mailUser: string;
  mailType: string;
}

export interface NewJobFieldError {
  /** The form field; empty for the form as a whole. */
  field: keyof NewJobForm | '';
  message: string;
}

/** How the host's scheduler names its submit program, its queues and an example of its options (`sbatch`, `Partition`). */
export interface SchedulerWords {
  program: string;
  queue: string;
  example: string;
}

/** The form fields a host's job defaults fill in. */
export type DefaultFormField = 'partition' | 'account' | 'walltime' | 'mailUser' | 'mailType';

/**
 * Where each prefilled value came from: `local` (remoteHpc.jobs.defaults, which wins) or
 * `cluster` (the host's ~/.config/remote-hpc/settings.json); absent when the host sets none.
 */
export type DefaultSources = Partial<Record<DefaultFormField, 'local' | 'cluster'>>;

interface NewJobProtocol {
  events: {
    /** The whole form state: sent on every `ready`; `sources` says where the form host's defaults came from. */
    init: { hosts: string[]; form: NewJobForm; partitions: string[]; words: SchedulerWords; sources: DefaultSources };
    /** The connected hosts changed; with the form host's partitions once it is connected. */
    hosts: { hosts: string[]; partitions?: string[] };
    status: { kind: 'info' | 'success' | 'error'; message: string };
  };
  notifications: {
    /** The user dismissed the form. */
    close: NoParams;
  };
  requests: {
    validate: { params: { form: NewJobForm }; result: { errors: NewJobFieldError[] } };
    /** Host defaults and a starting folder when the host changes. */
    hostInfo: { params: { host: string }; result: Pick<NewJobForm, 'folder' | DefaultFormField> & { sources: DefaultSources; partitions: string[]; words: SchedulerWords } };
    pickFolder: { params: { host: string; current: string }; result: { folder: string | null } };
    /** Opens the rendered batch script beside the form. */
    preview: { params: { form: NewJobForm }; result: { errors: NewJobFieldError[] } };
    /** Saves `<folder>/<name>.job.json` and, with `submit`, submits it. */
    save: { params: { form: NewJobForm; submit: boolean }; result: { errors: NewJobFieldError[]; path?: string; jobId?: string } };
  };
}

// ---------------------------------------------------------------- registry of views

export interface Protocols {
  imagePreview: ImagePreviewProtocol;
  gallery: GalleryProtocol;
  video: VideoProtocol;
  newJob: NewJobProtocol;
}
export type ViewKind = keyof Protocols;

/** Names known at run time, so the guards can reject what a view does not speak. */
export const PROTOCOL_NAMES: { [V in ViewKind]: { events: (keyof Protocols[V]['events'])[]; notifications: (keyof Protocols[V]['notifications'])[]; requests: (keyof Protocols[V]['requests'])[] } } = {
  imagePreview: { events: ['meta', 'progress', 'image', 'error', 'offline'], notifications: ['decodeError'], requests: ['loadFullResolution', 'reload', 'connect'] },
  gallery: { events: ['init', 'entries', 'thumbs', 'progress', 'error', 'work', 'offline'], notifications: ['want', 'open'], requests: ['refresh', 'makeVideo', 'connect'] },
  video: { events: ['meta', 'progress', 'source', 'error', 'convert', 'offline'], notifications: ['playbackError', 'cancelConvert'], requests: ['reload', 'convert', 'connect'] },
  newJob: { events: ['init', 'hosts', 'status'], notifications: ['close'], requests: ['validate', 'hostInfo', 'pickFolder', 'preview', 'save'] },
};

// ---------------------------------------------------------------- envelopes

type EventsOf<V extends ViewKind> = Protocols[V]['events'];
type NotificationsOf<V extends ViewKind> = Protocols[V]['notifications'];
type RequestsOf<V extends ViewKind> = Protocols[V]['requests'];

export type EventName<V extends ViewKind> = keyof EventsOf<V> & string;
export type NotificationName<V extends ViewKind> = keyof NotificationsOf<V> & string;
export type RequestName<V extends ViewKind> = keyof RequestsOf<V> & string;

export type EventData<V extends ViewKind, E extends EventName<V>> = EventsOf<V>[E];
export type NotificationData<V extends ViewKind, N extends NotificationName<V>> = NotificationsOf<V>[N];
export type RequestParams<V extends ViewKind, M extends RequestName<V>> = RequestsOf<V>[M] extends { params: infer P } ? P : never;
export type RequestResult<V extends ViewKind, M extends RequestName<V>> = RequestsOf<V>[M] extends { result: infer R } ? R : never;

interface ReadyMessage<V extends ViewKind = ViewKind> {
  kind: 'ready';
  view: V;
}

/** Host → webview push. */
type EventMessage<V extends ViewKind> = { [E in EventName<V>]: { kind: 'event'; event: E; data: EventData<V, E> } }[EventName<V>];

/** Webview → host, no reply. */
type NotifyMessage<V extends ViewKind> = {
  [N in NotificationName<V>]: { kind: 'notify'; name: N; data: NotificationData<V, N> };
}[NotificationName<V>];

/** Webview → host, answered by a `ReplyMessage` with the same id. */
type RequestMessage<V extends ViewKind> = {
  [M in RequestName<V>]: { kind: 'request'; id: number; method: M; params: RequestParams<V, M> };
}[RequestName<V>];

type ReplyMessage<R = unknown> = { kind: 'reply'; id: number; ok: true; result: R } | { kind: 'reply'; id: number; ok: false; error: ErrorInfo };

export type HostToWebview<V extends ViewKind> = EventMessage<V> | ReplyMessage;
export type WebviewToHost<V extends ViewKind> = ReadyMessage<V> | NotifyMessage<V> | RequestMessage<V>;

// ---------------------------------------------------------------- guards

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function known(list: readonly unknown[], name: unknown): boolean {
  return typeof name === 'string' && list.includes(name);
}

/**
 * Envelope check of what a webview posted to the host: kind, id and a name this view speaks.
 * Payloads are checked by the handler that uses them (see `validateParams` helpers below).
 */
export function isWebviewToHost<V extends ViewKind>(view: V, msg: unknown): msg is WebviewToHost<V> {
  if (!isRecord(msg)) return false;
  const names = PROTOCOL_NAMES[view];
  switch (msg.kind) {
    case 'ready':
      return msg.view === view;
    case 'notify':
      return known(names.notifications, msg.name) && 'data' in msg;
    case 'request':
      return isId(msg.id) && known(names.requests, msg.method) && isRecord(msg.params);
    default:
      return false;
  }
}

/** Envelope check of what the host posted to a webview. */
export function isHostToWebview<V extends ViewKind>(view: V, msg: unknown): msg is HostToWebview<V> {
  if (!isRecord(msg)) return false;
  switch (msg.kind) {
    case 'event':
      return known(PROTOCOL_NAMES[view].events, msg.event) && 'data' in msg;
    case 'reply':
      if (!isId(msg.id)) return false;
      if (msg.ok === true) return 'result' in msg;
      return msg.ok === false && isRecord(msg.error) && typeof msg.error.message === 'string';
    default:
      return false;
  }
}

// ---------------------------------------------------------------- payload checks used by the host

function isStringArray(x: unknown, max = 100_000): x is string[] {
  return Array.isArray(x) && x.length <= max && x.every((s) => typeof s === 'string');
}

export function hasString<K extends string>(x: unknown, key: K): x is Record<K, string> {
  return isRecord(x) && typeof x[key] === 'string';
}

export function hasStringArray<K extends string>(x: unknown, key: K, max?: number): x is Record<K, string[]> {
  return isRecord(x) && isStringArray(x[key], max);
}

/** An Error (or anything thrown) as ErrorInfo. */
export function toErrorInfo(err: unknown): ErrorInfo {
  const cancelled = isRecord(err) && (err.name === 'CancelledError' || err.name === 'AbortError');
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'Unknown error';
  return cancelled ? { message, cancelled: true } : { message };
}
