/**
 * "New Job…": a webview form (webview/newJob) that fills a JSON job description, validates it
 * inline, saves it as `<name>.job.json` in a folder on the cluster and submits it. One panel at a
 * time; the typed protocol is NewJobProtocol in src/shared/protocol.ts.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import { CancelledError } from '../core/cancel';
import type { DefaultSources, NewJobFieldError, NewJobForm, SchedulerWords } from '../shared/protocol';
import { hpcUri, isHpcUri, parseHpcUri } from '../fs/hpcUri';
import { WebviewHost } from '../webviews/webviewHost';
import { connectedHosts, type JobsContext } from './context';
import { mkdirp } from '../core/jobs/stageInputs';
import { previewSpec, submitLoaded } from './jobFile';
import { defaultFormFields, EMPTY_FORM, fieldOfSubmitOption, formToSpec, jobFilePath, sanitizeForm, specToJson } from '../core/jobs/newJobForm';
import { SchedulerError } from '../core/scheduler/command';
import { clusterDefaultsRead, hostDefaults, hostDefaultsWithOrigin } from '../config/clusterDefaults';
import { submitWords } from '../core/jobs/submitOptions';
import { keyedMemory } from './memory';

export const NEW_JOB_VIEW_TYPE = 'remoteHpc.newJob';
const FOLDERS_KEY = 'remoteHpc.jobs.newJobFolders';

/** The folder the form last used on `host`, else the host's home. */
async function rememberedFolder(ctx: JobsContext, host: string): Promise<string> {
  return keyedMemory<string>(ctx.state, FOLDERS_KEY).get(host) || ctx.schedulers.home(host).catch(() => '~');
}
const LAST_HOST_KEY = 'remoteHpc.jobs.newJobHost';

export class NewJobPanel implements vscode.Disposable {
  private static current: NewJobPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private readonly host: WebviewHost<'newJob'>;
  private readonly subs: vscode.Disposable[] = [];
  private form: NewJobForm;
  /** Job files this form wrote (`host:path` → their mtime then): saving again replaces them without asking. */
  private readonly written = new Map<string, number>();

  /** Shows the form (reusing an open one); `preset` fills the host and folder. */
  static async show(ctx: JobsContext, preset: { host?: string; folder?: string } = {}): Promise<void> {
    if (NewJobPanel.current) {
      NewJobPanel.current.panel.reveal();
      if (preset.host || preset.folder) await NewJobPanel.current.preset(preset);
      return;
    }
    const form = await initialForm(ctx, preset);
    NewJobPanel.current = new NewJobPanel(ctx, form, vscode.window.createWebviewPanel(NEW_JOB_VIEW_TYPE, 'New Job', vscode.ViewColumn.Active, { retainContextWhenHidden: false, enableFindWidget: false }));
  }

  /** Brings the form back after a reload with the draft the webview saved (checked like any form). */
  static async revive(ctx: JobsContext, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (NewJobPanel.current) {
      panel.dispose();
      return;
    }
    const draft = typeof state === 'object' && state !== null ? (state as { form?: unknown }).form : undefined;
    const form = typeof draft === 'object' && draft !== null ? sanitizeForm(draft) : await initialForm(ctx, {});
    NewJobPanel.current = new NewJobPanel(ctx, form, panel);
  }

