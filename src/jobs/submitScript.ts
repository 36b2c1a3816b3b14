/**
 * "Submit Job" on a batch script on the cluster: `sbatch --parsable` in the script's folder, with
 * the host's defaults and the script's own `#SBATCH` lines shown in a quick pick where any of
 * them can be changed before submitting.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';
import { CancelledError } from '../core/cancel';
import { isBatchScriptPath } from '../core/remote/fileKinds';
import { splitShellWords } from '../core/scheduler/shellWords';
import { MAIL_EVENTS, type MailEvent, type Partition, type Scheduler, type ScriptDirectives } from '../core/scheduler/types';
import { partitionDescription } from '../core/jobs/partitions';
import { SchedulerError, SpecError } from '../core/scheduler/command';
import { hpcUri } from '../fs/hpcUri';
import type { JobsContext } from './context';
import { clusterDefaultsRead, hostDefaults, hostDefaultsWithOrigin } from '../config/clusterDefaults';
import {
  type DefaultOrigin,
  checkDependency,
  checkExtraArgs,
  checkTime,
  parseNice,
  parseTags,
  resolveSubmit,
  scriptOnlyText,
  scriptSubmitSpec,
  submitWords,
  timeLimitText,
  type Resolved,
  type SubmitOverrides,
} from '../core/jobs/submitOptions';
import { pickHost } from './targets';
import { locationOfArg } from '../core/remote/commandTarget';

export interface ScriptTarget {
  host: string;
  path: string;
}

const LAST_SCRIPT_KEY = 'remoteHpc.jobs.lastScript';

/** A script target from a command argument: an `hpc:` URI or a Remote Explorer entry. */
export const scriptTargetOf: (arg: unknown) => ScriptTarget | undefined = locationOfArg;

/** Asks for a script path on a connected host (palette use without an open script). */
export async function askScript(ctx: JobsContext): Promise<ScriptTarget> {
  const last = ctx.state.get<ScriptTarget>(LAST_SCRIPT_KEY);
  const host = await pickHost(ctx, 'Submit a batch script on', last?.host);
  const home = await ctx.schedulers.home(host).catch(() => '/');
  const start = last?.host === host ? last.path : `${home.replace(/\/$/, '')}/`;
  const path = await vscode.window.showInputBox({
    title: `Submit Job on ${host}`,
    prompt: 'Path of the batch script on the cluster',
    value: start,
    valueSelection: last?.host === host ? undefined : [start.length, start.length],
    validateInput: (v) => (v.trim() === '' ? 'Enter a path' : !posix.isAbsolute(v.trim()) && !v.trim().startsWith('~/') ? 'Use an absolute path or one starting with ~/' : v.endsWith('/') ? 'That is a folder: add the script name' : undefined),
  });
  if (path === undefined) throw new CancelledError();
  const p = path.trim().startsWith('~/') ? posix.join(home, path.trim().slice(2)) : path.trim();
  return { host, path: posix.normalize(p) };
}

/**
 * The partitions of the cluster (sinfo) to pick from: a name, '' for the cluster default, 'type' to
 * type one (also when the cluster cannot list them), undefined when dismissed.
 */
export async function pickPartition(title: string, current: string | undefined, partitions: () => Promise<Partition[]>): Promise<string | undefined> {
  const list = await partitions().catch(() => []);
  if (list.length === 0) return 'type';
  const items = [
    ...list.map((p) => ({ label: `${p.up ? '$(server)' : '$(warning)'} ${p.name}${p.isDefault ? ' (default)' : ''}`, description: partitionDescription(p), value: p.name, picked: p.name === current })),
    { label: '$(circle-slash) Cluster default', description: 'Name none: the script\'s, or the cluster\'s default', value: '' },
    { label: '$(edit) Type a name…', description: '', value: 'type' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: `Partition${current ? ` (now ${current})` : ''}`, matchOnDescription: true, ignoreFocusOut: true });
  return picked?.value;
}

interface OptionItem extends vscode.QuickPickItem {
  key: 'submit' | 'name' | 'partition' | 'account' | 'time' | 'dependency' | 'tags' | 'nice' | 'extra' | 'mail' | 'hold';
}

