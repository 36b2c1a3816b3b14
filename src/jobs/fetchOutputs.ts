/**
 * "Fetch Outputs": a job's stdout/stderr, the outputs its job file declared, or a folder of the
 * cluster, downloaded into a local folder (by default a `<name>-<id>` folder per job in it) with
 * progress. Files already there are asked about (Overwrite / Skip / Keep Both); files that are not
 * on the cluster are reported, not fatal. The decisions and the writing live in core/jobs.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import { CancelledError } from '../core/cancel';
import { basename, dirname, join } from 'node:path';
import { fetchJobs, planOutputs, remoteLister, type FetchJob } from '../core/jobs/fetchFiles';
import { fetchSummary, jobFolderName, type ConflictAnswer, type ConflictResolver } from '../core/jobs/fetchPlan';
import { formatSize } from '../core/remote/format';
import { setting } from '../config/settings';
import type { JobsContext } from './context';
import { expandOutputs, type ResolvedOutput } from '../core/jobs/outputGlob';
import type { JobTarget } from './targets';
import { jobOps } from './pools';
import { poolOfHost } from '../core/scheduler/poolSpec';

const LAST_FOLDER_KEY = 'remoteHpc.jobs.fetchFolder';

interface WhatItem extends vscode.QuickPickItem {
  what: 'logs' | 'declared' | 'folder';
}

interface Plan {
  target: JobTarget;
  files: ResolvedOutput[];
  missing: string[];
  /** Left out on purpose: folder links leaving the job's folder, loops, odd names. */
  skipped: string[];
}

/** Resolves what to fetch for one job. */
async function planFor(ctx: JobsContext, t: JobTarget, what: Set<WhatItem['what']>, folder: string | undefined): Promise<Plan> {
  const ops = await jobOps(ctx.remote, t);
  const lister = remoteLister(ops);
  const skipped: string[] = [];
  const files: ResolvedOutput[] = [];
  const missing: string[] = [];
  const ids = t.array ? t.array.tasks.map((j) => j.id) : [t.id];
  if (what.has('logs')) {
    const scheduler = ctx.schedulers.scheduler(t.host);
    for (const id of ids) {
      try {
        const paths = await scheduler.outputPaths(id);
        for (const p of [paths.stdout, paths.stderr].filter((x): x is string => !!x)) {
          const st = await lister.stat(p);
          if (st && !st.isDir) files.push({ remote: p, relative: posix.basename(p), ...(st.size !== undefined ? { size: st.size } : {}) });
          else missing.push(`${p}${paths.guessed ? ' (default name: the job may have written elsewhere)' : ''}`);
        }
      } catch (e) {
        missing.push(`output of job ${id}: ${(e as Error).message}`);
      }
    }
  }
  if (what.has('declared')) {
    const rec = ctx.records.get(t.host, t.id);
    if (rec?.outputs.length) {
      const r = await planOutputs(ops, rec.workdir, rec.outputs);
      files.push(...r.files);
      skipped.push(...r.skipped);
      missing.push(...r.missing.map((m) => `${m} (in ${rec.workdir})`));
      if (r.truncated) missing.push(`… more than ${r.files.length} files matched: the rest were left out`);
    }
  }
  if (what.has('folder') && folder) {
    const r = await expandOutputs('/', [folder], lister);
    files.push(...r.files.map((f) => ({ ...f, relative: posix.relative(posix.dirname(folder), f.remote) })));
    missing.push(...r.missing);
    skipped.push(...r.skipped);
  }
  const seen = new Set<string>();
  return { target: t, files: files.filter((f) => !seen.has(f.remote) && seen.add(f.remote)), missing, skipped };
}

