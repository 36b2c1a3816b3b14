/**
 * The cluster side of each host's job defaults: `~/.config/remote-hpc/settings.json` read once a
 * host is connected (see src/core/jobs/clusterSettings.ts), kept per host while connected, merged
 * under the local `remoteHpc.jobs.defaults` by {@link hostDefaults} (for job submits and the
 * previews' batch jobs alike); and "Save Defaults to
 * Cluster", which writes the host's effective defaults there (atomically, asking before it
 * replaces a file it cannot read).
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { readClusterSettings, saveClusterDefaults, InvalidClusterSettings, type ClusterSettings } from '../core/jobs/clusterSettings';
import { DEFAULT_KEYS, defaultsFor, mergeDefaults, type DefaultOrigin, type HostJobDefaults } from '../core/jobs/submitOptions';
import type { Logger } from '../core/log';
import type { RemoteOpsProvider } from '../core/remote/types';
import { setting } from './settings';
import { hpcUri } from '../fs/hpcUri';

const read = new Map<string, ClusterSettings>();
/** Reads under way, by host: a submit right after connecting waits for its host's. */
const loading = new Map<string, Promise<void>>();

/** Settles once the host's cluster settings are read (at once when no read is under way). */
export function clusterDefaultsRead(host: string): Promise<void> {
  return loading.get(host) ?? Promise.resolve();
}

/** The cluster's defaults for a connected host ({} until read, or when the file is missing or unusable). */
function clusterDefaults(host: string): HostJobDefaults {
  const s = read.get(host);
  return s?.kind === 'ok' ? s.defaults : {};
}

/** `remoteHpc.jobs.defaults` for one host (`*` overlaid by the host's entry) over the cluster's file, with where each value came from. */
export function hostDefaultsWithOrigin(host: string): { defaults: HostJobDefaults; origin: Partial<Record<keyof HostJobDefaults, DefaultOrigin>> } {
  return mergeDefaults(defaultsFor(setting('jobs.defaults'), host), clusterDefaults(host));
}

/** The host's effective defaults: local settings over the cluster's file. */
export function hostDefaults(host: string): HostJobDefaults {
  return hostDefaultsWithOrigin(host).defaults;
}

const OPEN = 'Open File';

/** Reads a just-connected host's file; says so when it cannot be used. Never rejects. */
export function loadClusterDefaults(remote: RemoteOpsProvider, log: Logger, host: string): Promise<void> {
  const p = readOnce(remote, log, host).finally(() => loading.get(host) === p && loading.delete(host));
  loading.set(host, p);
  return p;
}

async function readOnce(remote: RemoteOpsProvider, log: Logger, host: string): Promise<void> {
  try {
    const s = await readClusterSettings(await remote.ops(host));
    read.set(host, s);
    if (s.kind === 'ok') {
      const keys = Object.keys(s.defaults);
      log.info(`[jobs] ${host}: job defaults from ${s.path}: ${keys.length ? keys.join(', ') : 'none'}`);
      if (s.ignored.length) log.warn(`[jobs] ${host}: ${s.path}: ignored ${s.ignored.join(', ')} (unknown or bad values)`);
    } else if (s.kind === 'invalid') {
      log.warn(`[jobs] ${host}: ${s.path} is ${s.message}; its defaults are not used`);
      void vscode.window.showWarningMessage(`The Remote HPC settings on ${host} (${s.path}) are ${s.message}. Its job defaults are not used until it is fixed.`, OPEN).then((c) => {
        if (c === OPEN) void vscode.window.showTextDocument(hpcUri(host, s.path));
      });
    }
  } catch (e) {
    log.warn(`[jobs] ${host}: cluster settings not read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A host went away: its cluster defaults are read again on the next connect. */
export function forgetClusterDefaults(host: string): void {
  read.delete(host);
}

function describe(d: HostJobDefaults): string {
  const parts = DEFAULT_KEYS.filter((k) => d[k] !== undefined).map((k) => {
    const v = d[k];
    return `${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`;
  });
  return parts.length ? parts.join('\n') : '(none: the file will hold no defaults)';
}

/** "Save Defaults to Cluster": the host's effective defaults written to its settings file. */
export async function saveDefaultsToCluster(remote: RemoteOpsProvider, log: Logger, host: string): Promise<void> {
  const defaults = hostDefaults(host);
  const ops = await remote.ops(host);
  const save = 'Save';
  const ok = await vscode.window.showInformationMessage(`Save these job defaults to ${host}?`, { modal: true, detail: `${describe(defaults)}\n\nThey go to ~/.config/remote-hpc/settings.json there, for every machine you connect from. Local settings still win where they are set.` }, save);
  if (ok !== save) throw new CancelledError();
  let result: { path: string; inPlace: boolean };
  try {
    result = await saveClusterDefaults(ops, defaults);
  } catch (e) {
    if (!(e instanceof InvalidClusterSettings)) throw e;
    const replace = 'Replace File';
    const choice = await vscode.window.showWarningMessage(`${e.path} on ${host} is ${e.reason}.`, { modal: true, detail: 'Replacing it loses what it holds now. Open it to fix it instead?' }, replace, OPEN);
    if (choice === OPEN) {
      await vscode.window.showTextDocument(hpcUri(host, e.path));
      throw new CancelledError();
    }
    if (choice !== replace) throw new CancelledError();
    result = await saveClusterDefaults(ops, defaults, { replaceInvalid: true });
  }
  log.info(`[jobs] ${host}: job defaults saved to ${result.path}${result.inPlace ? ' (in place: its folder is not writable)' : ''}`);
  await loadClusterDefaults(remote, log, host);
  void vscode.window.showInformationMessage(`Job defaults saved to ${result.path} on ${host}.`);
}
