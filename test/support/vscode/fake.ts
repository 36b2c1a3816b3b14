/**
 * A small stand-in for the `vscode` module, for unit tests of the adapters (loaded through
 * ./register.ts). Values behave as VS Code's do (Uri parsing, FileSystemError codes, events);
 * window and commands record what was shown and registered so tests can assert on it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class Disposable {
  constructor(private readonly fn: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export type Event<T> = (listener: (e: T) => unknown) => Disposable;

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => unknown>();
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

interface UriParts {
  scheme: string;
  authority?: string;
  path?: string;
  query?: string;
  fragment?: string;
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static from(p: UriParts): Uri {
    const path = p.path ?? '';
    return new Uri(p.scheme, p.authority ?? '', path && !path.startsWith('/') && p.authority ? `/${path}` : path, p.query ?? '', p.fragment ?? '');
  }
  static parse(value: string): Uri {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(value);
    if (!m) throw new Error(`Invalid URI: ${value}`);
    return Uri.from({ scheme: m[1], authority: decodeURIComponent(m[2] ?? ''), path: decodeURIComponent(m[3] ?? ''), query: m[4] ?? '', fragment: m[5] ?? '' });
  }
  static file(path: string): Uri {
    return Uri.from({ scheme: 'file', path });
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return base.with({ path: [base.path.replace(/\/+$/, ''), ...segments].join('/') });
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: Partial<UriParts>): Uri {
    return Uri.from({ scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment, ...change });
  }
  toString(skipEncoding = false): string {
    const enc = skipEncoding ? (s: string) => s : (s: string) => encodeURI(s).replace(/[?#]/g, encodeURIComponent);
    return `${this.scheme}:${this.authority || this.scheme === 'file' ? `//${enc(this.authority)}` : ''}${enc(this.path)}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
  toJSON(): UriParts {
    return { scheme: this.scheme, authority: this.authority, path: this.path, query: this.query, fragment: this.fragment };
  }
}

export enum FileType {
  Unknown = 0,
  File = 1,
  Directory = 2,
  SymbolicLink = 64,
}

export enum FileChangeType {
  Changed = 1,
  Created = 2,
  Deleted = 3,
}

export enum FilePermission {
  Readonly = 1,
}

export interface FileStat {
  type: FileType;
  ctime: number;
  mtime: number;
  size: number;
  permissions?: FilePermission;
}

export interface FileChangeEvent {
  readonly type: FileChangeType;
  readonly uri: Uri;
}

/** As VS Code's: `code` names the kind, the message carries the URI or text it was made with. */
export class FileSystemError extends Error {
  constructor(
    messageOrUri?: string | Uri,
    readonly code = 'Unknown',
  ) {
    super(messageOrUri instanceof Uri ? messageOrUri.toString(true) : (messageOrUri ?? ''));
    this.name = code === 'Unknown' ? 'FileSystemError' : `${code} (FileSystemError)`;
  }
  static FileNotFound(x?: string | Uri): FileSystemError {
    return new FileSystemError(x, 'FileNotFound');
  }
  static FileExists(x?: string | Uri): FileSystemError {
    return new FileSystemError(x, 'FileExists');
  }
  static FileNotADirectory(x?: string | Uri): FileSystemError {
    return new FileSystemError(x, 'FileNotADirectory');
  }
  static FileIsADirectory(x?: string | Uri): FileSystemError {
    return new FileSystemError(x, 'FileIsADirectory');
  }
  static NoPermissions(x?: string | Uri): FileSystemError {
    return new FileSystemError(x, 'NoPermissions');
  }
  static Unavailable(x?: string | Uri): FileSystemError {
    return new FileSystemError(x, 'Unavailable');
  }
}