/** Where a value shown in the pick comes from; a host default says whether it is local or the cluster's. */
function sourceText<T>(r: Resolved<T>, origin?: DefaultOrigin): string {
  if (r.source === 'default') return origin === 'cluster' ? 'from the cluster' : 'host default';
  return r.source === 'you' ? 'changed' : r.source === 'script' ? 'from the script' : '';
}

/** Mail events as the pick shows them (`end, fail`), or as the script wrote them. */
function mailText(v: MailEvent[] | string | undefined): string | undefined {
  return Array.isArray(v) ? (v.length ? v.join(', ') : undefined) : v;
}

function show(v: string | number | string[] | undefined): string {
  if (v === undefined || (Array.isArray(v) && v.length === 0) || v === '') return '—';
  return Array.isArray(v) ? v.join(' ') : String(v);
}

/**
 * The options quick pick: "Submit" first (Enter submits as shown), every option below it with
 * its value and where it comes from. Picking an option edits it and comes back here.
 */
async function chooseOptions(title: string, host: string, scheduler: Scheduler, directives: ScriptDirectives, before: SubmitOverrides, partitions: () => Promise<Partition[]>): Promise<SubmitOverrides> {
  const { defaults, origin } = hostDefaultsWithOrigin(host);
  const words = submitWords(scheduler.kind);
  const overrides: SubmitOverrides = { ...before };
  for (;;) {
    const r = resolveSubmit(defaults, directives, overrides);
    const time = r.time.value !== undefined ? timeLimitText(r.time.value) : undefined;
    const summary = [r.partition.value, time, r.account.value].filter(Boolean).join(' · ');
    const scriptOnly = scriptOnlyText(directives);
    const detail = [r.hold ? 'held: release it from the Jobs view' : '', scriptOnly ? `the script also sets ${scriptOnly}` : ''].filter(Boolean).join(' · ');
    const items: OptionItem[] = [
      { key: 'submit', label: '$(rocket) Submit', description: summary, detail: detail || undefined, alwaysShow: true },
      { key: 'partition', label: `$(server) ${words.queue}`, description: `${show(r.partition.value)}  ${sourceText(r.partition, origin.partition)}` },
      { key: 'time', label: '$(watch) Time limit', description: `${show(time)}  ${sourceText(r.time, origin.time)}` },
      { key: 'dependency', label: '$(git-merge) Dependency', description: `${show(r.dependency.value)}  ${sourceText(r.dependency)}` },
      { key: 'account', label: '$(account) Account', description: `${show(r.account.value)}  ${sourceText(r.account, origin.account)}` },
      { key: 'name', label: '$(symbol-string) Job name', description: `${show(r.name.value)}  ${sourceText(r.name)}` },
      { key: 'tags', label: '$(tag) Tags', description: `${show(r.tags.value)}  ${sourceText(r.tags)}` },
      { key: 'nice', label: '$(arrow-down) Nice', description: `${show(r.nice.value)}  ${sourceText(r.nice)}` },
      { key: 'extra', label: `$(tools) Extra ${words.program} options`, description: `${show(r.extraArgs.value)}  ${sourceText(r.extraArgs, origin.extraArgs)}` },
      { key: 'mail', label: '$(mail) Mail', description: `${show([r.mailUser.value, mailText(r.mailType.value)].filter(Boolean).join(' on ') || undefined)}  ${sourceText(r.mailType.source ? r.mailType : r.mailUser, origin.mailType ?? origin.mailUser)}` },
      { key: 'hold', label: r.hold ? '$(pass-filled) Submit held' : '$(circle-large-outline) Submit held', description: r.hold ? 'on' : 'off' },
    ];
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Enter submits; pick an option to change it', matchOnDescription: true, ignoreFocusOut: true });
    if (!picked) throw new CancelledError();
    if (picked.key === 'submit') return overrides;
    const ask = async (prompt: string, value: string, validate?: (v: string) => string | undefined) => {
      const v = await vscode.window.showInputBox({ title, prompt, value, validateInput: validate, ignoreFocusOut: true });
      return v;
    };
    switch (picked.key) {
      case 'partition': {
        const picked = await pickPartition(title, r.partition.value, partitions);
        if (picked !== 'type') {
          if (picked !== undefined) overrides.partition = picked || undefined;
          break;
        }
        const v = await ask(`${words.queue} (empty: the script's or the cluster default)`, r.partition.value ?? '', (s) => (/[\s,]/.test(s.trim()) ? `One ${words.queue.toLowerCase()} name` : undefined));
        if (v !== undefined) overrides.partition = v.trim() || undefined;
        break;
      }
      case 'time': {
        const v = await ask('Time limit: minutes, HH:MM:SS or D-HH:MM:SS', r.time.value ?? '', (s) => checkTime(s, scheduler));
        if (v !== undefined) overrides.time = v.trim() && !checkTime(v, scheduler) ? v.trim() : undefined;
        break;
      }
      case 'dependency': {
        const v = await ask('Start after other jobs, e.g. afterok:123 (empty: the script\'s, if any)', r.dependency.value ?? '', checkDependency);
        if (v !== undefined) overrides.dependency = v.trim() || undefined;
        break;
      }
      case 'account': {
        const v = await ask('Account to charge', r.account.value ?? '', (s) => (/\s/.test(s.trim()) ? 'One account name' : undefined));
        if (v !== undefined) overrides.account = v.trim() || undefined;
        break;
      }
      case 'name': {
        const v = await ask('Job name', r.name.value ?? '', (s) => (/[\n\r]/.test(s) ? 'One line' : undefined));
        if (v !== undefined) overrides.name = v.trim() || undefined;
        break;
      }
      case 'tags': {
        const v = await ask('Tags, separated by commas or spaces (stored in --comment as tags=…)', (r.tags.value ?? []).join(', '), (s) => parseTags(s).error);
        if (v !== undefined) overrides.tags = parseTags(v).tags;
        break;
      }
      case 'nice': {
        const v = await ask('Nice value (positive lowers the priority)', r.nice.value === undefined ? '' : String(r.nice.value), (s) => parseNice(s).error);
        if (v !== undefined) overrides.nice = parseNice(v).nice;
        break;
      }
      case 'extra': {
        const v = await ask(`Further ${words.program} options, e.g. ${words.example}`, (r.extraArgs.value ?? []).join(' '), checkExtraArgs);
        if (v !== undefined) overrides.extraArgs = splitShellWords(v);
        break;
      }
      case 'mail': {
        const mail = await pickMail(title, r.mailType.value);
        if (mail === undefined) break;
        overrides.mailType = mail;
        if (mail.length === 0) break;
        const v = await ask('Mail to (empty: the scheduler\'s default, usually you)', r.mailUser.value ?? '', (s) => (/[\s,]/.test(s.trim()) ? 'One address' : undefined));
        if (v !== undefined) overrides.mailUser = v.trim();
        break;
      }
      case 'hold':
        overrides.hold = !r.hold;
        break;
    }
  }
}

