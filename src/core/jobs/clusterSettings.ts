/**
 * Settings that live on the cluster (Slycat's `get_user_config`/`set_user_config`):
 * `~/.config/remote-hpc/settings.json` on the host holds the user's job defaults there, so they
 * follow the user from laptop to desktop. Read on connect (capped in size), merged under the
 * local settings by the caller; saved atomically (temp file + rename), keeping every other key of
 * the file as it was. A file that is not valid JSON (or not an object) is reported and is only
 * replaced when the caller says the user agreed. No `vscode`.
 *
 * The file:
 *     { "version": 1,
 *       "jobs": { "defaults": { "partition": "debug", "account": "proj", "time": "1:00:00",
 *                               "extraArgs": ["--qos=normal"], "mailUser": "me@lab.org", "mailType": ["end", "fail"] } } }
 * One defaults object per file: the file is on one cluster, whatever its alias is on a laptop.
 */
import { posix } from 'node:path';
import type { RemoteOps } from '../remote/types';
import { DEFAULT_KEYS, readEntry, type HostJobDefaults } from './submitOptions';

/** Below the home folder. */
const CLUSTER_SETTINGS_PATH = '.config/remote-hpc/settings.json';
/** A bigger file is not read (nor replaced without asking). */
export const MAX_CLUSTER_SETTINGS_BYTES = 256 * 1024;
const CLUSTER_SETTINGS_VERSION = 1;

export type ClusterSettings =
  | { kind: 'missing'; path: string }
  | { kind: 'ok'; path: string; defaults: HostJobDefaults; /** Keys of jobs.defaults that were dropped (unknown or bad). */ ignored: string[]; raw: Record<string, unknown> }
  | { kind: 'invalid'; path: string; message: string };

type Ops = Pick<RemoteOps, 'home' | 'stat' | 'readFile'>;

export function clusterSettingsPath(home: string): string {
  return posix.join(home, CLUSTER_SETTINGS_PATH);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The file's text read: defaults (bad values dropped and named), or why it cannot be used. */
export function parseClusterSettings(path: string, text: string): ClusterSettings {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    return { kind: 'invalid', path, message: `not valid JSON (${(e as Error).message})` };
  }
  if (!isObject(obj)) return { kind: 'invalid', path, message: 'not a JSON object' };
  if (obj.version !== undefined && obj.version !== CLUSTER_SETTINGS_VERSION) return { kind: 'invalid', path, message: `version ${JSON.stringify(obj.version)} is not ${CLUSTER_SETTINGS_VERSION} (written by a newer Remote HPC?)` };
  const jobs = obj.jobs;
  if (jobs !== undefined && !isObject(jobs)) return { kind: 'invalid', path, message: '"jobs" is not an object' };
  const raw = jobs?.defaults;
  if (raw !== undefined && !isObject(raw)) return { kind: 'invalid', path, message: '"jobs.defaults" is not an object' };
  const defaults = readEntry(raw ?? {});
  const ignored = Object.keys(raw ?? {}).filter((k) => !(k in defaults));
  return { kind: 'ok', path, defaults, ignored, raw: obj };
}

/** Reads the host's settings file (at most {@link MAX_CLUSTER_SETTINGS_BYTES}). */
export async function readClusterSettings(ops: Ops): Promise<ClusterSettings> {
  const path = clusterSettingsPath(await ops.home());
  const [st] = await ops.stat([path]);
  if (!st) return { kind: 'missing', path };
  if (st.type !== 'file') return { kind: 'invalid', path, message: 'not a regular file' };
  if (st.size > MAX_CLUSTER_SETTINGS_BYTES) return { kind: 'invalid', path, message: `${st.size} bytes, more than the ${MAX_CLUSTER_SETTINGS_BYTES} read` };
  const data = await ops.readFile(path, { offset: 0, length: MAX_CLUSTER_SETTINGS_BYTES + 1 });
  if (data.length > MAX_CLUSTER_SETTINGS_BYTES) return { kind: 'invalid', path, message: `more than the ${MAX_CLUSTER_SETTINGS_BYTES} bytes read` };
  return parseClusterSettings(path, data.toString('utf8'));
}

/** Thrown by {@link saveClusterDefaults} when the file there is unusable and replacing it was not agreed. */
export class InvalidClusterSettings extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path} is ${reason}`);
    this.name = 'InvalidClusterSettings';
  }
}

/** Only the known keys, in a stable order (what the file gets). */
function cleanDefaults(d: HostJobDefaults): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of DEFAULT_KEYS) if (d[k] !== undefined) out[k] = d[k];
  return out;
}

/**
 * Writes `defaults` as the host's `jobs.defaults`, keeping the file's other keys. A file that
 * cannot be read as settings is replaced only with `replaceInvalid` (else
 * {@link InvalidClusterSettings}). Atomic: a temp file beside it, renamed over it.
 */
export async function saveClusterDefaults(ops: Ops & Pick<RemoteOps, 'mkdir' | 'writeFileAtomic'>, defaults: HostJobDefaults, opts: { replaceInvalid?: boolean } = {}): Promise<{ path: string; inPlace: boolean }> {
  const current = await readClusterSettings(ops);
  if (current.kind === 'invalid' && !opts.replaceInvalid) throw new InvalidClusterSettings(current.path, current.message);
  const base = current.kind === 'ok' ? current.raw : {};
  const jobs = isObject(base.jobs) ? base.jobs : {};
  const next = { ...base, version: CLUSTER_SETTINGS_VERSION, jobs: { ...jobs, defaults: cleanDefaults(defaults) } };
  await ops.mkdir(posix.dirname(current.path), { recursive: true });
  const out = await ops.writeFileAtomic(current.path, Buffer.from(`${JSON.stringify(next, null, 2)}\n`, 'utf8'), { create: true, overwrite: true });
  return { path: current.path, inPlace: out.inPlace };
}
