/**
 * Custom editor for `hpc:` videos: fetched into the preview cache with progress (ranged reads,
 * several in flight), then played by <video controls> from a webview URI, which serves byte
 * ranges, so seeking works, in VS Code and in code-server alike.
 *
 * A video the player cannot play (a container no browser reads, like AVI, or a codec this one
 * lacks: the element's MEDIA_ERR_SRC_NOT_SUPPORTED) is offered "Convert to WebM on the cluster":
 * the remote ffmpeg (niced, or as a batch job when the host's heavy work is "batch") writes a WebM
 * beside the source, or into a private remote folder when the source's is not writable, with
 * progress and Cancel; the result then plays here.
 */
import * as vscode from 'vscode';
import { CancelledError, type Disposable as CoreDisposable } from '../core/cancel';
import { convertToWebm, webmNameBeside } from '../core/preview/convertVideo';
import { checkFitsCache, downloadToFile } from '../core/preview/download';
import { privateRemoteDir, remoteWorkParent } from '../core/preview/heavyWork';
import { basename, dirname, extOf, mimeOf } from '../core/preview/mime';
import type { RemoteOps } from '../core/remote/types';
import { toErrorInfo, type ErrorInfo, type ProgressInfo, type VideoConvertState, type VideoMeta } from '../shared/protocol';
import { WebviewHost } from '../webviews/webviewHost';
import { ConnectionGate } from './connectionGate';
import { locationOf, registerReadonlyPreview, throttle, VIDEO_PREVIEW_VIEW_TYPE, type PreviewServices } from './services';

/** The read-only custom editor for remote videos. */
export function registerVideoPreviewProvider(services: PreviewServices): vscode.Disposable {
  return registerReadonlyPreview(VIDEO_PREVIEW_VIEW_TYPE, (uri, panel) => new VideoPreviewController(services, uri, panel));
}

/**
 * QuickTime and MP4 share one container; Chromium plays .mov when it is served as video/mp4, and
 * Matroska (WebM's parent) as video/webm when its codecs are VP8/VP9/AV1.
 */
function cacheExt(ext: string): string {
  return ext === 'mov' || ext === 'm4v' ? 'mp4' : ext === 'ogv' ? 'ogg' : ext === 'mkv' ? 'webm' : ext || 'bin';
}

/** Containers no browser plays, whatever their codecs: conversion is offered before any download. */
const UNPLAYABLE_CONTAINERS = new Set(['avi', 'mpg', 'mpeg']);