export async function fetchOutputs(ctx: JobsContext, targets: JobTarget[]): Promise<void> {
  if (targets.length === 0) return;
  const single = targets.length === 1 ? targets[0] : undefined;
  const declared = targets.some((t) => (ctx.records.get(t.host, t.id)?.outputs.length ?? 0) > 0);
  const items: WhatItem[] = [
    { what: 'logs', label: '$(output) Standard output and error', picked: true },
    ...(declared ? [{ what: 'declared' as const, label: '$(file-submodule) Declared outputs', description: 'from the job file', picked: true }] : []),
    ...(single ? [{ what: 'folder' as const, label: '$(folder) A folder on the cluster…', description: single.job?.workDir ?? '' }] : []),
  ];
  // Steps of one flow (what, the folder, where to): kept open when focus moves, as the explorer's
  // multi-step inputs are; a pick closed by a stray focus change would lose the choices made.
  const picked = await vscode.window.showQuickPick(items, { title: `Fetch outputs of ${single ? `job ${single.id}` : `${targets.length} jobs`}`, canPickMany: true, ignoreFocusOut: true });
  if (!picked?.length) throw new CancelledError();
  const what = new Set(picked.map((p) => p.what));
  let folder: string | undefined;
  if (what.has('folder') && single) {
    const start = single.job?.workDir || (poolOfHost(single.host) !== undefined ? await (await jobOps(ctx.remote, single)).home() : await ctx.schedulers.home(single.host));
    const v = await vscode.window.showInputBox({ title: 'Folder on the cluster to fetch', value: start, ignoreFocusOut: true, validateInput: (s) => (posix.isAbsolute(s.trim()) ? undefined : 'An absolute path') });
    if (v === undefined) throw new CancelledError();
    folder = posix.normalize(v.trim());
  }
  const last = ctx.state.get<string>(LAST_FOLDER_KEY);
  const defaultUri = last ? vscode.Uri.file(last) : vscode.workspace.workspaceFolders?.[0]?.uri;
  const dest = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Fetch Here', title: 'Local folder for the outputs', ...(defaultUri ? { defaultUri } : {}) });
  const destDir = dest?.[0]?.fsPath;
  if (!destDir) throw new CancelledError();
  await ctx.state.update(LAST_FOLDER_KEY, destDir);

  const perJobFolder = setting('jobs.fetchOutputs.perJobFolder') !== false;
  const { plans, result } = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Fetching outputs', cancellable: true }, async (progress, token) => {
    progress.report({ message: 'finding files…' });
    const plans: Plan[] = [];
    const jobs: FetchJob[] = [];
    for (const t of targets) {
      if (token.isCancellationRequested) throw new CancelledError();
      const p = await planFor(ctx, t, what, folder);
      plans.push(p);
      jobs.push({ ops: await jobOps(ctx.remote, t), id: t.id, name: jobName(ctx, t), files: p.files });
    }
    const totalBytes = plans.reduce((n, p) => n + p.files.reduce((m, f) => m + (f.size ?? 0), 0), 0);
    let doneBytes = 0;
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const result = await fetchJobs(destDir, jobs, {
        perJobFolder,
        resolve: askConflict,
        signal: abort.signal,
        onFile: (local) => progress.report({ message: `${local}${totalBytes ? ` (${formatSize(doneBytes)} of ${formatSize(totalBytes)})` : ''}` }),
        onBytes: (n) => {
          doneBytes += n;
          if (totalBytes) progress.report({ increment: (n / totalBytes) * 100 });
        },
      });
      return { plans, result };
    } finally {
      sub.dispose();
    }
  });

  for (const m of result.notes) ctx.log.info(`[jobs] fetch outputs: ${m}`);
  const missing = plans.flatMap((p) => p.missing);
  const skipped = plans.flatMap((p) => p.skipped);
  for (const m of [...missing, ...skipped, ...result.failed]) ctx.log.warn(`[jobs] fetch outputs: ${m}`);
  const problems = [...missing.map((m) => `missing ${m}`), ...skipped.map((m) => `skipped ${m}`), ...result.failed];
  // One job in its own folder: name that folder (and reveal it).
  const shown = single && perJobFolder ? join(destDir, jobFolderName(jobName(ctx, single), single.id)) : destDir;
  const msg = fetchSummary(result.counts, shown, result.cancelled);
  const actions = ['Reveal Folder', ...(problems.length || result.notes.length ? ['Show Log'] : [])];
  const show = problems.length
    ? vscode.window.showWarningMessage(`${msg} ${problems.length} not fetched: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`, ...actions)
    : vscode.window.showInformationMessage(msg, ...actions);
  void show.then((choice) => {
    if (choice === 'Reveal Folder') void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(shown));
    else if (choice === 'Show Log') void vscode.commands.executeCommand('remoteHpc.showLog');
  });
}

function jobName(ctx: JobsContext, t: JobTarget): string | undefined {
  return t.job?.name ?? t.array?.tasks[0]?.name ?? ctx.records.get(t.host, t.id)?.name;
}

const CHOICES: Record<string, ConflictAnswer> = {
  Overwrite: { choice: 'overwrite' },
  Skip: { choice: 'skip' },
  'Keep Both': { choice: 'keepBoth' },
  'Overwrite All': { choice: 'overwrite', toAll: true },
  'Skip All': { choice: 'skip', toAll: true },
  'Keep Both for All': { choice: 'keepBoth', toAll: true },
};

/** The explorer's question for a file that is already there; with several left, "… All" answers too. */
const askConflict: ConflictResolver = async (c, index, total) => {
  const left = total - index;
  const buttons = ['Overwrite', 'Skip', 'Keep Both', ...(left > 1 ? ['Overwrite All', 'Skip All', 'Keep Both for All'] : [])];
  const detail = `Fetching ${c.remote}.${left > 1 ? ` ${left} files to fetch are already there; "… All" answers for all of them.` : ''} Keep Both saves the new one as "name (1)".`;
  const choice = await vscode.window.showWarningMessage(`"${basename(c.local)}" already exists in ${dirname(c.local)}. Overwrite it?`, { modal: true, detail }, ...buttons);
  return choice === undefined ? undefined : CHOICES[choice];
};
