import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import { posix } from 'node:path';
import { existsSync, promises as fsp } from 'node:fs';
import type { Logger } from '../core/log';
import { CancelledError } from '../core/cancel';
import { formatSize } from '../core/remote/format';
import { download, upload, type TransferProgress } from '../core/remote/transfer';
import { hpcUri } from '../fs/hpcUri';
import type { Session } from '../core/ssh/session';
import type { ExplorerDeps } from './deps';
import type { ExplorerModel } from './model';
import type { Target } from './targets';
import { uriExists } from '../fs/errors';
import { downloadTarget } from '../core/local/localPath';

export interface TransferOptions {
  signal: AbortSignal;
  onProgress(p: TransferProgress): void;
  overwrite: boolean;
  /** Downloads: the folder the user picked, which no write may leave. */
  localRoot?: string;
}

/** Copies files or folder trees between this machine and a host (src/core/remote/transfer.ts does the work). */
export interface TransferEngine {
  /** Resolves to notes for the user: names saved under another name, entries skipped. */
  download(host: string, remotePath: string, localPath: string, opts: TransferOptions): Promise<string[]>;
  upload(host: string, localPath: string, remotePath: string, opts: TransferOptions): Promise<void>;
}

/**
 * Download… and Upload…: pickers, conflict questions, and one progress notification with Cancel
 * per batch (the AbortSignal reaches the transfers).
 */
export class Transfers implements vscode.Disposable {
  private lastDownloadFolder: vscode.Uri | undefined;

  constructor(
    deps: ExplorerDeps,
    private readonly model: ExplorerModel,
    private readonly log: Logger,
    private readonly engine: TransferEngine = coreEngine(deps, log),
  ) {}