  private constructor(
    private readonly ctx: JobsContext,
    form: NewJobForm,
    panel: vscode.WebviewPanel,
  ) {
    this.form = form;
    this.panel = panel;
    this.panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'remote-hpc.svg');
    this.host = new WebviewHost(this.panel.webview, {
      view: 'newJob',
      bundle: 'newJob',
      title: 'New Job',
      extensionUri: ctx.extensionUri,
      log: ctx.log,
      onReady: async () => this.postInit(),
      notifications: {
        close: () => this.panel.dispose(),
      },
      requests: {
        validate: async ({ form }) => {
          this.form = sanitizeForm(form);
          return { errors: formToSpec(this.form).errors };
        },
        hostInfo: async ({ host }) => {
          const h = String(host);
          const { fields, sources } = await defaultsOf(h);
          return { folder: await this.folderFor(h), ...fields, sources, partitions: await partitionsOf(ctx, h), words: await wordsOf(ctx, h) };
        },
        pickFolder: async ({ host, current }) => ({ folder: await this.pickFolder(String(host), String(current ?? '')) }),
        preview: async ({ form }) => {
          this.form = sanitizeForm(form);
          const { spec, errors } = formToSpec(this.form);
          if (errors.length) return { errors };
          await previewSpec(ctx, this.form.host, spec, this.form.folder.trim());
          return { errors: [] };
        },
        save: async ({ form, submit }) => this.save(sanitizeForm(form), submit === true),
      },
    });
    this.subs.push(
      this.host,
      this.panel.onDidDispose(() => this.dispose()),
      ctx.hosts.onDidChange(() => void this.postHosts()),
    );
  }

  private async postHosts(): Promise<void> {
    const hosts = connectedHosts(this.ctx);
    this.host.post('hosts', { hosts, ...(hosts.includes(this.form.host) ? { partitions: await partitionsOf(this.ctx, this.form.host) } : {}) });
  }

  private async preset(p: { host?: string; folder?: string }): Promise<void> {
    this.form = { ...this.form, ...(p.host ? { host: p.host } : {}), ...(p.folder ? { folder: p.folder } : {}) };
    await this.postInit();
  }

  private async postInit(): Promise<void> {
    const host = this.form.host;
    const sources: DefaultSources = host ? (await defaultsOf(host)).sources : {};
    this.host.post('init', { hosts: connectedHosts(this.ctx), form: this.form, partitions: await partitionsOf(this.ctx, host), words: await wordsOf(this.ctx, host), sources });
  }

  private folderFor(host: string): Promise<string> {
    return rememberedFolder(this.ctx, host);
  }

  private async pickFolder(host: string, current: string): Promise<string | null> {
    if (!host) return null;
    const home = await this.ctx.schedulers.home(host).catch(() => '/');
    const start = current.trim() ? (current.startsWith('~') ? posix.join(home, current.slice(1)) : current) : home;
    const picked = await vscode.window.showOpenDialog({ defaultUri: hpcUri(host, start), canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Save Job Here', title: `Folder on ${host}` });
    const uri = picked?.[0];
    if (!uri) return null;
    if (!isHpcUri(uri) || parseHpcUri(uri).host !== host) {
      void vscode.window.showWarningMessage(`Choose a folder on ${host}.`);
      return null;
    }
    return parseHpcUri(uri).path;
  }

  private async save(form: NewJobForm, submit: boolean): Promise<{ errors: NewJobFieldError[]; path?: string; jobId?: string }> {
    this.form = form;
    const { spec, errors } = formToSpec(form);
    if (errors.length) return { errors };
    const host = form.host.trim();
    if (!connectedHosts(this.ctx).includes(host)) return { errors: [{ field: 'host', message: `${host} is not connected` }] };
    const home = await this.ctx.schedulers.home(host);
    const path = jobFilePath(form.folder, spec.name as string, home);
    const ops = await this.ctx.remote.ops(host);
    const [existing] = await ops.stat([path]);
    const key = `${host}:${path}`;
    if (existing && this.written.get(key) !== existing.mtimeMs) {
      const ok = await vscode.window.showWarningMessage(`${posix.basename(path)} already exists in ${posix.dirname(path)}.`, { modal: true }, 'Replace');
      if (!ok) return { errors: [{ field: 'name', message: 'A job file with this name exists: choose another name or replace it' }] };
    }
    await mkdirp(ops, posix.dirname(path));
    await ops.writeFileAtomic(path, Buffer.from(specToJson(spec), 'utf8'), { create: true, overwrite: true });
    const [mine] = await ops.stat([path]);
    if (mine) this.written.set(key, mine.mtimeMs);
    await keyedMemory<string>(this.ctx.state, FOLDERS_KEY).set(host, form.folder.trim());
    await this.ctx.state.update(LAST_HOST_KEY, host);
    const uri = hpcUri(host, path);
    if (!submit) {
      this.host.post('status', { kind: 'success', message: `Saved ${path}` });
      void vscode.window.showInformationMessage(`Saved ${posix.basename(path)} on ${host}.`, 'Open').then((c) => c && vscode.window.showTextDocument(uri));
      return { errors: [], path };
    }
    try {
      const jobId = await submitLoaded(this.ctx, host, { uri, spec, remote: { host, dir: posix.dirname(path), path }, name: spec.name as string });
      this.host.post('status', { kind: 'success', message: `Submitted job ${jobId} (saved ${path})` });
      return { errors: [], path, jobId };
    } catch (e) {
      if (e instanceof CancelledError) return { errors: [], path };
      const message = (e as Error).message.split('\n')[0] ?? '';
      // A refusal about one option (an unknown partition…) shows at its field, like any form error.
      const field = e instanceof SchedulerError ? fieldOfSubmitOption(e.option) : '';
      if (field) {
        this.ctx.log.warn(`[jobs] ${posix.basename(path)} refused: ${message}`);
        return { errors: [{ field, message: `Saved ${posix.basename(path)}, but not submitted: ${message}` }], path };
      }
      this.host.post('status', { kind: 'error', message: `Saved ${path}, but submitting failed: ${message}` });
      throw e;
    }
  }

  dispose(): void {
    if (NewJobPanel.current === this) NewJobPanel.current = undefined;
    for (const d of this.subs.splice(0)) d.dispose();
  }

  static disposeCurrent(): void {
    NewJobPanel.current?.panel.dispose();
  }
}

/**
 * Partitions offered in the form: the host's default first, then the cluster's (sinfo, cached).
 * Only a connected host is asked: a form revived by a reload must not log in by itself.
 */
async function partitionsOf(ctx: JobsContext, host: string): Promise<string[]> {
  const d = host ? hostDefaults(host).partition : undefined;
  const listed = host && connectedHosts(ctx).includes(host) ? await ctx.partitions.get(host).catch(() => []) : [];
  return [...new Set([...(d ? [d] : []), ...listed.filter((p) => p.up).map((p) => p.name)])];
}

/** The host's scheduler's words for the form's labels (SLURM's until a connected host's scheduler is known). */
async function wordsOf(ctx: JobsContext, host: string): Promise<SchedulerWords> {
  const kind = host && connectedHosts(ctx).includes(host) ? (await ctx.schedulers.detect(host).catch(() => undefined))?.kind : undefined;
  return submitWords(kind ?? 'slurm');
}

async function initialForm(ctx: JobsContext, preset: { host?: string; folder?: string }): Promise<NewJobForm> {
  const hosts = connectedHosts(ctx);
  const last = ctx.state.get<string>(LAST_HOST_KEY);
  const host = preset.host ?? (last && hosts.includes(last) ? last : hosts[0]) ?? '';
  const fields = host ? (await defaultsOf(host)).fields : {};
  let folder = preset.folder ?? '';
  if (!folder && host) folder = await rememberedFolder(ctx, host);
  return { ...EMPTY_FORM, host, folder, ...fields };
}

/** The form fields a host's defaults fill in (local over the cluster's file, once that is read) and where each came from. */
async function defaultsOf(host: string): Promise<ReturnType<typeof defaultFormFields>> {
  await clusterDefaultsRead(host);
  const { defaults, origin } = hostDefaultsWithOrigin(host);
  return defaultFormFields(defaults, origin);
}
