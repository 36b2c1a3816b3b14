/**
 * The jobs feature: the Jobs view (a tree over a model the JobWatcher keeps fresh), submit from
 * scripts, job files and the New Job form, live output, details, outputs, notifications.
 * `registerJobs` builds it and returns what to dispose; src/extension.ts calls it once.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { isTerminal } from '../core/scheduler/types';
import { isHpcUri, parseHpcUri } from '../fs/hpcUri';
import { registerCommand } from '../util/commands';
import { applyFilter, cancelJobs, editFilter, holdJobs, pickJobSort, releaseJobs, requeueJobs, revealJob, showDetails, tailOutput } from './actions';
import type { JobsContext } from './context';
import { JobsController } from '../core/jobs/controller';
import type { JobsDeps } from './deps';
import { JobDocuments, JOB_DOC_SCHEME } from './documents';
import { fetchOutputs } from './fetchOutputs';
import { EMPTY_FILTER } from '../core/jobs/filter';
import { isJobFile, previewBatchScript, submitJobFile } from './jobFile';
import { registerJobFileDiagnostics } from './jobFileDiagnostics';
import { JobsModel } from '../core/jobs/model';
import { NEW_JOB_VIEW_TYPE, NewJobPanel } from './newJobPanel';
import { showFinishedNotices, showTimeLeftWarning } from './notifications';
import { LiveUsage, withEfficiency } from '../core/jobs/usage';
import { PartitionCache, PartitionsModel } from '../core/jobs/partitions';
import { SubmitLog } from '../core/jobs/resubmit';
import { TimeLeftWatch } from '../core/jobs/timeLeft';
import { cloneJob, resubmitJob } from './resubmit';
import { registerPartitionsView } from './partitionsTree';
import { OUTPUT_SCHEME, OutputTails } from './outputTail';
import { JobRecords } from '../core/jobs/records';
import { onDidChangeJobsSettings, readJobSort, readJobsSettings, readTimeLeftWarning } from './settings';
import { askScript, scriptTargetOf, submitScript } from './submitScript';
import { isBatchScriptPath } from '../core/remote/fileKinds';
import { resolveLocations } from '../core/remote/commandTarget';
import { isJobRef, pickHost, resolveTargets, targetsOrPick } from './targets';
import { openTerminalOnNode } from './nodeTerminal';
import { newInteractiveSession } from './interactive';
import { PortForwards } from '../core/compute/portForwards';
import { tagged } from '../core/log';
import { closeForwardsWithTheirJobs, forwardOf, forwardPort, offerDetectedServers } from './forwards';
import { forgetClosedApps, openAppOrForward, startApp } from './apps';
import { isJobsNode, JobsTreeProvider, type JobsNode } from './tree';
import type { RemoteHpcApi } from '../api';
import { createApi } from './api';
import { registerJobTasks } from './jobTask';
import { waitForJobCommand } from './waitJob';
import { saveDefaultsToCluster } from '../config/clusterDefaults';
import { editPool, hostsWithPools, remoteWithPools, runOnPool, showPoolLog } from './pools';
import { poolHostAlias } from '../core/scheduler/poolSpec';

export type { JobsDeps,  } from './deps';

/** Registers the Jobs view, its commands, the task type and document providers; returns what to dispose (last created first) and the extension API. */
export function registerJobs(context: vscode.ExtensionContext, deps: JobsDeps): { disposables: vscode.Disposable[]; api: RemoteHpcApi } {
  const log = deps.log;
  const disposables: vscode.Disposable[] = [];
  const schedulers = deps.schedulers;
  const model = new JobsModel();
  disposables.push(model);
  // A host pool is one more host of the view; its outputs are read from the pool host that ran the job.
  const pools = schedulers.pools;
  const remote = remoteWithPools(deps.remote, pools);
  const controller = new JobsController({
    hosts: hostsWithPools(deps.hosts, pools),
    schedulers,
    model,
    log,
    settings: readJobsSettings,
    onNotices: (notices) => void withEfficiency(notices, (host) => schedulers.scheduler(host)).then(showFinishedNotices),
  });
  disposables.push(controller);
  // Pool jobs change between polls (the pool's own rounds): the view asks again soon. That list
  // reads the pool's own state, so the watcher's per-host cap does not hold it back
  // (Scheduler.listsLocally): capped, a cancelled pool job stayed "running" for over 30 s.
  // A round changes nothing most of the time: only a pool whose jobs changed is asked again, so
  // the view does not re-render (and move rows under the pointer) every 3 s.
  let poolRefresh: NodeJS.Timeout | undefined;
  const poolSeen = new Map<string, string>();
  // A job starting or ending changes a slot (busy, free, done, error, which job).
  const poolSignature = (p: string) => JSON.stringify([pools?.hostViews(p), pools?.runs(p).map((r) => r.finished)]);
  if (pools)
    disposables.push(
      pools.onDidChange(() => {
        poolRefresh ??= setTimeout(() => {
          poolRefresh = undefined;
          for (const p of pools.pools()) {
            const sig = poolSignature(p);
            if (poolSeen.get(p) === sig) continue;
            poolSeen.set(p, sig);
            void controller.refreshNow(poolHostAlias(p)).catch(() => undefined);
          }
        }, 500);
      }),
      { dispose: () => clearTimeout(poolRefresh) },
    );

  const forwards = new PortForwards({ acquire: (host) => deps.hosts.acquire(host), log: tagged(log, 'forward') });
  disposables.push(forwards);
  const tree = new JobsTreeProvider(model, () => readJobsSettings().historyDays, { sortBy: readJobSort, timeLeftWarning: readTimeLeftWarning, forwards, usage: new LiveUsage((host) => schedulers.scheduler(host)), ...(pools ? { pools } : {}) });
  const view = vscode.window.createTreeView<JobsNode>('remoteHpc.jobs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  disposables.push(tree, view);
  const setVisible = (visible: boolean) => {
    controller.setVisible(visible);
    tree.setTicking(visible);
  };
  setVisible(view.visible);
  disposables.push(view.onDidChangeVisibility((e) => setVisible(e.visible)));

  const documents = new JobDocuments();
  const tails = new OutputTails({
    remote,
    log,
    whenFinished: (host, id) => controller.whenFinished(host, id),
  });
  disposables.push(
    documents,
    tails,
    vscode.workspace.registerTextDocumentContentProvider(JOB_DOC_SCHEME, documents),
    vscode.workspace.registerTextDocumentContentProvider(OUTPUT_SCHEME, tails),
    registerJobFileDiagnostics(),
  );

  const ctx: JobsContext = {
    log,
    hosts: deps.hosts,
    remote,
    schedulers,
    model,
    controller,
    tree,
    view,
    documents,
    tails,
    records: new JobRecords(context.globalState),
    forwards,
    partitions: new PartitionCache((host) => schedulers.scheduler(host)),
    submitted: new SubmitLog(context.globalState),
    extensionUri: context.extensionUri,
    state: context.globalState,
  };
  applyFilter(ctx, EMPTY_FILTER);
  // Every submit through a host's scheduler is recorded for Resubmit / Clone and Edit.
  disposables.push(schedulers.onSubmitted((host, id, spec) => void ctx.submitted.add(host, id, spec).catch((e: unknown) => log.debug(`[jobs] record of ${id}: ${String(e)}`))));
  const partitionsModel = new PartitionsModel(ctx.partitions);
  disposables.push(...registerPartitionsView(ctx, partitionsModel));
  const timeLeft = new TimeLeftWatch(model, { clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }, minutes: readTimeLeftWarning, warn: showTimeLeftWarning });
  disposables.push(timeLeft);
  disposables.push(closeForwardsWithTheirJobs(ctx), offerDetectedServers(ctx), forgetClosedApps(ctx));

  disposables.push(
    onDidChangeJobsSettings(() => {
      controller.settingsChanged();
      tree.refresh();
      timeLeft.check();
    }),
  );

  const r = (id: string, fn: (...args: never[]) => unknown) => disposables.push(registerCommand(log, id, fn));
  const active = (j: { state: Parameters<typeof isTerminal>[0] }) => !isTerminal(j.state);

  r('remoteHpc.jobs.submit', async (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : undefined;
    if (uri && isJobFile(uri)) return submitJobFile(ctx, uri);
    const target = scriptTargetOf(arg);
    if (target) return /\.job\.json$/i.test(target.path) ? submitJobFile(ctx, vscode.Uri.from({ scheme: 'hpc', authority: target.host, path: target.path })) : submitScript(ctx, target);
    if (arg !== undefined && !(arg instanceof vscode.Uri)) throw new Error('Submit Job works on a batch script or a .job.json file.');
    const editorUri = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (editorUri && isJobFile(editorUri)) return submitJobFile(ctx, editorUri);
    if (editorUri && isHpcUri(editorUri) && isBatchScriptPath(editorUri.path)) return submitScript(ctx, parseHpcUri(editorUri));
    return submitScript(ctx, await askScript(ctx));
  });
  r('remoteHpc.jobs.previewBatchScript', async (arg?: unknown) => {
    const target = scriptTargetOf(arg);
    const uri = arg instanceof vscode.Uri ? arg : target ? vscode.Uri.from({ scheme: 'hpc', authority: target.host, path: target.path }) : vscode.window.activeTextEditor?.document.uri;
    if (!uri || !isJobFile(uri)) throw new Error('Open a .job.json file to preview its batch script.');
    return previewBatchScript(ctx, uri);
  });
  r('remoteHpc.jobs.newJob', async (arg?: unknown) => {
    const target = scriptTargetOf(arg);
    const host = target?.host ?? (isJobsNode(arg) ? arg.host : undefined);
    return NewJobPanel.show(ctx, { ...(host ? { host } : {}), ...(target ? { folder: target.path } : {}) });
  });
  r('remoteHpc.jobs.refresh', (arg?: unknown) => controller.refresh(isJobsNode(arg) ? arg.host : undefined));
  r('remoteHpc.jobs.cancel', async (arg?: unknown, selected?: unknown) => cancelJobs(ctx, await targetsOrPick(ctx, arg, selected, { title: 'Cancel which jobs?', many: true, filter: active })));
  r('remoteHpc.jobs.cancelArray', async (arg?: unknown) => {
    const [t] = resolveTargets(ctx, arg, undefined);
    const parent = t?.job?.arrayJobId ?? /^(\d+)_/.exec(t?.id ?? '')?.[1];
    if (!t || !parent) throw new Error('Not a task of an array job.');
    return cancelJobs(ctx, [{ host: t.host, id: parent, array: { tasks: model.arrayTasks(t.host, parent).filter(active) } }]);
  });
  r('remoteHpc.jobs.hold', async (arg?: unknown, selected?: unknown) => holdJobs(ctx, await targetsOrPick(ctx, arg, selected, { title: 'Hold which jobs?', many: true, filter: (j) => j.state === 'PENDING' })));
  r('remoteHpc.jobs.release', async (arg?: unknown, selected?: unknown) => releaseJobs(ctx, await targetsOrPick(ctx, arg, selected, { title: 'Release which jobs?', many: true, filter: active })));
  r('remoteHpc.jobs.requeue', async (arg?: unknown, selected?: unknown) => requeueJobs(ctx, await targetsOrPick(ctx, arg, selected, { title: 'Requeue which jobs?', many: true })));
  r('remoteHpc.jobs.resubmit', async (arg?: unknown) => {
    const [t] = await targetsOrPick(ctx, arg, undefined, { title: 'Resubmit which job?', many: false });
    if (t) await resubmitJob(ctx, t);
  });
  r('remoteHpc.jobs.cloneAndEdit', async (arg?: unknown) => {
    const [t] = await targetsOrPick(ctx, arg, undefined, { title: 'Clone and edit the script of which job?', many: false });
    if (t) await cloneJob(ctx, t);
  });
  r('remoteHpc.jobs.refreshPartitions', (arg?: unknown) => partitionsModel.refresh(typeof (arg as { host?: unknown } | undefined)?.host === 'string' ? (arg as { host: string }).host : undefined));
  r('remoteHpc.jobs.showDetails', async (arg?: unknown, selected?: unknown) => {
    const targets = await targetsOrPick(ctx, arg, selected, { title: 'Details of which job?', many: false });
    for (const t of targets.slice(0, 5)) await showDetails(ctx, t);
  });
  r('remoteHpc.jobs.tailOutput', async (arg?: unknown, selected?: unknown) => {
    const targets = await targetsOrPick(ctx, arg, selected, { title: 'Output of which job?', many: false });
    for (const t of targets.slice(0, 4)) await tailOutput(ctx, t);
  });
  // Any log's end, from the Remote Explorer or an hpc: editor: the tail machinery, no size question.
  for (const [id, mode] of [['remoteHpc.openFileEnd', 'end'], ['remoteHpc.followFile', 'follow']] as const) {
    r(id, (arg?: unknown) => {
      const [loc] = resolveLocations(arg, undefined, () => vscode.window.activeTextEditor?.document.uri);
      if (!loc) throw new Error('Select a file in the Remote Explorer (or open one) to read its end.');
      return tails.openFile(loc.host, loc.path, mode);
    });
  }
  r('remoteHpc.jobs.openTerminalOnNode', async (arg?: unknown) => {
    const [t] = await targetsOrPick(ctx, arg, undefined, { title: 'Open a terminal on the node of which job?', many: false, filter: (j) => j.state === 'RUNNING' });
    if (t) await openTerminalOnNode(ctx, t);
  });
  r('remoteHpc.jobs.newInteractiveSession', async (arg?: unknown) => newInteractiveSession(ctx, isJobsNode(arg) ? arg.host : undefined));
  r('remoteHpc.jobs.forwardPort', async (arg?: unknown) => {
    const [t] = await targetsOrPick(ctx, arg, undefined, { title: 'Forward a port of which job?', many: false, filter: (j) => j.state === 'RUNNING' });
    if (t) await forwardPort(ctx, t);
  });
  r('remoteHpc.jobs.openForward', async (arg?: unknown) => openAppOrForward(await forwardOf(forwards, arg, 'Open which forwarded port?')));
  r('remoteHpc.jobs.stopForward', async (arg?: unknown) => forwards.close((await forwardOf(forwards, arg, 'Stop forwarding which port?')).id));
  r('remoteHpc.jobs.startApp', (arg?: unknown) => startApp(ctx, isJobsNode(arg) ? { host: arg.host } : {}));
  // From an Explorer folder: the app works there (Jupyter's root, TensorBoard's logdir); from the palette it asks.
  const startOn = (templateId: string, arg: unknown) => {
    const [folder] = resolveLocations(arg, undefined);
    return startApp(ctx, { templateId, ...(folder ? { folder } : isJobsNode(arg) ? { host: arg.host } : {}) });
  };
  r('remoteHpc.jobs.startJupyter', (arg?: unknown) => startOn('jupyter-lab', arg));
  r('remoteHpc.jobs.startTensorBoard', (arg?: unknown) => startOn('tensorboard', arg));
  r('remoteHpc.jobs.fetchOutputs', async (arg?: unknown, selected?: unknown) => fetchOutputs(ctx, await targetsOrPick(ctx, arg, selected, { title: 'Fetch the outputs of which jobs?', many: true })));
  r('remoteHpc.jobs.copyId', async (arg?: unknown, selected?: unknown) => {
    const ids = (await targetsOrPick(ctx, arg, selected, { title: 'Copy which job id?', many: true })).map((t) => t.id);
    await vscode.env.clipboard.writeText(ids.join(' '));
    vscode.window.setStatusBarMessage(`Copied ${ids.join(' ')}`, 3000);
  });
  r('remoteHpc.jobs.reveal', async (arg?: unknown) => {
    if (!isJobRef(arg)) throw new CancelledError();
    return revealJob(ctx, arg.host, arg.id);
  });
  r('remoteHpc.jobs.filter', () => editFilter(ctx, { states: true, tags: true }));
  r('remoteHpc.jobs.editFilter', () => editFilter(ctx, { states: true, tags: true }));
  r('remoteHpc.jobs.filterByState', () => editFilter(ctx, { states: true, tags: false }));
  r('remoteHpc.jobs.filterByTag', () => editFilter(ctx, { states: false, tags: true }));
  r('remoteHpc.jobs.clearFilter', () => applyFilter(ctx, EMPTY_FILTER));
  r('remoteHpc.jobs.sortBy', () => pickJobSort());
  r('remoteHpc.jobs.waitForJob', async (arg?: unknown) => {
    const [t] = await targetsOrPick(ctx, arg, undefined, { title: 'Wait for which job?', many: false, filter: active });
    if (t) await waitForJobCommand(ctx, t);
  });
  r('remoteHpc.jobs.saveDefaultsToCluster', async (arg?: unknown) => {
    const host = isJobsNode(arg) ? arg.host : (arg as { alias?: unknown } | undefined)?.alias;
    return saveDefaultsToCluster(ctx.remote, log, typeof host === 'string' ? host : await pickHost(ctx, 'Save job defaults to'));
  });
  const api = createApi(ctx);
  disposables.push(api, registerJobTasks(ctx));
  r('remoteHpc.pool.run', (arg?: unknown) => runOnPool(ctx, pools, arg));
  r('remoteHpc.pool.edit', (arg?: unknown) => editPool(ctx, arg));
  r('remoteHpc.pool.showLog', (arg?: unknown) => showPoolLog(context, pools, arg));

  disposables.push(
    vscode.window.registerWebviewPanelSerializer(NEW_JOB_VIEW_TYPE, { deserializeWebviewPanel: (panel, state: unknown) => NewJobPanel.revive(ctx, panel, state) }),
    { dispose: () => NewJobPanel.disposeCurrent() },
  );
  return { disposables: disposables.reverse(), api };
}