  /** Download… : remote files or folders into a local folder the user picks. */
  async download(targets: readonly Target[]): Promise<void> {
    if (!targets.length) return;
    const picked = await vscode.window.showOpenDialog({
      title: targets.length === 1 ? `Download ${posix.basename(targets[0].path)} to…` : `Download ${targets.length} items to…`,
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Download Here',
      defaultUri: this.lastDownloadFolder ?? vscode.Uri.file(defaultDownloadFolder()),
    });
    const dir = picked?.[0];
    if (!dir) throw new CancelledError();
    this.lastDownloadFolder = dir;
    const jobs: { from: Target; to: string }[] = [];
    for (const t of targets) {
      const to = downloadTarget(dir.fsPath, t.path, t.host);
      if (await localExists(to)) {
        const replace = 'Replace';
        const choice = await vscode.window.showWarningMessage(`${to} already exists. Replace it?`, { modal: true }, replace, 'Skip');
        if (choice === undefined) throw new CancelledError();
        if (choice !== replace) continue;
      }
      jobs.push({ from: t, to });
    }
    if (!jobs.length) return;
    const notes: string[] = [];
    await this.run(`Downloading from ${jobs[0].from.host}`, jobs, async (j, opts) => {
      if (path.basename(j.to) !== posix.basename(j.from.path)) notes.push(`${posix.basename(j.from.path)} saved as ${path.basename(j.to)}`);
      notes.push(...(await this.engine.download(j.from.host, j.from.path, j.to, { ...opts, localRoot: dir.fsPath })));
    });
    const open = 'Open Folder';
    const done = `Downloaded ${jobs.length === 1 ? posix.basename(jobs[0].from.path) : `${jobs.length} items`} to ${dir.fsPath}.`;
    for (const n of notes) this.log.info(`[explorer] download: ${n}`);
    const note = notes.length ? ` ${notes.length} note${notes.length === 1 ? '' : 's'} (names made portable, links not followed): ${notes.slice(0, 2).join('; ')}${notes.length > 2 ? '; … (see the log)' : ''}` : '';
    void vscode.window.showInformationMessage(done + note, open).then((c) => {
      if (c === open) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(jobs[0].to));
    });
  }

  /** Upload… : files or a folder picked on this machine, into a remote folder. */
  async upload(host: string, folder: string): Promise<void> {
    let folders = false;
    if (process.platform !== 'darwin') {
      // Linux and Windows dialogs pick either files or folders, not both.
      const kind = await vscode.window.showQuickPick(
        [
          { label: '$(file) Files…', folders: false },
          { label: '$(folder) Folder…', folders: true },
        ],
        { title: `Upload to ${host}:${folder}`, placeHolder: 'Upload files or a whole folder?' },
      );
      if (!kind) throw new CancelledError();
      folders = kind.folders;
    }
    const picked = await vscode.window.showOpenDialog({
      title: `Upload to ${host}:${folder}`,
      canSelectFiles: !folders || process.platform === 'darwin',
      canSelectFolders: folders || process.platform === 'darwin',
      canSelectMany: true,
      openLabel: 'Upload',
    });
    if (!picked?.length) throw new CancelledError();
    await this.uploadLocal(host, folder, picked);
  }

  /** Uploads local files/folders into a remote folder (also the drop target of the tree). */
  async uploadLocal(host: string, folder: string, locals: readonly vscode.Uri[]): Promise<void> {
    const jobs: { from: string; to: string; overwrite: boolean }[] = [];
    for (const u of locals) {
      const name = path.basename(u.fsPath);
      const to = posix.join(folder, name);
      let overwrite = false;
      if (await uriExists(hpcUri(host, to))) {
        // A folder goes into the existing one (files of the same name replaced, others kept): say Merge.
        const folderUpload = (await fsp.stat(u.fsPath).catch(() => undefined))?.isDirectory() === true;
        const replace = folderUpload ? 'Merge' : 'Replace';
        const question = folderUpload
          ? `${to} already exists on ${host}. Merge the uploaded folder into it? Files with the same name are replaced, the others kept.`
          : `${to} already exists on ${host}. Replace it?`;
        const choice = await vscode.window.showWarningMessage(question, { modal: true }, replace, 'Skip');
        if (choice === undefined) throw new CancelledError();
        if (choice !== replace) continue;
        overwrite = true;
      }
      jobs.push({ from: u.fsPath, to, overwrite });
    }
    if (!jobs.length) return;
    try {
      await this.run(`Uploading to ${host}`, jobs, (j, opts) => this.engine.upload(host, j.from, j.to, { ...opts, overwrite: j.overwrite }));
    } finally {
      await this.model.reload(host, folder);
    }
    vscode.window.setStatusBarMessage(`$(cloud-upload) Uploaded ${jobs.length === 1 ? path.basename(jobs[0].from) : `${jobs.length} items`} to ${host}:${folder}`, 5000);
  }

  private run<J>(title: string, jobs: readonly J[], one: (job: J, opts: TransferOptions) => Promise<void>): Thenable<void> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort(new CancelledError('Transfer cancelled')));
      let reported = 0;
      try {
        for (const [i, job] of jobs.entries()) {
          if (abort.signal.aborted) throw new CancelledError('Transfer cancelled');
          reported = 0;
          await one(job, {
            signal: abort.signal,
            overwrite: true,
            onProgress: (p) => {
              const pct = p.totalBytes ? Math.min(100, (p.bytes / p.totalBytes) * 100) : undefined;
              const increment = pct !== undefined ? (pct - reported) / jobs.length : undefined;
              if (pct !== undefined) reported = pct;
              const files = p.totalFiles ? ` · ${p.files ?? 0}/${p.totalFiles} files` : '';
              const of = p.totalBytes ? ` of ${formatSize(p.totalBytes)}` : '';
              progress.report({
                message: `${jobs.length > 1 ? `${i + 1}/${jobs.length} · ` : ''}${formatSize(p.bytes)}${of}${files}${p.current ? ` · ${posix.basename(p.current)}` : ''}`,
                ...(increment !== undefined && increment > 0 ? { increment } : {}),
              });
            },
          });
        }
      } catch (e) {
        if (token.isCancellationRequested) {
          this.log.info(`[explorer] ${title}: cancelled`);
          throw new CancelledError('Transfer cancelled');
        }
        throw e;
      } finally {
        sub.dispose();
      }
    });
  }

  dispose(): void {
    this.lastDownloadFolder = undefined;
  }
}

/** ~/Downloads when there is one, else the home folder. */
function defaultDownloadFolder(): string {
  const downloads = path.join(os.homedir(), 'Downloads');
  return existsSync(downloads) ? downloads : os.homedir();
}

async function localExists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}


/** The engine over src/core/remote/transfer.ts, on a lease of the host's pooled session. */
function coreEngine(deps: ExplorerDeps, log: Logger): TransferEngine {
  const onSession = async <T>(host: string, fn: (session: Session) => Promise<T>): Promise<T> => {
    const lease = await deps.hosts.acquire(host);
    try {
      return await fn(lease.session);
    } finally {
      lease.release();
    }
  };
  return {
    download: (host, remotePath, localPath, o) =>
      onSession(host, async (s) => {
        const r = await download(s, remotePath, localPath, { signal: o.signal, onProgress: o.onProgress, overwrite: o.overwrite, log, ...(o.localRoot ? { localRoot: o.localRoot } : {}) });
        return [...(r.renamed ?? []).map((n) => `saved ${n}`), ...(r.skipped ?? []).map((n) => `skipped ${n}`)];
      }),
    upload: async (host, localPath, remotePath, o) => {
      await onSession(host, (s) => upload(s, localPath, remotePath, { signal: o.signal, onProgress: o.onProgress, overwrite: o.overwrite, log }));
    },
  };
}