export class CancellationError extends Error {
  constructor() {
    super('Canceled');
    this.name = 'Canceled';
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  static readonly Folder = new ThemeIcon('folder');
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  constructor(public value = '', supportThemeIcons = false) {
    this.supportThemeIcons = supportThemeIcons;
  }
  appendText(text: string): MarkdownString {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&');
    return this;
  }
  appendMarkdown(text: string): MarkdownString {
    this.value += text;
    return this;
  }
  appendCodeblock(code: string, language = ''): MarkdownString {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export interface Command {
  title: string;
  command: string;
  arguments?: unknown[];
  tooltip?: string;
}

export class TreeItem {
  id?: string;
  description?: string | boolean;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon | Uri;
  contextValue?: string;
  command?: Command;
  resourceUri?: Uri;
  label?: string | { label: string };
  collapsibleState?: TreeItemCollapsibleState;
  constructor(labelOrUri: string | { label: string } | Uri, collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None) {
    if (labelOrUri instanceof Uri) this.resourceUri = labelOrUri;
    else this.label = labelOrUri;
    this.collapsibleState = collapsibleState;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Diagnostic {
  source?: string;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

/** Diagnostic collections by name, each keyed by URI string, as the Problems view would show. */
export const diagnostics = new Map<string, Map<string, Diagnostic[]>>();

export const languages = {
  async setTextDocumentLanguage(doc: TextDocument, languageId: string): Promise<TextDocument> {
    doc.languageId = languageId;
    return doc;
  },
  createDiagnosticCollection(name: string) {
    const byUri = new Map<string, Diagnostic[]>();
    diagnostics.set(name, byUri);
    return {
      set: (uri: Uri, list: readonly Diagnostic[]) => void byUri.set(uri.toString(), [...list]),
      delete: (uri: Uri) => void byUri.delete(uri.toString()),
      dispose: () => void diagnostics.delete(name),
    };
  },
};

/** A text document over a string: what an editor holds. */
export class TextDocument {
  isDirty = false;
  languageId = 'plaintext';
  constructor(
    readonly uri: Uri,
    public text: string,
  ) {}
  getText(): string {
    return this.text;
  }
  get lineCount(): number {
    return this.text.split('\n').length;
  }
  lineAt(line: number): { text: string } {
    return { text: this.text.split('\n')[line] ?? '' };
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset).split('\n');
    return new Position(before.length - 1, (before[before.length - 1] ?? '').length);
  }
  async save(): Promise<boolean> {
    this.isDirty = false;
    return true;
  }
}

/** Fire these as the editor would: a document opened, typed into, closed. */
export const documentEvents = {
  open: new EventEmitter<TextDocument>(),
  change: new EventEmitter<{ document: TextDocument }>(),
  close: new EventEmitter<TextDocument>(),
};

export enum TextEditorRevealType {
  Default = 0,
  InCenter = 1,
}

export class TabInputText {
  constructor(readonly uri: Uri) {}
}

/** An editor showing a document: the decorations set on it and the ranges it was asked to reveal. */
export class TextEditor {
  readonly decorations = new Map<unknown, { range: Range; renderOptions?: { after?: { contentText?: string } } }[]>();
  readonly revealed: Range[] = [];
  constructor(readonly document: TextDocument) {}
  setDecorations(type: unknown, list: readonly { range: Range; renderOptions?: { after?: { contentText?: string } } }[]): void {
    this.decorations.set(type, [...list]);
  }
  revealRange(range: Range): void {
    this.revealed.push(range);
  }
}

/** Fire these as the window would: editors shown or hidden, an editor scrolled. */
export const editorEvents = {
  visibleEditors: new EventEmitter<TextEditor[]>(),
  visibleRanges: new EventEmitter<{ textEditor: TextEditor; visibleRanges: Range[] }>(),
  tabs: new EventEmitter<{ closed: unknown[]; opened: unknown[]; changed: unknown[] }>(),
};

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
}

/** A webview panel: what the extension posted, and `send` to post to it as the page would. */
export class WebviewPanel {
  readonly posted: unknown[] = [];
  iconPath?: Uri;
  private readonly fromPage = new EventEmitter<unknown>();
  private readonly disposed = new EventEmitter<void>();
  readonly webview = {
    options: {} as unknown,
    html: '',
    cspSource: 'https://fake.vscode-cdn.net',
    asWebviewUri: (u: Uri) => u.with({ scheme: 'https', authority: 'fake.vscode-cdn.net' }),
    onDidReceiveMessage: this.fromPage.event,
    postMessage: async (m: unknown) => {
      this.posted.push(m);
      return true;
    },
  };
  readonly onDidDispose = this.disposed.event;
  constructor(
    readonly viewType: string,
    public title: string,
  ) {}
  send(m: unknown): void {
    this.fromPage.fire(m);
  }
  reveal(): void {}
  dispose(): void {
    this.disposed.fire();
  }
}

export const panels: WebviewPanel[] = [];

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

/** What the window was asked to show, in order: `info|warn|error <message>`. */
export const shown: string[] = [];

export interface QuickPickItem {
  label: string;
  description?: string;
  detail?: string;
  alwaysShow?: boolean;
}

interface InputBoxOptions {
  title?: string;
  prompt?: string;
  value?: string;
  validateInput?(value: string): string | undefined | null | Thenable<string | undefined | null>;
}

/**
 * How the test answers what the code asks, as the user would; unset = dismissed (Escape).
 * `message` gets the kind, text and the action buttons and returns the button clicked.
 */
export const answers: {
  pick?(items: readonly QuickPickItem[], opts: { title?: string; placeHolder?: string } | undefined): QuickPickItem | undefined;
  input?(opts: InputBoxOptions): string | undefined;
  message?(kind: string, message: string, actions: string[], options?: { modal?: boolean; detail?: string }): string | undefined;
} = {};

function show(kind: string) {
  return async (message: string, ...items: unknown[]): Promise<string | undefined> => {
    shown.push(`${kind} ${message}`);
    const options = items.find((i): i is { modal?: boolean; detail?: string } => typeof i === 'object' && i !== null && !('title' in i));
    return answers.message?.(kind, message, items.filter((i): i is string => typeof i === 'string'), options);
  };
}

/** Status bar messages, in order. */
export const statusMessages: string[] = [];
export enum InputBoxValidationSeverity {
  Info = 1,
  Warning = 2,
  Error = 3,
}

export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}

/** Terminals created, by name, with the options they were given. */
export const terminals: { name?: string; options: Record<string, unknown> }[] = [];

/** URLs handed to the external browser, in order. */
export const openedExternally: string[] = [];

export const env = {
  async asExternalUri(uri: Uri): Promise<Uri> {
    return uri;
  },
  async openExternal(uri: Uri): Promise<boolean> {
    openedExternally.push(uri.toString(true));
    return true;
  },
  clipboard: { writeText: async (_text: string): Promise<void> => undefined },
};

export const window = {
  createTerminal(options: { name?: string } & Record<string, unknown>) {
    terminals.push({ name: options.name, options });
    return { name: options.name, show: () => undefined, dispose: () => undefined };
  },
  visibleTextEditors: [] as TextEditor[],
  tabGroups: { all: [] as { tabs: { input: unknown }[] }[], onDidChangeTabs: editorEvents.tabs.event },
  onDidChangeVisibleTextEditors: editorEvents.visibleEditors.event,
  onDidChangeTextEditorVisibleRanges: editorEvents.visibleRanges.event,
  createTextEditorDecorationType(options: unknown) {
    return { options, dispose: () => undefined };
  },
  /** Shows `doc` in a new editor, made the only visible one (as a tab brought to the front). */
  async showTextDocument(doc: TextDocument): Promise<TextEditor> {
    const ed = new TextEditor(doc);
    window.visibleTextEditors = [ed];
    return ed;
  },
  setStatusBarMessage(text: string): Disposable {
    statusMessages.push(text);
    return new Disposable(() => undefined);
  },
  showInformationMessage: show('info'),
  showWarningMessage: show('warn'),
  showErrorMessage: show('error'),
  createWebviewPanel(viewType: string, title: string): WebviewPanel {
    const p = new WebviewPanel(viewType, title);
    panels.push(p);
    return p;
  },
  async showQuickPick<T extends QuickPickItem>(items: readonly T[] | Thenable<readonly T[]>, opts?: { title?: string; placeHolder?: string }): Promise<T | undefined> {
    return answers.pick?.(await items, opts) as T | undefined;
  },
  async showInputBox(opts: InputBoxOptions = {}): Promise<string | undefined> {
    const v = answers.input?.(opts);
    if (v !== undefined && (await opts.validateInput?.(v))) throw new Error(`the test typed ${JSON.stringify(v)}, which the input box refuses`);
    return v;
  },
  async withProgress<R>(_opts: unknown, task: (progress: { report(v: unknown): void }, token: { isCancellationRequested: boolean; onCancellationRequested: Event<void> }) => Thenable<R>): Promise<R> {
    return task({ report: () => undefined }, { isCancellationRequested: false, onCancellationRequested: new EventEmitter<void>().event });
  },
};

const registry = new Map<string, (...args: unknown[]) => unknown>();

export const commands = {
  registerCommand(id: string, fn: (...args: unknown[]) => unknown): Disposable {
    if (registry.has(id)) throw new Error(`command '${id}' already exists`);
    registry.set(id, fn);
    return new Disposable(() => registry.delete(id));
  },
  async executeCommand<T>(id: string, ...args: unknown[]): Promise<T> {
    const fn = registry.get(id);
    if (!fn) throw new Error(`command '${id}' not found`);
    return (await fn(...args)) as T;
  },
};

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

/** Settings the test set (full key → value); anything unset reads as package.json's default. */
export const settings = new Map<string, unknown>();
const defaults: Record<string, { default?: unknown }> = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } }
).contributes.configuration.properties;
const configEmitter = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();

