/**
 * What every preview adapter shares: the host's RemoteOps, the preview cache (opened once,
 * lazily, size from the settings), the log and the extension's location.
 */
import * as vscode from 'vscode';
import { numberSetting, onDidChangeSettings, setting } from '../config/settings';
import type { HostSchedulers } from '../core/jobs/schedulers';
import { hostDefaults } from '../config/clusterDefaults';
import type { Logger } from '../core/log';
import { chooseRunner, heavyWorkFor, type HeavyRunner } from '../core/preview/heavyWork';
import { resolveLocations } from '../core/remote/commandTarget';
import type { RemoteOps } from '../core/remote/types';
import type { HostStatus } from '../core/ssh/pool';
import { PreviewCache } from '../core/preview/cache';

export interface PreviewDeps {
  getOps(host: string): Promise<RemoteOps>;
  /** The hosts' schedulers, for preview work run as batch jobs. */
  schedulers: Pick<HostSchedulers, 'scheduler' | 'user'>;
  /** The host's connection state and its changes: a restored preview waits for a connection rather than opening one. */
  hostStatus(host: string): HostStatus;
  onHostStatus(listener: (host: string, status: HostStatus) => void): vscode.Disposable;
  log: Logger;
  /** Local folder for the preview cache (e.g. context.globalStorageUri/previews). */
  cacheDir: string;
}

export const IMAGE_PREVIEW_VIEW_TYPE = 'remoteHpc.imagePreview';
export const VIDEO_PREVIEW_VIEW_TYPE = 'remoteHpc.videoPreview';
export const GALLERY_VIEW_TYPE = 'remoteHpc.gallery';
const HPC_SCHEME = 'hpc';

export class PreviewServices implements vscode.Disposable {
  private cachePromise: Promise<PreviewCache> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Hosts already told that they have no scheduler (once a session). */
  private readonly fallbackNoticed = new Set<string>();

  constructor(
    readonly extensionUri: vscode.Uri,
    readonly deps: PreviewDeps,
  ) {
    this.disposables.push(
      onDidChangeSettings(['preview.cacheSizeMB'], () => {
        if (this.cachePromise) void this.cachePromise.then((c) => c.setLimit(cacheLimit()));
      }),
    );
  }

  get log(): Logger {
    return this.deps.log;
  }

  get cacheRoot(): vscode.Uri {
    return vscode.Uri.file(this.deps.cacheDir);
  }

  ops(host: string): Promise<RemoteOps> {
    return this.deps.getOps(host);
  }

  cache(): Promise<PreviewCache> {
    this.cachePromise ??= PreviewCache.open(this.deps.cacheDir, { maxBytes: cacheLimit(), log: this.deps.log }).catch((err: unknown) => {
      this.cachePromise = undefined;
      throw err;
    });
    return this.cachePromise;
  }

  thumbnailSize(): number {
    return Math.round(numberSetting('preview.thumbnailSize', 64, 1024));
  }

  /** Niceness of the remote work previews start (thumbnails, conversions, Make Video). */
  niceLevel(): number {
    return Math.round(numberSetting('preview.niceLevel', 0, 19));
  }

  /**
   * Where the host's heavy preview work runs (`remoteHpc.preview.heavyWork`; partition and
   * account default to its job defaults, local or the cluster's). A host without a scheduler falls back to the login
   * node, which the user is told once a session.
   */
  runner(host: string): Promise<HeavyRunner> {
    const choice = heavyWorkFor(setting('preview.heavyWork'), host, hostDefaults(host));
    return chooseRunner({
      choice,
      nice: this.niceLevel(),
      host,
      scheduler: () => this.deps.schedulers.scheduler(host),
      user: () => this.deps.schedulers.user(host),
      log: this.log,
      onFallback: (message) => {
        if (this.fallbackNoticed.has(host)) return;
        this.fallbackNoticed.add(host);
        void vscode.window.showInformationMessage(`Remote HPC: ${message}`);
      },
    });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function cacheLimit(): number {
  return numberSetting('preview.cacheSizeMB', 16) * 1024 * 1024;
}

export interface HpcLocation {
  host: string;
  path: string;
}

/** Host and absolute path of an `hpc://host/path` URI. */
export function locationOf(uri: vscode.Uri): HpcLocation {
  if (uri.scheme !== HPC_SCHEME || !uri.authority) throw new Error(`Not a remote HPC file: ${uri.toString(true)}`);
  return { host: uri.authority, path: uri.path || '/' };
}

export function hpcUriOf(host: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: HPC_SCHEME, authority: host, path });
}

/** Explorer context menus call with (clicked, selection[]); the palette with nothing: then the active tab or editor. */
export function locationsOfArgs(arg: unknown, selected: unknown): HpcLocation[] {
  return resolveLocations(
    arg,
    selected,
    () => vscode.window.tabGroups.activeTabGroup.activeTab?.input,
    () => vscode.window.activeTextEditor?.document.uri,
  );
}

/**
 * Registers a read-only custom editor whose documents are just their URI; `open` builds the
 * controller of one editor panel, disposed with the panel.
 */
export function registerReadonlyPreview(viewType: string, open: (uri: vscode.Uri, panel: vscode.WebviewPanel) => vscode.Disposable): vscode.Disposable {
  return vscode.window.registerCustomEditorProvider(
    viewType,
    {
      openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
      resolveCustomEditor: (document, panel) => {
        const controller = open(document.uri, panel);
        panel.onDidDispose(() => controller.dispose());
      },
    },
    { supportsMultipleEditorsPerDocument: true, webviewOptions: { retainContextWhenHidden: false } },
  );
}

/** Calls `fn` at most every `ms` (the last call always goes through once the window ends). */
export function throttle<A extends unknown[]>(ms: number, fn: (...a: A) => void): (...a: A) => void {
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  let pending: A | undefined;
  return (...a: A) => {
    const now = Date.now();
    if (now - last >= ms) {
      last = now;
      fn(...a);
      return;
    }
    pending = a;
    timer ??= setTimeout(() => {
      timer = undefined;
      last = Date.now();
      if (pending) fn(...pending);
      pending = undefined;
    }, ms - (now - last));
  };
}
