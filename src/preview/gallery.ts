/**
 * Image gallery of a remote folder: a virtualised grid in a webview (only visible rows exist in
 * the DOM), thumbnails made on the remote and streamed in as batches land, visible ones first;
 * name filter and sort in the webview; live: images written into the folder appear.
 */
import * as vscode from 'vscode';
import type { Disposable as CoreDisposable } from '../core/cancel';
import type { RemoteOps } from '../core/remote/types';
import { isImagePath, basename } from '../core/preview/mime';
import { batchStatusMessage } from '../core/preview/heavyWork';
import { ThumbnailService, type ThumbOutcome } from '../core/preview/thumbnails';
import { hasString, hasStringArray, toErrorInfo, type GalleryEntry, type GalleryThumb } from '../shared/protocol';
import { WebviewHost, webviewRoots } from '../webviews/webviewHost';
import { ConnectionGate } from './connectionGate';
import { GALLERY_VIEW_TYPE, hpcUriOf, IMAGE_PREVIEW_VIEW_TYPE, throttle, type PreviewServices } from './services';

const PAGE = 2000;

export class GalleryPanel implements vscode.Disposable {
  private static readonly open = new Map<string, GalleryPanel>();

  /** Shows the gallery of host:folder, reusing an open one. */
  static show(services: PreviewServices, host: string, folder: string): GalleryPanel {
    const id = `${host}\0${folder}`;
    const existing = GalleryPanel.open.get(id);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(GALLERY_VIEW_TYPE, `Images: ${basename(folder) || folder}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true, // scroll position and loaded thumbnails survive tab switches
      localResourceRoots: webviewRoots(services.extensionUri, [services.cacheRoot]),
    });
    return GalleryPanel.adopt(services, host, folder, panel);
  }

  /**
   * Brings back a gallery VS Code kept across a reload: the webview saved which host and folder it
   * showed (nothing else is trusted from that state). A state without them closes the panel.
   */
  static revive(services: PreviewServices, panel: vscode.WebviewPanel, state: unknown): void {
    if (!hasString(state, 'host') || !hasString(state, 'folder') || GalleryPanel.open.has(`${state.host}\0${state.folder}`)) {
      panel.dispose();
      return;
    }
    GalleryPanel.adopt(services, state.host, state.folder, panel);
  }

  private static adopt(services: PreviewServices, host: string, folder: string, panel: vscode.WebviewPanel): GalleryPanel {
    const id = `${host}\0${folder}`;
    const g = new GalleryPanel(services, host, folder, panel);
    GalleryPanel.open.set(id, g);
    panel.onDidDispose(() => {
      GalleryPanel.open.delete(id);
      g.dispose();
    });
    return g;
  }

  static disposeAll(): void {
    for (const g of [...GalleryPanel.open.values()]) g.panel.dispose();
  }

  private readonly host: WebviewHost<'gallery'>;
  private readonly entries = new Map<string, GalleryEntry>();
  private complete = false;
  private thumbs: ThumbnailService | undefined;
  private readonly subscriptions: CoreDisposable[] = [];
  private listing: AbortController | undefined;
  private readonly gate: ConnectionGate;
  private disposed = false;

  private constructor(
    private readonly services: PreviewServices,
    private readonly remoteHost: string,
    private readonly folder: string,
    readonly panel: vscode.WebviewPanel,
  ) {
    this.host = new WebviewHost(panel.webview, {
      view: 'gallery',
      bundle: 'gallery',
      title: panel.title,
      extensionUri: services.extensionUri,
      extraRoots: [services.cacheRoot],
      log: services.log,
      onReady: () => this.postAll(),
      notifications: {
        want: (data) => {
          if (!hasStringArray(data, 'paths', 2000)) return;
          const targets = data.paths.map((p) => this.entries.get(p)).filter((e): e is GalleryEntry => !!e);
          this.service().then(
            (s) => s.want(targets.map((e) => ({ path: e.path, size: e.size, mtimeMs: e.mtimeMs }))),
            () => undefined, // shown by service()
          );
        },
        open: (data) => {
          if (!hasString(data, 'path') || !this.entries.has(data.path)) return;
          // As in VS Code's explorer: a click or Enter previews beside and the gallery keeps the
          // keyboard (arrows go on through the images); a double-click keeps the tab and moves there.
          const pin = (data as { pin?: unknown }).pin === true;
          void vscode.commands.executeCommand('vscode.openWith', hpcUriOf(this.remoteHost, data.path), IMAGE_PREVIEW_VIEW_TYPE, {
            preview: !pin,
            preserveFocus: !pin,
            viewColumn: vscode.ViewColumn.Beside,
          });
        },
      },
      requests: {
        refresh: async () => {
          await this.list();
          return null;
        },
        makeVideo: async (params) => {
          if (!hasStringArray(params, 'paths')) throw new Error('Bad request');
          const paths = params.paths.filter((p) => this.entries.has(p));
          const args = paths.length > 0 ? paths.map((p) => hpcUriOf(this.remoteHost, p)) : [hpcUriOf(this.remoteHost, this.folder)];
          await vscode.commands.executeCommand('remoteHpc.makeVideo', args[0], args);
          return null;
        },
        connect: async () => {
          await this.gate.connect();
          return null;
        },
      },
    });
    this.gate = new ConnectionGate(services.deps, remoteHost, {
      offline: (info) => this.host.post('offline', info),
      start: () => {
        void this.list();
        void this.watch();
      },
    });
  }

  dispose(): void {
    this.disposed = true;
    this.listing?.abort();
    this.thumbs?.dispose();
    for (const d of this.subscriptions.splice(0)) d.dispose();
    this.gate.dispose();
    this.host.dispose();
  }

  private postAll(): void {
    this.host.post('init', { host: this.remoteHost, folder: this.folder, thumbSize: this.services.thumbnailSize() });
    if (this.gate.offline) {
      this.host.post('offline', this.gate.offline);
      return;
    }
    if (this.work) this.host.post('work', { message: this.work });
    this.host.post('entries', { reset: true, upsert: [...this.entries.values()], removed: [], complete: this.complete });
    const known: GalleryThumb[] = [];
    for (const e of this.entries.values()) {
      const t = this.thumbs?.known(e.path);
      if (t) known.push(this.toThumb(t));
    }
    if (known.length) this.host.post('thumbs', { items: known });
  }

  private serviceP: Promise<ThumbnailService> | undefined;
  private work = '';
  private service(): Promise<ThumbnailService> {
    if (this.serviceP) return this.serviceP;
    const p = Promise.all([this.services.cache(), this.services.runner(this.remoteHost)]).then(([cache, runner]) => {
      const s = new ThumbnailService({
        host: this.remoteHost,
        getOps: () => this.services.ops(this.remoteHost),
        cache,
        size: this.services.thumbnailSize(),
        runner,
        // One batch job per batch of thumbnails: its state shows in the toolbar.
        onStatus: (st) => {
          const message = batchStatusMessage(st);
          this.work = message ? `Thumbnails: ${message.replace(/^Batch/, 'batch')}` : '';
          this.host.post('work', { message: this.work });
        },
        log: this.services.log,
      });
      this.thumbs = s;
      this.subscriptions.push(s.onResult((results) => this.host.post('thumbs', { items: results.map((r) => this.toThumb(r)) })));
      return s;
    });
    p.catch((err: unknown) => {
      // No cache, or the scheduler asked for does not answer: say so, and try again on the next wish.
      if (this.serviceP === p) this.serviceP = undefined;
      this.host.post('error', toErrorInfo(err));
    });
    this.serviceP = p;
    return p;
  }

  private toThumb(r: ThumbOutcome): GalleryThumb {
    return r.ok
      ? { path: r.path, uri: this.host.asUri(vscode.Uri.file(r.file)), width: r.width, height: r.height }
      : { path: r.path, error: r.error, ...(r.unsupported ? { unsupported: true } : {}) };
  }

  private async list(): Promise<void> {
    this.listing?.abort();
    const abort = new AbortController();
    this.listing = abort;
    try {
      const ops = await this.services.ops(this.remoteHost);
      this.host.post('progress', { label: 'Listing images' });
      const seen = new Set<string>();
      let first = true;
      for (let offset = 0; ; ) {
        const page = await ops.list(this.folder, { offset, limit: PAGE, hidden: false, sort: 'name' });
        if (abort.signal.aborted) return;
        offset += page.entries.length;
        const upsert: GalleryEntry[] = [];
        for (const e of page.entries) {
          const isFile = e.type === 'file' || (e.type === 'symlink' && e.targetType === 'file');
          if (!isFile || !isImagePath(e.name)) continue;
          const entry = { path: e.path, name: e.name, size: e.size, mtimeMs: e.mtimeMs };
          seen.add(e.path);
          this.updateEntry(entry);
          upsert.push(entry);
        }
        const done = page.entries.length === 0 || offset >= page.total;
        this.complete = done;
        this.host.post('entries', { reset: first, upsert, removed: [], complete: done });
        this.host.post('progress', done ? { done: true } : { label: `Listing images (${offset} of ${page.total})`, fraction: offset / page.total });
        first = false;
        if (done) break;
      }
      if (!first) {
        const removed = [...this.entries.keys()].filter((p) => !seen.has(p));
        for (const p of removed) this.entries.delete(p);
        if (removed.length) this.host.post('entries', { reset: false, upsert: [], removed, complete: true });
      }
    } catch (err) {
      if (abort.signal.aborted) return;
      this.host.post('error', toErrorInfo(err));
      this.services.log.warn(`[gallery] ${this.remoteHost}:${this.folder}: ${String(err)}`);
    }
  }

  private updateEntry(e: GalleryEntry): void {
    const old = this.entries.get(e.path);
    if (old && (old.size !== e.size || old.mtimeMs !== e.mtimeMs)) this.thumbs?.forget(e.path);
    this.entries.set(e.path, e);
  }

  /** New, changed and deleted images show up without a refresh. */
  private async watch(): Promise<void> {
    let ops: RemoteOps;
    try {
      ops = await this.services.ops(this.remoteHost);
    } catch {
      return;
    }
    if (this.disposed) return;
    const pending = new Set<string>();
    const flush = throttle(300, () => {
      const paths = [...pending];
      pending.clear();
      if (paths.length === 0) return;
      void ops.stat(paths).then(
        (stats) => {
          const upsert: GalleryEntry[] = [];
          const removed: string[] = [];
          paths.forEach((p, i) => {
            const st = stats[i];
            const isFile = st && (st.type === 'file' || (st.type === 'symlink' && st.targetType === 'file'));
            if (isFile && st) {
              const e = { path: p, name: basename(p), size: st.size, mtimeMs: st.mtimeMs };
              this.updateEntry(e);
              upsert.push(e);
            } else if (this.entries.delete(p)) {
              this.thumbs?.forget(p);
              removed.push(p);
            }
          });
          if (upsert.length || removed.length) this.host.post('entries', { reset: false, upsert, removed, complete: this.complete });
        },
        (err: unknown) => this.services.log.debug(`[gallery] stat after change failed: ${String(err)}`),
      );
    });
    try {
      const w = ops.watch([this.folder], (events) => {
        for (const ev of events) {
          const name = basename(ev.path);
          if (!isImagePath(name) || name.startsWith('.') || ev.path !== `${this.folder === '/' ? '' : this.folder}/${name}`) continue;
          pending.add(ev.path);
        }
        flush();
      });
      if (this.disposed) w.dispose();
      else this.subscriptions.push(w);
    } catch (err) {
      this.services.log.debug(`[gallery] no live updates for ${this.folder}: ${String(err)}`);
    }
  }
}