/** When job mail is sent: a multi-select of begin, end, fail; [] for none; undefined when dismissed. */
async function pickMail(title: string, current: MailEvent[] | string | undefined): Promise<MailEvent[] | undefined> {
  const now = Array.isArray(current) ? current : (current ?? '').toLowerCase().split(',');
  const picked = await vscode.window.showQuickPick(
    MAIL_EVENTS.map((e) => ({ label: e, value: e, picked: now.includes(e) || (e === 'end' && now.includes('all')) })),
    { title, placeHolder: 'Send mail when the job… (none picked: no mail)', canPickMany: true, ignoreFocusOut: true },
  );
  return picked?.map((p) => p.value);
}

/** The script's directive lines, read by the host's scheduler (which is detected first). */
async function readScript(ctx: JobsContext, host: string, path: string): Promise<{ scheduler: Scheduler; directives: ScriptDirectives }> {
  const ops = await ctx.remote.ops(host);
  const [st] = await ops.stat([path]);
  if (!st) throw new Error(`${path} does not exist on ${host}`);
  if (st.type === 'directory') throw new Error(`${path} is a folder, not a batch script`);
  const head = await ops.readFile(path, { offset: 0, length: Math.min(st.size, 256 * 1024) });
  await Promise.all([ctx.schedulers.detect(host), clusterDefaultsRead(host)]);
  const scheduler = ctx.schedulers.scheduler(host);
  return { scheduler, directives: scheduler.readDirectives(head.toString('utf8')) };
}

/**
 * Submits a script with given options and no questions (tasks, the extension API): the same
 * options, defaults and directive handling as Submit Job's pick, as if the user had picked them.
 */
