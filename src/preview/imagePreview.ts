/**
 * Custom editor for `hpc:` images: fit / 100 % / zoom and pan in the webview; pixel size, file
 * size and mtime; large images downscaled on the remote first, with "Load full resolution";
 * TIFF converted on the remote; SVG shown as an <img> from a blob URL, never as inline markup.
 */
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { CancelledError } from '../core/cancel';
import type { Disposable as CoreDisposable } from '../core/cancel';
import { loadImage, type LoadedImage } from '../core/preview/imageLoader';
import { basename, dirname, extOf } from '../core/preview/mime';
import { toErrorInfo, type ErrorInfo, type ImageMeta, type ImageShown, type ProgressInfo } from '../shared/protocol';
import { WebviewHost } from '../webviews/webviewHost';
import { ConnectionGate } from './connectionGate';
import { IMAGE_PREVIEW_VIEW_TYPE, locationOf, registerReadonlyPreview, throttle, type PreviewServices } from './services';

/** The read-only custom editor for remote images. */
export function registerImagePreviewProvider(services: PreviewServices): vscode.Disposable {
  return registerReadonlyPreview(IMAGE_PREVIEW_VIEW_TYPE, (uri, panel) => new ImagePreviewController(services, uri, panel));
}

class ImagePreviewController implements vscode.Disposable {
  private readonly host: WebviewHost<'imagePreview'>;
  private readonly remote: { host: string; path: string };
  private meta: ImageMeta | undefined;
  private shown: ImageShown | undefined;
  private error: ErrorInfo | undefined;
  private progress: ProgressInfo | undefined;
  private abort: AbortController | undefined;
  private pin: CoreDisposable | undefined;
  private watch: CoreDisposable | undefined;
  private readonly gate: ConnectionGate;
  private disposed = false;

  constructor(
    private readonly services: PreviewServices,
    uri: vscode.Uri,
    panel: vscode.WebviewPanel,
  ) {
    this.remote = locationOf(uri);
    this.host = new WebviewHost(panel.webview, {
      view: 'imagePreview',
      bundle: 'imagePreview',
      title: basename(this.remote.path),
      extensionUri: services.extensionUri,
      extraRoots: [services.cacheRoot],
      log: services.log,
      onReady: () => this.postState(),
      requests: {
        loadFullResolution: async () => {
          await this.load(true);
          return null;
        },
        reload: async () => {
          await this.load(false);
          return null;
        },
        connect: async () => {
          await this.gate.connect();
          return null;
        },
      },
      notifications: {
        decodeError: ({ message }) => services.log.warn(`[image] ${this.remote.path}: the webview could not decode it: ${message}`),
      },
    });
    this.gate = new ConnectionGate(services.deps, this.remote.host, {
      offline: (info) => this.host.post('offline', info),
      start: () => {
        this.load(false).catch(() => undefined); // shown in the webview
        void this.watchFile();
      },
    });
  }

  dispose(): void {
    this.disposed = true;
    this.abort?.abort();
    this.pin?.dispose();
    this.watch?.dispose();
    this.gate.dispose();
    this.host.dispose();
  }

  private postState(): void {
    if (this.meta) this.host.post('meta', this.meta);
    if (this.shown) this.host.post('image', this.shown);
    else if (this.error) this.host.post('error', this.error);
    else if (this.progress) this.host.post('progress', this.progress);
    else if (this.gate.offline) this.host.post('offline', this.gate.offline);
  }

  private setProgress(p: ProgressInfo): void {
    this.progress = p;
    this.host.post('progress', p);
  }

  private async watchFile(): Promise<void> {
    try {
      const ops = await this.services.ops(this.remote.host);
      if (this.disposed) return;
      const reload = throttle(1000, () => void this.load(false).catch(() => undefined));
      this.watch = ops.watch([dirname(this.remote.path)], (events) => {
        if (events.some((e) => e.path === this.remote.path && e.kind !== 'deleted')) reload();
      });
    } catch (err) {
      this.services.log.debug(`[image] no live reload for ${this.remote.path}: ${String(err)}`);
    }
  }

  private async load(full: boolean): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.error = undefined;
    const { host, path } = this.remote;
    try {
      this.setProgress({ label: 'Connecting' });
      const ops = await this.services.ops(host);
      const [st] = await ops.stat([path]);
      if (!st) throw new Error(`${path} does not exist`);
      if (abort.signal.aborted) throw new CancelledError();
      this.meta = { host, path, name: basename(path), ext: extOf(path), fileSize: st.size, mtimeMs: st.mtimeMs };
      this.host.post('meta', this.meta);
      const cache = await this.services.cache();
      const report = throttle(100, (loaded: number, total: number | undefined, label: string) =>
        this.setProgress({ loaded, ...(total ? { total, fraction: loaded / total } : {}), label }),
      );
      const img = await loadImage({ ops, cache, host, path, size: st.size, mtimeMs: st.mtimeMs, full, nice: this.services.niceLevel(), signal: abort.signal, onProgress: report });
      if (abort.signal.aborted) throw new CancelledError();
      this.pin?.dispose();
      this.pin = cache.pin(img.key);
      this.shown = await this.toShown(img);
      this.progress = { done: true };
      this.host.post('image', this.shown);
    } catch (err) {
      if (abort.signal.aborted || this.disposed) return;
      this.error = toErrorInfo(err);
      this.services.log.warn(`[image] ${host}:${path}: ${this.error.message}`);
      this.host.post('error', this.error);
      throw err;
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  private async toShown(img: LoadedImage): Promise<ImageShown> {
    // SVG goes over as bytes and is shown from a blob URL: an <img> never runs its scripts.
    const source: ImageShown['source'] =
      img.mime === 'image/svg+xml'
        ? { kind: 'bytes', data: new Uint8Array(await readFile(img.file)), mime: img.mime }
        : { kind: 'uri', uri: this.host.asUri(vscode.Uri.file(img.file)), mime: img.mime };
    return {
      source,
      downscaled: img.downscaled,
      ...(img.width !== undefined ? { width: img.width, height: img.height } : {}),
      ...(img.originalWidth !== undefined ? { originalWidth: img.originalWidth, originalHeight: img.originalHeight } : {}),
      ...(img.convertedFrom ? { convertedFrom: img.convertedFrom } : {}),
    };
  }
}
