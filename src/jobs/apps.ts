/**
 * Interactive apps (Start Jupyter Lab on a Compute Node, Start TensorBoard on a Folder, Start
 * Interactive App…): the VS Code side of src/core/compute/appLaunch. Host, template, folder and
 * resources are asked (the New Interactive Session prompts, prefilled from the template, the
 * host's defaults and the last start), then a cancellable progress notification follows the job
 * (queued → starting → ready) and the app opens in the browser. The job and its forward show in
 * the Jobs view like any. The URL with the token is kept in memory only, for Open in Browser.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { launchApp } from '../core/compute/appLaunch';
import { appTemplates, type AppResources, type AppTemplate } from '../core/compute/appTemplates';
import { AppSettingError, environmentFor, type AppEnvironment } from '../core/compute/appEnvironment';
import type { PortForward } from '../core/compute/portForwards';
import type { RemoteLocation } from '../core/remote/commandTarget';
import { hostDefaults } from '../config/clusterDefaults';
import { setting } from '../config/settings';
import { askAllocation, type Allocation } from './interactive';
import type { JobsContext } from './context';
import { forwardedByItsStarter, openForward } from './forwards';
import { pickHost } from './targets';
import { keyedMemory } from './memory';

const LAST_KEY = 'remoteHpc.apps.last';
const FOLDER_KEY = 'remoteHpc.apps.lastFolder';

/** Forward id → the URL with its token (memory only: gone with the forward or the window). */
const secretUrls = new Map<string, string>();

/** The URL to open for a forward: an app's with its token, else the forward's own. */
function appUrl(f: PortForward): { url: string; secret: boolean } {
  const secret = secretUrls.get(f.id);
  return secret ? { url: secret, secret: true } : { url: f.url, secret: false };
}

/** Forgets an app's URL once its forward closed. */
export function forgetClosedApps(ctx: Pick<JobsContext, 'forwards'>): vscode.Disposable {
  return ctx.forwards.onDidChange(() => {
    for (const id of [...secretUrls.keys()]) if (!ctx.forwards.get(id)) secretUrls.delete(id);
  });
}

/** Opens a forward: an app's URL with its token goes to the external browser (never into a webview). */
export function openAppOrForward(f: PortForward): Promise<void> {
  const { url, secret } = appUrl(f);
  return openForward({ url }, secret ? { external: true } : {});
}

const OPEN_SETTINGS = 'Open Settings';

function templatesWarned(errors: string[]): void {
  if (errors.length === 0) return;
  void vscode.window.showWarningMessage(`Some interactive app templates are not usable: ${errors.join('; ')}`, OPEN_SETTINGS).then((c) => {
    if (c === OPEN_SETTINGS) void vscode.commands.executeCommand('workbench.action.openSettings', 'remoteHpc.interactiveApps');
  });
}

async function pickTemplate(id: string | undefined): Promise<AppTemplate> {
  const { templates, errors } = appTemplates(setting('interactiveApps.templates'));
  templatesWarned(errors);
  if (id !== undefined) {
    const t = templates.find((x) => x.id === id);
    if (!t) throw new Error(`No interactive app "${id}" (remoteHpc.interactiveApps.templates may replace it with a bad entry).`);
    return t;
  }
  const picked = await vscode.window.showQuickPick(
    templates.map((t) => ({ label: `$(rocket) ${t.name}`, description: t.builtIn ? 'built-in' : 'from settings', ...(t.description ? { detail: t.description } : {}), t })),
    { title: 'Start which interactive app?', matchOnDescription: true },
  );
  if (!picked) throw new CancelledError();
  return picked.t;
}

/** `/abs/path` or `~/…`, one line. */
function checkFolder(s: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- one line, no control characters
  if (/[\x00-\x1f]/.test(s)) return 'One line, no control characters';
  return s === '~' || s.startsWith('/') || s.startsWith('~/') ? undefined : 'An absolute path, or ~/… for your home';
}

async function askFolder(ctx: JobsContext, host: string, t: AppTemplate): Promise<string> {
  const last = keyedMemory<string>(ctx.state, FOLDER_KEY).get(`${host}\0${t.id}`);
  const v = await vscode.window.showInputBox({
    title: `${t.name} on ${host}`,
    prompt: t.id === 'tensorboard' ? 'The folder with the event files (--logdir) on the cluster' : 'The folder the app starts in, on the cluster',
    value: last ?? '~',
    validateInput: checkFolder,
    ignoreFocusOut: true,
  });
  if (v === undefined) throw new CancelledError();
  return v.trim();
}