class VideoPreviewController implements vscode.Disposable {
  private readonly host: WebviewHost<'video'>;
  private readonly remote: { host: string; path: string };
  private meta: VideoMeta | undefined;
  private source: { uri: string; mime: string } | undefined;
  private error: ErrorInfo | undefined;
  private progress: ProgressInfo | undefined;
  private convertState: VideoConvertState | undefined;
  private abort: AbortController | undefined;
  private converting: AbortController | undefined;
  private pin: CoreDisposable | undefined;
  private readonly gate: ConnectionGate;

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
        else if (this.convertState) this.host.post('convert', this.convertState);
        else if (this.error) this.host.post('error', this.error);
        else if (this.progress) this.host.post('progress', this.progress);
        else if (this.gate.offline) this.host.post('offline', this.gate.offline);
      },
      requests: {
        reload: async () => {
          await this.load();
          return null;
        },
        convert: async () => {
          await this.convert();
          return null;
        },
        connect: async () => {
          await this.gate.connect();
          return null;
        },
      },
      notifications: {
        playbackError: ({ message, code }) => services.log.warn(`[video] ${this.remote.path}: playback error ${code ?? ''} ${message}`),
        cancelConvert: () => this.converting?.abort(),
      },
    });
    this.gate = new ConnectionGate(services.deps, this.remote.host, {
      offline: (info) => this.host.post('offline', info),
      start: () => void this.load().catch(() => undefined), // shown in the webview
    });
  }

  dispose(): void {
    this.abort?.abort();
    this.converting?.abort(); // closing the tab stops the conversion (kills ffmpeg, cancels the job)
    this.pin?.dispose();
    this.gate.dispose();
    this.host.dispose();
  }

  private postConvert(state: VideoConvertState): void {
    this.convertState = state;
    this.host.post('convert', state);
  }

  private async load(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.error = undefined;
    this.source = undefined;
    this.convertState = undefined;
    const { host, path } = this.remote;
    try {
      this.progress = { label: 'Connecting' };
      this.host.post('progress', this.progress);
      const ops = await this.services.ops(host);
      const ext = extOf(path);
      if (UNPLAYABLE_CONTAINERS.has(ext)) {
        const [st] = await ops.stat([path]);
        if (!st) throw new Error(`${path} does not exist`);
        this.meta = { host, path, name: basename(path), fileSize: st.size, mtimeMs: st.mtimeMs, mime: mimeOf(ext) };
        this.host.post('meta', this.meta);
        this.progress = { done: true };
        this.host.post('progress', this.progress);
        this.postConvert({ phase: 'offer', message: `Browsers cannot play .${ext} videos.` });
        return;
      }
      await this.fetchAndPlay(ops, path, abort.signal);
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

  /** Fetches `path` (the opened video or its WebM copy) into the cache and plays it. */
  private async fetchAndPlay(ops: RemoteOps, path: string, signal: AbortSignal): Promise<void> {
    const { host } = this.remote;
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
    const file = await cache.produce(key, (tmp) => downloadToFile(ops, path, st.size, tmp, { signal, onProgress: report, parallel: 6 }));
    if (signal.aborted) throw new CancelledError();
    this.pin?.dispose();
    this.pin = cache.pin(key);
    this.progress = { done: true };
    this.source = { uri: this.host.asUri(vscode.Uri.file(file)), mime };
    this.host.post('source', this.source);
  }

  /**
   * Where the WebM goes: `<name>.webm` beside the source (asking when it exists: overwrite, keep
   * both, or play the one there), or a private folder under ~/.cache/remote-hpc when the source's
   * folder is not writable (removed once the WebM is in the local cache). Undefined: the user
   * chose not to convert.
   */
  private async target(ops: RemoteOps): Promise<{ output: string; overwrite: boolean; temp?: string; existing?: true } | undefined> {
    const { path } = this.remote;
    const writable = (await ops.run(['test', '-w', dirname(path)], { timeoutMs: 20_000 })).code === 0;
    if (!writable) {
      const temp = await privateRemoteDir(ops, await remoteWorkParent(ops), 'convert-');
      return { output: `${temp}/${basename(await webmNameBeside(path, async () => false, false))}`, overwrite: false, temp };
    }
    const first = await webmNameBeside(path, async () => false, false);
    const [there] = await ops.stat([first]);
    if (!there) return { output: first, overwrite: false };
    const answer = await vscode.window.showWarningMessage(
      `${basename(first)} already exists beside ${basename(path)}.`,
      { modal: true, detail: 'Replace it with a new conversion, keep both (the new one gets a numbered name), or play the one that is there?' },
      'Overwrite',
      'Keep Both',
      'Play Existing',
    );
    if (answer === 'Overwrite') return { output: first, overwrite: true };
    if (answer === 'Play Existing') return { output: first, overwrite: false, existing: true };
    if (answer === 'Keep Both') return { output: await webmNameBeside(path, async (p) => (await ops.stat([p]))[0] !== null, true), overwrite: false };
    return undefined;
  }

  private async convert(): Promise<void> {
    if (this.converting) return;
    const abort = new AbortController();
    this.converting = abort;
    const { host, path } = this.remote;
    let temp: string | undefined;
    let ops: RemoteOps | undefined;
    try {
      ops = await this.services.ops(host);
      const target = await this.target(ops);
      if (!target) return this.postConvert({ phase: 'offer', message: this.convertState?.message ?? 'Not converted.' });
      temp = target.temp;
      if (!target.existing) {
        const runner = await this.services.runner(host);
        this.postConvert({ phase: 'running', message: runner.where === 'batch' ? 'Submitting a batch job' : 'Converting on the cluster', fraction: 0 });
        await convertToWebm({
          ops,
          runner,
          source: path,
          output: target.output,
          overwrite: target.overwrite,
          signal: abort.signal,
          log: this.services.log,
          // ffmpeg writes -progress about twice a second: few enough to pass on as they come.
          onProgress: (p) => this.postConvert({ phase: 'running', message: p.message, ...(p.fraction !== undefined ? { fraction: p.fraction } : {}) }),
        });
      }
      if (abort.signal.aborted) throw new CancelledError();
      this.convertState = undefined;
      await this.fetchAndPlay(ops, target.output, abort.signal);
      this.services.log.info(`[video] ${host}:${path} plays as ${target.output}`);
    } catch (err) {
      const info = toErrorInfo(err);
      if (!info.cancelled) this.services.log.warn(`[video] converting ${host}:${path}: ${info.message}`);
      this.postConvert(info.cancelled ? { phase: 'offer', message: 'Conversion cancelled.' } : { phase: 'failed', message: `Conversion failed: ${info.message}` });
    } finally {
      if (this.converting === abort) this.converting = undefined;
      if (temp && ops) await ops.remove(temp, { recursive: true }).catch((e: unknown) => this.services.log.warn(`[video] could not remove ${temp}: ${String(e)}`));
    }
  }
}
