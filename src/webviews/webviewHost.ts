/**
 * The extension-host end of src/shared/protocol.ts for one webview: strict CSP HTML, narrow
 * localResourceRoots, a `ready` handshake before anything is posted, typed events out, typed
 * notifications and requests in, replies matched by id, and every listener owned.
 */
import * as vscode from 'vscode';
import {
  isWebviewToHost,
  toErrorInfo,
  type EventData,
  type EventName,
  type NotificationData,
  type NotificationName,
  type RequestName,
  type RequestParams,
  type RequestResult,
  type ViewKind,
  type WebviewToHost,
} from '../shared/protocol';
import type { Logger } from '../core/log';
import { makeNonce, webviewHtml } from './html';

type RequestHandlers<V extends ViewKind> = {
  [M in RequestName<V>]: (params: RequestParams<V, M>) => Promise<RequestResult<V, M>>;
};

type NotificationHandlers<V extends ViewKind> = {
  [N in NotificationName<V>]?: (data: NotificationData<V, N>) => void;
};

export interface WebviewHostOptions<V extends ViewKind> {
  view: V;
  /** The bundle name: dist/webview/<bundle>.js (+ .css when it exists). */
  bundle: string;
  title: string;
  extensionUri: vscode.Uri;
  /** Local folders the page may load from besides the extension's own (e.g. the preview cache). */
  extraRoots?: vscode.Uri[];
  log: Logger;
  requests: RequestHandlers<V>;
  notifications?: NotificationHandlers<V>;
  /** Called on every `ready`: post the whole state (a hidden webview may have been reloaded). */
  onReady(): void;
}

/** Folders the extension's webviews may load from. */
export function webviewRoots(extensionUri: vscode.Uri, extra: vscode.Uri[] = []): vscode.Uri[] {
  return [
    vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
    vscode.Uri.joinPath(extensionUri, 'media'),
    vscode.Uri.joinPath(extensionUri, 'dist', 'codicons'),
    ...extra,
  ];
}

export class WebviewHost<V extends ViewKind> implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  private queue: unknown[] = [];

  constructor(
    readonly webview: vscode.Webview,
    private readonly opts: WebviewHostOptions<V>,
  ) {
    webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewRoots(opts.extensionUri, opts.extraRoots) };
    this.disposables.push(webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    webview.html = this.html();
  }

  /** Posts an event now, or when the webview says it is ready. */
  post<E extends EventName<V>>(event: E, data: EventData<V, E>): void {
    this.postRaw({ kind: 'event', event, data });
  }

  /** A webview URI for a local file under one of the roots. */
  asUri(file: vscode.Uri): string {
    return this.webview.asWebviewUri(file).toString();
  }

  get isReady(): boolean {
    return this.ready;
  }

  dispose(): void {
    this.disposed = true;
    this.queue = [];
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private postRaw(msg: unknown): void {
    if (this.disposed) return;
    if (!this.ready) {
      this.queue.push(msg);
      return;
    }
    this.webview.postMessage(msg).then(
      (delivered) => delivered || this.opts.log.debug(`[webview:${this.opts.view}] message not delivered (hidden?)`),
      (err: unknown) => this.opts.log.debug(`[webview:${this.opts.view}] post failed: ${String(err)}`),
    );
  }

  private receive(msg: unknown): void {
    if (!isWebviewToHost(this.opts.view, msg)) {
      this.opts.log.warn(`[webview:${this.opts.view}] dropped a message outside the protocol`);
      return;
    }
    this.handle(msg);
  }

  private handle(msg: WebviewToHost<V>): void {
    switch (msg.kind) {
      case 'ready': {
        // Queued events first, then the full state, which supersedes them.
        this.ready = true;
        for (const m of this.queue.splice(0)) this.postRaw(m);
        try {
          this.opts.onReady();
        } catch (err) {
          this.opts.log.error(err instanceof Error ? err : String(err));
        }
        return;
      }
      case 'notify': {
        const h = this.opts.notifications?.[msg.name] as ((d: unknown) => void) | undefined;
        try {
          h?.(msg.data);
        } catch (err) {
          this.opts.log.error(err instanceof Error ? err : String(err));
        }
        return;
      }
      case 'request': {
        const handler = this.opts.requests[msg.method] as (p: unknown) => Promise<unknown>;
        const id = msg.id;
        void Promise.resolve()
          .then(() => handler(msg.params))
          .then(
            (result) => this.postRaw({ kind: 'reply', id, ok: true, result: result ?? null }),
            (err: unknown) => {
              const info = toErrorInfo(err);
              if (!info.cancelled) this.opts.log.warn(`[webview:${this.opts.view}] ${msg.method} failed: ${info.message}`);
              this.postRaw({ kind: 'reply', id, ok: false, error: info });
            },
          );
        return;
      }
    }
  }

  private html(): string {
    const dist = vscode.Uri.joinPath(this.opts.extensionUri, 'dist', 'webview');
    const nonce = makeNonce();
    return webviewHtml({
      cspSource: this.webview.cspSource,
      nonce,
      title: this.opts.title,
      view: this.opts.view,
      scriptUri: this.asUri(vscode.Uri.joinPath(dist, `${this.opts.bundle}.js`)),
      styleUris: [this.asUri(vscode.Uri.joinPath(dist, `${this.opts.bundle}.css`))],
      codiconsUri: this.asUri(vscode.Uri.joinPath(this.opts.extensionUri, 'dist', 'codicons', 'codicon.css')),
    });
  }
}
