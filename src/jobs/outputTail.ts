/**
 * "Tail Output": a job's stdout (or stderr) in a read-only tab that grows live. The bytes come
 * from RemoteOps.follow through tailJobOutput (only appended bytes travel; a file that does not
 * exist yet is waited for; truncation restarts the text), and following stops by itself once
 * the job has ended and the last bytes arrived — said after the last line (a decoration, not part
 * of the text) and in the status bar. Closing the tab stops it too. A tab that was following
 * the end follows it again when the user comes back to it.
 */
import * as vscode from 'vscode';
import { StringDecoder } from 'node:string_decoder';
import { posix } from 'node:path';
import type { Disposable } from '../core/cancel';
import type { Logger } from '../core/log';
import type { RemoteOpsProvider } from '../core/remote/types';
import { tailJobOutput, type TailEndReason } from '../core/scheduler/tail';
import type { Job } from '../core/scheduler/types';

export const OUTPUT_SCHEME = 'remote-hpc-output';

/** Text kept per tab; older output is dropped (the file itself is untouched). */
const MAX_CHARS = 4_000_000;
/** A bigger existing job output is shown from this many bytes before its end. */
const INITIAL_BYTES = 2 * 1024 * 1024;
/** Any file opened at its end from the explorer ("Open Last 10 MB", "Follow"). */
const FILE_END_BYTES = 10 * 1024 * 1024;
const FLUSH_MS = 200;
/**
 * While the bytes there were at the start are still coming (up to 10 MB): every change makes VS
 * Code fetch the whole text again and diff it against the tab's in its editor worker, one diff
 * after another. At 200 ms a 10 MB read over a loaded link queued a minute of them, and the tab
 * showed a stale part of the file meanwhile. So: this often, and at once when caught up.
 */
const CATCH_UP_FLUSH_MS = 2000;

/** `remote-hpc-output://<host>/<path>?job=<id>` (or `?file=end|follow`): the tab reads the file's name. */
function outputUri(host: string, path: string, query: string): vscode.Uri {
  return vscode.Uri.from({ scheme: OUTPUT_SCHEME, authority: host, path, query });
}

/** What a tab shows: a job's output (until the job ended), or any file's end, once or followed. */
type TailKind = { job: string } | { file: 'end' | 'follow' };

type Status = 'starting' | 'following' | 'ended' | 'stopped' | 'failed';

interface Tail {
  uri: vscode.Uri;
  host: string;
  path: string;
  kind: TailKind;
  /** Text kept for this tab; older text is dropped. */
  maxChars: number;
  text: string;
  decoder: StringDecoder;
  bytes: number;
  skipped: number;
  /** The bytes from the start offset to the file's size when the tail started; shown at once when all read. */
  catchUp: number;
  caughtUp: boolean;
  status: Status;
  /** A tab has shown it (until then a tab closing elsewhere must not stop it). */
  shown: boolean;
  errors?: number;
  error?: string;
  finalState?: string;
  tail?: Disposable;
  finished?: { dispose(): void };
  flushTimer?: NodeJS.Timeout;
  /** Changes made to what the tab shows, and how many of them its text had when last fetched. */
  version: number;
  fetched?: number;
}

export interface TailDeps {
  remote: RemoteOpsProvider;
  log: Logger;
  /**
   * Settles when the job is known to have ended. While this waits the job is watched (polled as
   * if the Jobs view were visible), so the tail ends promptly; `dispose()` stops that.
   */
  whenFinished(host: string, id: string): { promise: Promise<Job>; dispose(): void };
}

