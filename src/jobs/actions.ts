/**
 * What the job commands do: cancel / hold / release / requeue (several at once, grouped per
 * host, one scheduler command each), details, live output, reveal in the view, filters.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { isTerminal, type Job, type JobState } from '../core/scheduler/types';
import type { JobsContext } from './context';
import { renderDetails } from '../core/jobs/detailsText';
import { usageSection } from '../core/jobs/usage';
import { detailsUri } from './documents';
import { describeFilter, isEmptyFilter, type JobFilter } from '../core/jobs/filter';
import { isHeld, jobLabel, stateClass } from '../core/jobs/format';
import type { JobTarget } from './targets';
import { settingScopes, updateSetting } from '../config/settings';
import type { JobSortKey } from '../core/jobs/sorting';
import { readJobSort } from './settings';

function byHost(targets: JobTarget[]): Map<string, JobTarget[]> {
  const m = new Map<string, JobTarget[]>();
  for (const t of targets) m.set(t.host, [...(m.get(t.host) ?? []), t]);
  return m;
}

function describe(t: JobTarget): string {
  if (t.array) return `array ${t.id}${t.array.tasks[0]?.name ? ` (${t.array.tasks[0].name})` : ''}, all ${t.array.tasks.length} task${t.array.tasks.length === 1 ? '' : 's'}`;
  return t.job ? `job ${jobLabel(t.job)}` : `job ${t.id}`;
}

/** Runs one action per host; refreshes those hosts at once afterwards. */
async function perHost(ctx: JobsContext, targets: JobTarget[], verb: string, run: (host: string, ids: string[]) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `${verb} ${targets.length} job${targets.length === 1 ? '' : 's'}…` }, async () => {
    await Promise.all(
      [...byHost(targets)].map(async ([host, ts]) => {
        try {
          await run(host, ts.map((t) => t.id));
        } catch (e) {
          failures.push(`${host}: ${(e as Error).message}`);
        } finally {
          void ctx.controller.refreshNow(host).catch(() => undefined);
        }
      }),
    );
  });
  if (failures.length) throw new Error(`${verb} failed — ${failures.join('; ')}`);
}

export async function cancelJobs(ctx: JobsContext, targets: JobTarget[]): Promise<void> {
  if (targets.length === 0) return;
  const finished = targets.filter((t) => t.job && isTerminal(t.job.state));
  const live = targets.filter((t) => !finished.includes(t));
  if (live.length === 0) {
    void vscode.window.showInformationMessage(targets.length === 1 ? `Job ${targets[0]?.id} has already ended.` : 'These jobs have already ended.');
    return;
  }
  const message = live.length === 1 ? `Cancel ${describe(live[0] as JobTarget)}?` : `Cancel ${live.length} jobs?`;
  const detail = live.length === 1 ? `On ${live[0]?.host}. This cannot be undone.` : `${live.map((t) => `${t.host}: ${describe(t)}`).join('\n')}\n\nThis cannot be undone.`;
  const ok = await vscode.window.showWarningMessage(message, { modal: true, detail }, live.length === 1 ? 'Cancel Job' : 'Cancel Jobs');
  if (!ok) throw new CancelledError();
  await perHost(ctx, live, 'Cancelling', (host, ids) => {
    ctx.controller.expectCancel(host, ids);
    return ctx.schedulers.scheduler(host).cancel(ids);
  });
  vscode.window.setStatusBarMessage(`$(stop-circle) Cancelled ${live.length === 1 ? describe(live[0] as JobTarget) : `${live.length} jobs`}`, 5000);
}

export async function holdJobs(ctx: JobsContext, targets: JobTarget[]): Promise<void> {
  const pending = targets.filter((t) => t.array || !t.job || stateClass(t.job.state) === 'pending');
  if (pending.length === 0) {
    void vscode.window.showInformationMessage('Only pending jobs can be held.');
    return;
  }
  await perHost(ctx, pending, 'Holding', (host, ids) => ctx.schedulers.scheduler(host).hold(ids));
}