export async function submitScriptWith(ctx: JobsContext, target: ScriptTarget, overrides: SubmitOverrides): Promise<string> {
  const { scheduler, directives } = await readScript(ctx, target.host, target.path);
  const spec = scriptSubmitSpec(target.path, posix.dirname(target.path), resolveSubmit(hostDefaults(target.host), directives, overrides), directives);
  const res = await scheduler.submit(spec);
  ctx.log.info(`[jobs] submitted ${target.path} on ${target.host}: job ${res.id}`);
  void ctx.controller.track(target.host, [res.id]).catch((e: unknown) => ctx.log.debug(`[jobs] track ${res.id}: ${String(e)}`));
  return res.id;
}

/** Submits a batch script on the cluster; returns the new job id. */
export async function submitScript(ctx: JobsContext, target: ScriptTarget): Promise<string> {
  const { host, path } = target;
  const name = posix.basename(path);
  if (!isBatchScriptPath(name)) ctx.log.debug(`[jobs] submitting ${name}, which has no batch-script extension`);
  await ctx.state.update(LAST_SCRIPT_KEY, target);
  // Dirty editor content is not on the cluster yet: sbatch would run the saved file.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === hpcUri(host, path).toString());
  if (open?.isDirty) {
    const choice = await vscode.window.showWarningMessage(`${name} has unsaved changes. The scheduler submits the saved file.`, { modal: true }, 'Save and Submit', 'Submit Saved Version');
    if (!choice) throw new CancelledError();
    if (choice === 'Save and Submit' && !(await open.save())) throw new Error(`Could not save ${name}`);
  }
  const { scheduler, directives } = await readScript(ctx, host, path);
  let overrides: SubmitOverrides = {};
  for (;;) {
    overrides = await chooseOptions(`Submit ${name} on ${host}`, host, scheduler, directives, overrides, () => ctx.partitions.get(host));
    const resolved = resolveSubmit(hostDefaults(host), directives, overrides);
    try {
      const spec = scriptSubmitSpec(path, posix.dirname(path), resolved, directives);
      const res = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Submitting ${name} on ${host}…` }, () =>
        scheduler.submit(spec),
      );
      ctx.log.info(`[jobs] submitted ${path} on ${host}: job ${res.id}`);
      announceSubmitted(ctx, host, res.id, resolved.name.value ?? name, resolved.hold);
      return res.id;
    } catch (e) {
      await offerEditAndRetry(ctx, name, e);
    }
  }
}

const EDIT_AND_RETRY = 'Edit and Retry';

/**
 * A submit the scheduler (or our own spec check) refused: says why, with "Edit and Retry" back to
 * the options as the user left them. Returns when they want to retry; throws otherwise (a
 * cancellation once the message is shown, so it is not shown twice).
 */
async function offerEditAndRetry(ctx: JobsContext, name: string, e: unknown): Promise<void> {
  const refused = (e instanceof SchedulerError && e.kind === 'rejected') || e instanceof SpecError;
  if (!refused) throw e;
  ctx.log.warn(`[jobs] submit of ${name} refused: ${e.message}`);
  const choice = await vscode.window.showErrorMessage(`${name} was not submitted: ${e.message.split('\n')[0]}`, EDIT_AND_RETRY);
  if (choice !== EDIT_AND_RETRY) throw new CancelledError();
}

/**
 * After any submit: watch the job at once, and say so with the ways to follow it — in a
 * notification, and in the status bar for a minute, where end notices cannot bury it.
 */
export function announceSubmitted(ctx: JobsContext, host: string, id: string, name: string, held = false): void {
  void ctx.controller.track(host, [id]).catch((e: unknown) => ctx.log.debug(`[jobs] track ${id}: ${String(e)}`));
  const text = held ? `Submitted job ${id} (held): ${name} on ${host}. Release it from the Jobs view.` : `Submitted job ${id} (${name}) on ${host}.`;
  vscode.window.setStatusBarMessage(`$(rocket) Submitted job ${id}${held ? ' (held)' : ''} on ${host}`, 60_000);
  void vscode.window.showInformationMessage(text, 'Show in Jobs', 'Tail Output').then((choice) => {
    if (choice === 'Show in Jobs') void vscode.commands.executeCommand('remoteHpc.jobs.reveal', { host, id });
    else if (choice === 'Tail Output') void vscode.commands.executeCommand('remoteHpc.jobs.tailOutput', { host, id });
  });
}
