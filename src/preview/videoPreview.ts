/**
 * Custom editor for `hpc:` videos: fetched into the preview cache with progress (ranged reads,
 * several in flight), then played by <video controls> from a webview URI, which serves byte
 * ranges, so seeking works, in VS Code and in code-server alike.
 */
import * as vscode from 'vscode';
import { CancelledError, type Disposable as CoreDisposable } from '../core/cancel';
import { checkFitsCache, downloadToFile } from '../core/preview/download';
import { basename, extOf, mimeOf } from '../core/preview/mime';
import { toErrorInfo, type ErrorInfo, type ProgressInfo, type VideoMeta } from '../shared/protocol';
import { WebviewHost } from '../webviews/webviewHost';
import { locationOf, registerReadonlyPreview, throttle, VIDEO_PREVIEW_VIEW_TYPE, type PreviewServices } from './services';

/** The read-only custom editor for remote videos. */
export function registerVideoPreviewProvider(services: PreviewServices): vscode.Disposable {
  return registerReadonlyPreview(VIDEO_PREVIEW_VIEW_TYPE, (uri, panel) => new VideoPreviewController(services, uri, panel));
}

/** QuickTime and MP4 share one container; Chromium plays .mov when it is served as video/mp4. */
function cacheExt(ext: string): string {
  return ext === 'mov' || ext === 'm4v' ? 'mp4' : ext === 'ogv' ? 'ogg' : ext || 'bin';
}

class VideoPreviewController implements vscode.Disposable {
  private readonly host: WebviewHost<'video'>;
  private readonly remote: { host: string; path: string };
  private meta: VideoMeta | undefined;
  private source: { uri: string; mime: string } | undefined;
  private error: ErrorInfo | undefined;
  private progress: ProgressInfo | undefined;
  private abort: AbortController | undefined;
  private pin: CoreDisposable | undefined;

  constructor(
    private readonly services: PreviewServices,
    uri: vscode.Uri,
    panel: vscode.WebviewPanel,
  ) {
    this.remote = locationOf(uri);
    this.host = new WebviewHost(panel.webview, {
      view: 'video',
      bundle: 'videoPreview',
      title: basename(this.remote.path),
      extensionUri: services.extensionUri,
      extraRoots: [services.cacheRoot],
      log: services.log,
      onReady: () => {
        if (this.meta) this.host.post('meta', this.meta);
        if (this.source) this.host.post('source', this.source);
        else if (this.error) this.host.post('error', this.error);
        else if (this.progress) this.host.post('progress', this.progress);
      },
      requests: {
        reload: async () => {
          await this.load();
          return null;
        },
      },
      notifications: {
        playbackError: ({ message, code }) => services.log.warn(`[video] ${this.remote.path}: playback error ${code ?? ''} ${message}`),
      },
    });
    this.load().catch(() => undefined); // shown in the webview
  }

  dispose(): void {
    this.abort?.abort();
    this.pin?.dispose();
    this.host.dispose();
  }

  private async load(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.error = undefined;
    this.source = undefined;
    const { host, path } = this.remote;
    try {
      this.progress = { label: 'Connecting' };
      this.host.post('progress', this.progress);
      const ops = await this.services.ops(host);
      const [st] = await ops.stat([path]);
      if (!st) throw new Error(`${path} does not exist`);
      const ext = extOf(path);
      const mime = mimeOf(cacheExt(ext));
      this.meta = { host, path, name: basename(path), fileSize: st.size, mtimeMs: st.mtimeMs, mime };
      this.host.post('meta', this.meta);
      const cache = await this.services.cache();
      checkFitsCache(path, st.size, cache.limit);
      const key = { host, path, size: st.size, mtimeMs: st.mtimeMs, variant: 'full', ext: cacheExt(ext) };
      const report = throttle(100, (loaded: number, total: number) => {
        this.progress = { loaded, total, fraction: total ? loaded / total : 1, label: 'Downloading' };
        this.host.post('progress', this.progress);
      });
      const file = await cache.produce(key, (tmp) => downloadToFile(ops, path, st.size, tmp, { signal: abort.signal, onProgress: report, parallel: 6 }));
      if (abort.signal.aborted) throw new CancelledError();
      this.pin?.dispose();
      this.pin = cache.pin(key);
      this.progress = { done: true };
      this.source = { uri: this.host.asUri(vscode.Uri.file(file)), mime };
      this.host.post('source', this.source);
    } catch (err) {
      if (abort.signal.aborted) return;
      this.error = toErrorInfo(err);
      this.services.log.warn(`[video] ${host}:${path}: ${this.error.message}`);
      this.host.post('error', this.error);
      throw err;
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }
}