export async function releaseJobs(ctx: JobsContext, targets: JobTarget[]): Promise<void> {
  const held = targets.filter((t) => t.array || !t.job || isHeld(t.job));
  if (held.length === 0) {
    void vscode.window.showInformationMessage('None of these jobs is held.');
    return;
  }
  await perHost(ctx, held, 'Releasing', (host, ids) => ctx.schedulers.scheduler(host).release(ids));
}

export async function requeueJobs(ctx: JobsContext, targets: JobTarget[]): Promise<void> {
  if (targets.length === 0) return;
  const ok = await vscode.window.showWarningMessage(
    targets.length === 1 ? `Requeue ${describe(targets[0] as JobTarget)}?` : `Requeue ${targets.length} jobs?`,
    { modal: true, detail: 'A running job is stopped and queued again from the start; a finished one runs again (if the cluster allows requeueing).' },
    'Requeue',
  );
  if (!ok) throw new CancelledError();
  await perHost(ctx, targets, 'Requeueing', (host, ids) => ctx.schedulers.scheduler(host).requeue(ids));
}

/** Every attribute of a job in a read-only tab (controller record, plus accounting once finished). */
export async function showDetails(ctx: JobsContext, t: JobTarget): Promise<void> {
  const scheduler = ctx.schedulers.scheduler(t.host);
  const text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Job ${t.id} details…` }, async () => {
    const details = await scheduler.details(t.id);
    const job = t.job ?? ctx.model.find(t.host, t.id);
    const state = details.state ?? job?.state;
    // What it uses (running) or used (finished), after the scheduler's own sections; never fatal.
    const usage = await usageSection(scheduler, { id: t.id, elapsed: job?.elapsed ?? '', ...(job?.rawId ? { rawId: job.rawId } : {}), ...(state ? { state } : {}) }).catch((e: Error) => {
      ctx.log.debug(`[jobs] usage of ${t.id}: ${e.message}`);
      return undefined;
    });
    return renderDetails({ host: t.host, id: t.id, ...details, sections: [...(usage ? [usage] : []), ...details.sections], fetchedAt: new Date() });
  });
  await ctx.documents.show(detailsUri(t.host, t.id), text, 'yaml');
}

/** Picks the task of an array whose output to show: the first running one by default. */
async function pickTask(t: JobTarget): Promise<string> {
  const tasks = t.array?.tasks ?? [];
  if (tasks.length === 0) return t.id;
  if (tasks.length === 1) return (tasks[0] as Job).id;
  const items = tasks.map((j) => ({ label: j.id, description: j.state.toLowerCase(), id: j.id }));
  const running = tasks.findIndex((j) => j.state === 'RUNNING');
  if (running > 0) items.unshift(...items.splice(running, 1));
  const picked = await vscode.window.showQuickPick(items, { title: `Output of which task of array ${t.id}?` });
  if (!picked) throw new CancelledError();
  return picked.id;
}

/** Opens the live output tab(s) of a job: stdout, and stderr beside it when separate. */
export async function tailOutput(ctx: JobsContext, t: JobTarget): Promise<void> {
  let id = t.array ? await pickTask(t) : t.id;
  // An array id from a notification: show one of its tasks.
  if (!t.array && !t.job && /^\d+$/.test(id)) {
    const tasks = ctx.model.arrayTasks(t.host, id);
    if (tasks.length) id = await pickTask({ host: t.host, id, array: { tasks } });
  }
  const scheduler = ctx.schedulers.scheduler(t.host);
  const paths = await scheduler.outputPaths(id);
  let ended: string | undefined;
  if (!ctx.model.find(t.host, id)) {
    // Not in the view (hidden, or an old job): ask once whether it is still queued.
    const rec = await scheduler.details(id).catch(() => undefined);
    if (rec?.state && isTerminal(rec.state)) ended = rec.rawState?.split(/\s/)[0];
    else if (rec) void ctx.controller.track(t.host, [id]).catch(() => undefined);
  }
  await ctx.tails.open(t.host, id, paths.stdout, {}, ended);
  if (paths.stderr) await ctx.tails.open(t.host, id, paths.stderr, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, ended);
}

/** Focuses the Jobs view on a job (after a submit, from a notification). */
export async function revealJob(ctx: JobsContext, host: string, id: string): Promise<void> {
  await vscode.commands.executeCommand('remoteHpc.jobs.focus');
  let node = ctx.tree.findJob(host, id);
  if (!node) {
    await ctx.controller.refreshNow(host).catch(() => undefined);
    node = ctx.tree.findJob(host, id);
  }
  if (!node) {
    void vscode.window.showInformationMessage(`Job ${id} is not in the Jobs view (yet).`);
    return;
  }
  await ctx.view.reveal(node, { select: true, focus: true, expand: true });
}

// --- filters -----------------------------------------------------------------------------

const COMMON_STATES: JobState[] = ['PENDING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED'];

interface FilterItem extends vscode.QuickPickItem {
  state?: JobState;
  tag?: string;
}

export async function editFilter(ctx: JobsContext, parts: { states: boolean; tags: boolean }): Promise<void> {
  const current = ctx.model.filter;
  const items: FilterItem[] = [];
  if (parts.states) {
    items.push({ label: 'States', kind: vscode.QuickPickItemKind.Separator });
    const states = [...new Set<JobState>([...COMMON_STATES, ...current.states])];
    for (const s of states) items.push({ label: s, state: s, picked: current.states.includes(s) });
  }
  if (parts.tags) {
    const tags = [...new Set([...ctx.model.allTags(), ...current.tags])];
    items.push({ label: 'Tags', kind: vscode.QuickPickItemKind.Separator });
    if (tags.length === 0 && !parts.states) {
      void vscode.window.showInformationMessage('No job has tags yet. Tags are set at submit time and stored in the job comment as tags=a,b.');
      return;
    }
    for (const t of tags) items.push({ label: `$(tag) ${t}`, tag: t, picked: current.tags.includes(t) });
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'Show only jobs with…', canPickMany: true, placeHolder: 'Nothing picked shows every job' });
  if (!picked) return;
  const next: JobFilter = {
    states: parts.states ? picked.map((p) => p.state).filter((s): s is JobState => !!s) : current.states,
    tags: parts.tags ? picked.map((p) => p.tag).filter((t): t is string => !!t) : current.tags,
  };
  applyFilter(ctx, next);
}

export function applyFilter(ctx: JobsContext, f: JobFilter): void {
  ctx.model.setFilter(f);
  const filtered = !isEmptyFilter(f);
  void vscode.commands.executeCommand('setContext', 'remoteHpc.jobs.filtered', filtered);
  ctx.view.message = filtered ? `Filtered — ${describeFilter(f)}` : undefined;
  ctx.view.description = filtered ? 'filtered' : undefined;
}

// --- order ---------------------------------------------------------------------------------

const SORTS: { key: JobSortKey; label: string; detail: string }[] = [
  { key: 'state', label: 'State', detail: 'Running first, then pending, then finished; newest first in each' },
  { key: 'submitTime', label: 'Submit Time', detail: 'Newest submission first' },
  { key: 'name', label: 'Name', detail: 'A to Z, numbers in order (step2 before step10)' },
  { key: 'id', label: 'Job ID', detail: 'Highest (newest) id first' },
];

/** "Sort Jobs By…": a pick of the orders, saved in `remoteHpc.jobs.sortBy` where it is set (else for the user). */
export async function pickJobSort(): Promise<void> {
  const current = readJobSort();
  const picked = await vscode.window.showQuickPick(
    SORTS.map((s) => ({ ...s, description: s.key === current ? 'current' : '', iconPath: new vscode.ThemeIcon(s.key === current ? 'check' : 'blank') })),
    { title: 'Sort Jobs By…', placeHolder: 'The order of the jobs under each host' },
  );
  if (!picked || picked.key === current) return;
  // Where it is set now (the most specific scope), else for the user.
  await updateSetting('jobs.sortBy', picked.key, settingScopes('jobs.sortBy').at(-1)?.target);
}
