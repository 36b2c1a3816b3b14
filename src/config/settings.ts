/**
 * Every `remoteHpc.*` setting, named once with its type. Defaults live in package.json
 * (`contributes.configuration`) and nowhere else: VS Code answers `get` with the contributed
 * default when the user set nothing. Change events come from here too, so a feature subscribes
 * to the keys it reads instead of re-parsing configuration events.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { expandTilde, type ExtraHost } from '../core/ssh/sshConfig';
import type { TransportSetting } from '../core/ssh/transportChoice';
import type { SchedulerChoice } from '../core/jobs/schedulers';
import { SCHEDULER_KINDS } from '../core/scheduler/detect';

export const SECTION = 'remoteHpc';

/** The value type of each setting (as the user may write it: shapes are checked by its reader). */
export interface Settings {
  sshConfigFile: string;
  knownHostsFile: string;
  hosts: ExtraHost[];
  transport: TransportSetting;
  transportByHost: Record<string, TransportSetting>;
  sshPath: string;
  idleTimeoutMinutes: number;
  keepaliveIntervalSeconds: number;
  rememberPasswords: boolean;
  roots: unknown;
  filters: unknown;
  largeFileThresholdMB: number;
  'explorer.pageSize': number;
  'explorer.showHiddenFiles': boolean;
  'explorer.naturalSort': boolean;
  'explorer.sortBy': string;
  'preview.cacheSizeMB': number;
  'preview.thumbnailSize': number;
  'preview.niceLevel': number;
  'preview.heavyWork': unknown;
  'jobs.pollIntervalSeconds': number;
  'jobs.historyDays': number;
  'jobs.notifyStates': unknown;
  'jobs.defaults': unknown;
  'jobs.fetchOutputs.perJobFolder': boolean;
  'jobs.sortBy': string;
  'jobs.timeLeftWarning': number;
  'forwards.openIn': string;
  'forwards.detectServers': boolean;
  'interactiveApps.templates': unknown;
  'interactiveApps.environment': unknown;
  forceSftpFallback: boolean;
  scheduler: SchedulerChoice;
  schedulerByHost: Record<string, SchedulerChoice>;
  pools: unknown;
}

export type SettingKey = keyof Settings;

const KEYS: Record<SettingKey, true> = {
  sshConfigFile: true,
  knownHostsFile: true,
  hosts: true,
  transport: true,
  transportByHost: true,
  sshPath: true,
  idleTimeoutMinutes: true,
  keepaliveIntervalSeconds: true,
  rememberPasswords: true,
  roots: true,
  filters: true,
  largeFileThresholdMB: true,
  'explorer.pageSize': true,
  'explorer.showHiddenFiles': true,
  'explorer.naturalSort': true,
  'explorer.sortBy': true,
  'preview.cacheSizeMB': true,
  'preview.thumbnailSize': true,
  'preview.niceLevel': true,
  'preview.heavyWork': true,
  'jobs.pollIntervalSeconds': true,
  'jobs.historyDays': true,
  'jobs.notifyStates': true,
  'jobs.defaults': true,
  'jobs.fetchOutputs.perJobFolder': true,
  'jobs.sortBy': true,
  'jobs.timeLeftWarning': true,
  'forwards.openIn': true,
  'forwards.detectServers': true,
  'interactiveApps.templates': true,
  'interactiveApps.environment': true,
  forceSftpFallback: true,
  scheduler: true,
  schedulerByHost: true,
  pools: true,
};

/**
 * All keys (without the `remoteHpc.` prefix), for the test that checks them against package.json.
 * @public
 */
export const SETTING_KEYS = Object.keys(KEYS) as SettingKey[];

/** The current value of a setting: the user's, else the default package.json contributes. */
export function setting<K extends SettingKey>(key: K): Settings[K] {
  return vscode.workspace.getConfiguration(SECTION).get<Settings[K]>(key) as Settings[K];
}

/** A file path setting, `~` expanded (the one place that does it); undefined when empty. */
export function pathSetting(key: 'sshConfigFile' | 'knownHostsFile' | 'sshPath'): string | undefined {
  const v = setting(key).trim();
  return v ? expandTilde(v, os.homedir()) : undefined;
}

/** A finite number setting clamped to [min, max]; the contributed default when the value is unusable. */
export function numberSetting(key: { [K in SettingKey]: Settings[K] extends number ? K : never }[SettingKey], min: number, max = Infinity): number {
  const c = vscode.workspace.getConfiguration(SECTION);
  const v = c.get<number>(key);
  const n = typeof v === 'number' && Number.isFinite(v) ? v : (c.inspect<number>(key)?.defaultValue ?? min);
  return Math.min(max, Math.max(min, n));
}

export function updateSetting<K extends SettingKey>(key: K, value: Settings[K] | undefined, target = vscode.ConfigurationTarget.Global): Thenable<void> {
  return vscode.workspace.getConfiguration(SECTION).update(key, value, target);
}

/** Each scope that sets `key` (user, workspace, folder), with its value and its update target. */
export function settingScopes<K extends SettingKey>(key: K): { target: vscode.ConfigurationTarget; label: string; value: Settings[K] }[] {
  const i = vscode.workspace.getConfiguration(SECTION).inspect<Settings[K]>(key);
  const scopes: [Settings[K] | undefined, vscode.ConfigurationTarget, string][] = [
    [i?.globalValue, vscode.ConfigurationTarget.Global, 'user settings'],
    [i?.workspaceValue, vscode.ConfigurationTarget.Workspace, 'workspace settings'],
    [i?.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder, 'folder settings'],
  ];
  return scopes.filter(([v]) => v !== undefined).map(([value, target, label]) => ({ target, label, value: value as Settings[K] }));
}

/** Calls `listener` when any of `keys` (or a key below one, e.g. `jobs` for all `jobs.*`) changes. */
export function onDidChangeSettings(keys: readonly (SettingKey | 'jobs' | 'explorer' | 'preview')[], listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) listener();
  });
}

/** `remoteHpc.schedulerByHost[alias]`, else `remoteHpc.scheduler`, else auto (detected on connect). */
export function schedulerChoice(alias: string): SchedulerChoice {
  const valid = (v: unknown): v is SchedulerChoice => typeof v === 'string' && (v === 'auto' || (SCHEDULER_KINDS as readonly string[]).includes(v));
  const byHost = setting('schedulerByHost') as Record<string, unknown> | undefined;
  const v = byHost && typeof byHost === 'object' ? byHost[alias] : undefined;
  if (valid(v)) return v;
  const all = setting('scheduler');
  return valid(all) ? all : 'auto';
}