export class OutputTails implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly tails = new Map<string, Tail>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[] = [];
  /** Per output document: was its last line in view before the latest change (then it follows the end)? */
  private readonly atEnd = new Map<string, boolean>();
  /** When a tab was last brought back: its restored scroll position is not the user scrolling away. */
  private readonly shownAt = new Map<string, number>();
  /** "Job N ended. Not following any more." after the last line of an ended tail. */
  private readonly endNote = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('descriptionForeground'), fontStyle: 'italic', margin: '0 0 0 2em' },
  });

  constructor(private readonly deps: TailDeps) {
    // Tabs, not documents, tell when to stop: setTextDocumentLanguage closes and reopens the
    // document, and a closed tab's document lingers for minutes.
    this.subs.push(
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        if (e.closed.length) this.stopUnshown();
      }),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
        const key = e.textEditor.document.uri.toString();
        if (e.textEditor.document.uri.scheme !== OUTPUT_SCHEME || Date.now() - (this.shownAt.get(key) ?? 0) < RESTORE_MS) return;
        const last = e.visibleRanges[e.visibleRanges.length - 1];
        this.atEnd.set(key, !last || last.end.line >= e.textEditor.document.lineCount - 2);
      }),
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const ed of editors) {
          if (ed.document.uri.scheme !== OUTPUT_SCHEME) continue;
          const key = ed.document.uri.toString();
          this.decorate(ed);
          if (this.atEnd.get(key) === false) continue;
          this.shownAt.set(key, Date.now());
          revealEnd(ed);
        }
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== OUTPUT_SCHEME) return;
        for (const ed of vscode.window.visibleTextEditors) {
          if (ed.document !== e.document) continue;
          this.decorate(ed);
          if (this.atEnd.get(e.document.uri.toString()) !== false) revealEnd(ed);
        }
      }),
      this.endNote,
    );
  }

  /** Opens (or focuses) the live tab of `path`, the output of job `jobId` on `host`. */
  /** `endedState`: the job is known to have ended already (the file is read to its end, then following stops). */
  async open(host: string, jobId: string, path: string, opts: vscode.TextDocumentShowOptions = {}, endedState?: string): Promise<void> {
    await this.show(host, path, { job: jobId }, opts, endedState);
  }

  /**
   * Any remote file from its last 10 MB, without a size question: read to its current end
   * (`end`), or followed as it grows until the tab closes (`follow`).
   */
  async openFile(host: string, path: string, mode: 'end' | 'follow'): Promise<void> {
    await this.show(host, path, { file: mode }, {}, mode === 'end' ? '' : undefined);
  }

  private async show(host: string, path: string, kind: TailKind, opts: vscode.TextDocumentShowOptions, endedState: string | undefined): Promise<void> {
    const uri = outputUri(host, path, 'job' in kind ? `job=${encodeURIComponent(kind.job)}` : `file=${kind.file}`);
    const key = uri.toString();
    const existing = this.tails.get(key);
    if (!existing || existing.status === 'stopped' || existing.status === 'failed' || ('file' in kind && kind.file === 'end')) {
      if (existing) this.stop(key, true);
      const maxChars = 'file' in kind ? Math.max(MAX_CHARS, Math.ceil(FILE_END_BYTES * 1.2)) : MAX_CHARS;
      const t: Tail = { uri, host, path, kind, maxChars, text: '', decoder: new StringDecoder('utf8'), bytes: 0, skipped: 0, catchUp: 0, caughtUp: true, status: 'starting', shown: false, version: 0 };
      this.tails.set(key, t);
      void this.start(t, endedState);
    }
    let doc = await vscode.workspace.openTextDocument(uri);
    // The built-in "log" language colours levels, dates and paths.
    if (doc.languageId === 'plaintext') doc = await vscode.languages.setTextDocumentLanguage(doc, 'log').then((d) => d, () => doc);
    const editor = await vscode.window.showTextDocument(doc, { preview: false, ...opts });
    const t = this.tails.get(key);
    if (t) t.shown = true;
    // A change signalled while VS Code was still opening the document (after it fetched the text)
    // finds no document and is dropped: a followed file that does not grow would show
    // "Opening…" for good. The document exists now: have it fetch again.
    if (t && t.fetched !== t.version) this.changed(t, true);
    this.atEnd.set(key, true);
    this.decorate(editor);
    revealEnd(editor);
  }

  /** The end note after the last line while the tail has ended; nothing otherwise. */
  private decorate(editor: vscode.TextEditor): void {
    const t = this.tails.get(editor.document.uri.toString());
    const note = t ? this.endText(t) : undefined;
    if (!note) return editor.setDecorations(this.endNote, []);
    const line = Math.max(0, editor.document.lineCount - 1);
    const at = new vscode.Position(line, editor.document.lineAt(line).text.length);
    editor.setDecorations(this.endNote, [{ range: new vscode.Range(at, at), renderOptions: { after: { contentText: note } } }]);
  }

  private endText(t: Tail): string | undefined {
    if (t.status !== 'ended') return undefined;
    if ('file' in t.kind) return `End of ${posix.basename(t.path)} as of ${new Date().toLocaleTimeString()}. Not following: use Follow to keep reading.`;
    return `Job ${t.kind.job} ended${t.finalState ? ` (${t.finalState})` : ''}${t.bytes === 0 ? `: no output in ${t.path}` : ''}. Not following any more.`;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const t = this.tails.get(uri.toString());
    if (!t) return `[Remote HPC] Not following ${uri.path} any more: run "Tail Output" again.\n`;
    t.fetched = t.version;
    const head = t.skipped ? `[Remote HPC] … ${formatBytes(t.skipped)} earlier output not shown …\n` : '';
    return head + t.text + this.footer(t);
  }

  dispose(): void {
    for (const key of [...this.tails.keys()]) this.stop(key, true);
    for (const d of this.subs.splice(0)) d.dispose();
    this.emitter.dispose();
  }

  // --- internals -------------------------------------------------------------------------

  private footer(t: Tail): string {
    const sep = t.text === '' || t.text.endsWith('\n') ? '' : '\n';
    switch (t.status) {
      case 'starting':
        return t.bytes === 0 ? `[Remote HPC] Opening ${t.path} …\n` : '';
      case 'following':
        return t.bytes === 0 ? `[Remote HPC] Waiting for output in ${t.path}${'job' in t.kind ? ` (job ${t.kind.job})` : ''} …\n` : '';
      case 'ended':
        return ''; // said by the end note, outside the text
      case 'failed':
        return `${sep}[Remote HPC] Cannot follow ${t.path}: ${t.error ?? 'unknown error'}\n`;
      case 'stopped':
        return '';
    }
  }

  private async start(t: Tail, endedState: string | undefined): Promise<void> {
    const key = t.uri.toString();
    try {
      const ops = await this.deps.remote.ops(t.host);
      if (this.tails.get(key) !== t) return;
      const [st] = await ops.stat([t.path]).catch(() => [null]);
      if (st?.type === 'directory') throw new Error(`${t.path} is a folder`);
      const initial = 'file' in t.kind ? FILE_END_BYTES : INITIAL_BYTES;
      const offset = st && st.size > initial ? st.size - initial : 0;
      if (this.tails.get(key) !== t) return;
      t.skipped = offset;
      t.bytes = 0;
      t.catchUp = st ? st.size - offset : 0;
      t.caughtUp = t.catchUp <= 0;
      let ended: Promise<void>;
      if (endedState !== undefined) {
        t.finalState = endedState;
        ended = Promise.resolve();
      } else if ('file' in t.kind) {
        ended = new Promise<void>(() => undefined); // followed until the tab closes
      } else {
        const finished = this.deps.whenFinished(t.host, t.kind.job);
        t.finished = finished;
        ended = finished.promise.then((job) => {
          t.finalState = job.rawState || job.state;
        });
      }
      t.status = 'following';
      this.changed(t, true);
      t.tail = tailJobOutput(ops, t.path, {
        offset,
        jobEnded: ended,
        onData: (chunk) => {
          t.bytes += chunk.length;
          if (t.bytes === chunk.length && offset > 0) {
            // Started inside the file: from the next line, not from the middle of one.
            const nl = chunk.indexOf(0x0a);
            if (nl >= 0 && nl < chunk.length - 1) {
              t.skipped += nl + 1;
              chunk = chunk.subarray(nl + 1);
            }
          }
          this.append(t, t.decoder.write(chunk));
          if (!t.caughtUp && t.bytes >= t.catchUp) {
            t.caughtUp = true;
            this.changed(t, true);
          }
        },
        onTruncate: () => {
          t.caughtUp = true;
          t.text = '';
          t.skipped = 0;
          t.decoder = new StringDecoder('utf8');
          this.append(t, '[Remote HPC] The file was truncated or replaced: showing it from the start.\n');
        },
        onError: (err) => {
          // Logged once, then quietly (a follow may report the same problem on every read).
          t.errors = (t.errors ?? 0) + 1;
          if (t.errors === 1) this.deps.log.warn(`[jobs] tail ${t.host}:${t.path}: ${err.message}`);
          else this.deps.log.debug(`[jobs] tail ${t.host}:${t.path} (${t.errors}): ${err.message}`);
        },
        onEnd: (reason: TailEndReason) => {
          t.finished?.dispose();
          if (reason === 'job-ended') {
            this.append(t, t.decoder.end());
            t.status = 'ended';
            this.changed(t, true);
            vscode.window.setStatusBarMessage(`$(pass) ${this.endText(t) ?? ''}`, 15_000);
          }
        },
      });
    } catch (e) {
      if (this.tails.get(key) !== t) return;
      t.status = 'failed';
      t.error = e instanceof Error ? e.message : String(e);
      this.deps.log.warn(`[jobs] tail ${t.host}:${t.path} failed: ${t.error}`);
      this.changed(t, true);
    }
  }

  private append(t: Tail, s: string): void {
    if (!s) return;
    t.text += s;
    if (t.text.length > t.maxChars) {
      const cut = t.text.indexOf('\n', t.text.length - Math.floor(t.maxChars / 2));
      const from = cut < 0 ? t.text.length - Math.floor(t.maxChars / 2) : cut + 1;
      t.skipped += Buffer.byteLength(t.text.slice(0, from), 'utf8');
      t.text = t.text.slice(from);
    }
    this.changed(t, false);
  }

  private changed(t: Tail, now: boolean): void {
    t.version++;
    if (now) {
      if (t.flushTimer) clearTimeout(t.flushTimer);
      t.flushTimer = undefined;
      this.emitter.fire(t.uri);
      for (const ed of vscode.window.visibleTextEditors) if (ed.document.uri.toString() === t.uri.toString()) this.decorate(ed);
      return;
    }
    t.flushTimer ??= setTimeout(
      () => {
        t.flushTimer = undefined;
        if (this.tails.get(t.uri.toString()) === t) this.emitter.fire(t.uri);
      },
      t.caughtUp ? FLUSH_MS : CATCH_UP_FLUSH_MS,
    );
  }

  private stop(key: string, forget: boolean): void {
    const t = this.tails.get(key);
    if (!t) return;
    t.tail?.dispose();
    t.finished?.dispose();
    if (t.flushTimer) clearTimeout(t.flushTimer);
    t.flushTimer = undefined;
    if (t.status === 'following' || t.status === 'starting') t.status = 'stopped';
    if (!forget) return;
    this.tails.delete(key);
    this.atEnd.delete(key);
    this.shownAt.delete(key);
  }

  /** Stops tails no tab shows any more. */
  private stopUnshown(): void {
    const shown = new Set<string>();
    for (const g of vscode.window.tabGroups.all) {
      for (const tab of g.tabs) {
        const input = tab.input;
        if (input instanceof vscode.TabInputText && input.uri.scheme === OUTPUT_SCHEME) shown.add(input.uri.toString());
      }
    }
    for (const [key, t] of [...this.tails]) if (t.shown && !shown.has(key)) this.stop(key, true);
  }
}

/** How long after a tab comes back its scroll events are VS Code restoring the old position. */
const RESTORE_MS = 1000;

function revealEnd(editor: vscode.TextEditor): void {
  const end = new vscode.Position(Math.max(0, editor.document.lineCount - 1), 0);
  editor.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.Default);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