export const workspace = {
  getConfiguration(section?: string) {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
      get<T>(key: string, dflt?: T): T | undefined {
        const k = full(key);
        return (settings.has(k) ? settings.get(k) : (defaults[k]?.default ?? dflt)) as T | undefined;
      },
      has: (key: string) => settings.has(full(key)) || full(key) in defaults,
      inspect<T>(key: string): { key: string; defaultValue?: T; globalValue?: T } {
        const k = full(key);
        return { key: k, defaultValue: defaults[k]?.default as T | undefined, globalValue: settings.get(k) as T | undefined };
      },
      async update(key: string, value: unknown): Promise<void> {
        setSetting(full(key), value);
      },
    };
  },
  onDidChangeConfiguration: configEmitter.event,
  textDocuments: [] as TextDocument[],
  /** The document of `uri`, one per URI, as VS Code keeps them (empty until the test fills it). */
  async openTextDocument(uri: Uri): Promise<TextDocument> {
    let doc = workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!doc) workspace.textDocuments.push((doc = new TextDocument(uri, '')));
    return doc;
  },
  onDidOpenTextDocument: documentEvents.open.event,
  onDidChangeTextDocument: documentEvents.change.event,
  onDidCloseTextDocument: documentEvents.close.event,
};

/** Changes a setting as the user would: listeners of onDidChangeConfiguration hear of it. */
export function setSetting(key: string, value: unknown): void {
  if (value === undefined) settings.delete(key);
  else settings.set(key, value);
  configEmitter.fire({ affectsConfiguration: (s) => key === s || key.startsWith(`${s}.`) });
}