function describeResources(r: AppResources): string {
  return [r.partition ?? 'default partition', r.time ? `time ${r.time}` : undefined, `${r.cpus ?? 1} CPU`, r.mem ? `${r.mem} memory` : undefined, r.gpus ? `GPUs ${r.gpus}` : undefined, r.account ? `account ${r.account}` : undefined].filter(Boolean).join(', ');
}

/** The last start's resources (else the template's over the host's defaults): Start, or change them first. */
async function chooseResources(ctx: JobsContext, host: string, t: AppTemplate): Promise<AppResources> {
  const key = `${host}\0${t.id}`;
  const d = hostDefaults(host);
  const lastStart = keyedMemory<AppResources>(ctx.state, LAST_KEY);
  const proposed: AppResources = lastStart.get(key) ?? { ...(d.partition ? { partition: d.partition } : {}), ...(d.account ? { account: d.account } : {}), ...t.resources };
  const start = { label: '$(play) Start', description: describeResources(proposed) };
  const change = { label: '$(settings-gear) Change Resources…', description: 'partition, time, CPUs, memory, GPUs, account' };
  const picked = await vscode.window.showQuickPick([start, change], { title: `${t.name} on ${host}`, ignoreFocusOut: true });
  if (!picked) throw new CancelledError();
  if (picked === start) return proposed;
  const a: Allocation = await askAllocation(ctx, host, `${t.name} on ${host}`, { ...proposed, time: proposed.time ?? '1:00:00', cpus: proposed.cpus ?? 1 });
  const chosen: AppResources = { ...a };
  await lastStart.set(key, chosen);
  return chosen;
}

/** The host's app environment; a bad setting is shown with a way to it. */
function hostEnvironment(host: string): AppEnvironment {
  try {
    return environmentFor(setting('interactiveApps.environment'), host);
  } catch (e) {
    if (!(e instanceof AppSettingError)) throw e;
    void vscode.window.showErrorMessage(e.message, OPEN_SETTINGS).then((c) => c && vscode.commands.executeCommand('workbench.action.openSettings', 'remoteHpc.interactiveApps.environment'));
    throw new CancelledError();
  }
}

/** Start Interactive App…, Start Jupyter Lab…, Start TensorBoard on a Folder (`folder`: the Explorer folder it was started on). */
export async function startApp(ctx: JobsContext, opts: { templateId?: string; folder?: RemoteLocation; host?: string } = {}): Promise<void> {
  const host = opts.folder?.host ?? (await pickHost(ctx, 'Start the app on which host?', opts.host));
  const t = await pickTemplate(opts.templateId);
  const environment = hostEnvironment(host);
  const folder = t.needsFolder ? (opts.folder?.path ?? (await askFolder(ctx, host, t))) : '~';
  if (t.needsFolder) await keyedMemory<string>(ctx.state, FOLDER_KEY).set(`${host}\0${t.id}`, folder);
  const resources = await chooseResources(ctx, host, t);
  const scheduler = ctx.schedulers.scheduler(host);
  const ops = await ctx.remote.ops(host);
  let jobId: string | undefined;
  const app = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${t.name} on ${host}`, cancellable: true }, (progress, token) => {
    const ctl = new AbortController();
    token.onCancellationRequested(() => {
      if (jobId !== undefined) ctx.controller.expectCancel(host, [jobId]);
      ctl.abort();
    });
    return launchApp(
      {
        host,
        scheduler,
        ops,
        forwards: ctx.forwards,
        // The Jobs view's own poll (the job is tracked there, so it shows like any submitted job).
        jobState: async (id) => {
          await ctx.controller.refreshNow(host).catch(() => undefined);
          return ctx.model.find(host, id);
        },
        log: ctx.log,
        pollMs: 3000,
      },
      { template: t, folder, environment, resources },
      {
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.jobId !== undefined && jobId === undefined) {
            jobId = p.jobId;
            forwardedByItsStarter(host, p.jobId);
            void ctx.controller.track(host, [p.jobId]).catch(() => undefined);
          }
          progress.report({ message: p.message });
        },
      },
    );
  });
  secretUrls.set(app.forward.id, app.openUrl);
  await openAppOrForward(app.forward);
  const cancel = 'Cancel Job';
  void vscode.window.showInformationMessage(`${t.name} runs as job ${app.jobId} on ${app.node}, forwarded to ${app.forward.url}. It ends with the job (cancel it when you are done).`, 'Open in Browser', cancel).then(async (c) => {
    if (c === 'Open in Browser') await openAppOrForward(app.forward);
    else if (c === cancel) {
      ctx.controller.expectCancel(host, [app.jobId]);
      await scheduler.cancel([app.jobId]);
      await ctx.controller.refreshNow(host);
    }
  }).then(undefined, (e: Error) => void vscode.window.showErrorMessage(e.message));
}
