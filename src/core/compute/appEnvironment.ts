/**
 * The environment an interactive app starts in, per host (`remoteHpc.interactiveApps.environment`):
 * modules, a conda environment, a venv, or the user's own lines, checked, and turned into shell
 * lines whose names and paths are quoted words. Pure; no `vscode`.
 */
import { quoteArg } from '../ssh/quote';

/** An interactive app setting (a template, an environment) is wrong: `where` names the entry. */
export class AppSettingError extends Error {
  constructor(readonly where: string, reason: string) {
    super(`${where}: ${reason}`);
    this.name = 'AppSettingError';
  }
}

/** A host's environment for its apps (`remoteHpc.interactiveApps.environment[host]`). */
export interface AppEnvironment {
  /** `module load` each, in order. */
  modules?: string[];
  /** A conda environment (name or path), activated with conda's own shell hook. */
  conda?: string;
  /** A Python venv folder (its `bin/activate` is sourced). */
  venv?: string;
  /** Shell lines run as written (the user's own code, e.g. `source ~/setup.sh`). */
  commands?: string[];
}

/** The entry for `host` (`*` overlaid by the host's own), checked; throws AppSettingError. */
export function environmentFor(setting: unknown, host: string): AppEnvironment {
  if (setting === undefined || setting === null) return {};
  if (typeof setting !== 'object' || Array.isArray(setting)) throw new AppSettingError('remoteHpc.interactiveApps.environment', 'must be an object of host aliases');
  const all = setting as Record<string, unknown>;
  const out: AppEnvironment = {};
  for (const key of ['*', host]) {
    const v = all[key];
    if (v === undefined) continue;
    const where = `remoteHpc.interactiveApps.environment["${key}"]`;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AppSettingError(where, 'must be an object with modules, conda, venv or commands');
    const e = v as Record<string, unknown>;
    const extra = Object.keys(e).filter((k) => !['modules', 'conda', 'venv', 'commands'].includes(k));
    if (extra.length) throw new AppSettingError(where, `unknown keys ${extra.join(', ')}`);
    for (const k of ['modules', 'commands'] as const) {
      const list = e[k];
      if (list === undefined) continue;
      // eslint-disable-next-line no-control-regex -- one line each: no control characters
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.trim() !== '' && !/[\x00-\x1f]/.test(x))) throw new AppSettingError(where, `"${k}" must be an array of one-line strings`);
      out[k] = list as string[];
    }
    for (const k of ['conda', 'venv'] as const) {
      const s = e[k];
      if (s === undefined) continue;
      // eslint-disable-next-line no-control-regex -- a name or path: no control characters
      if (typeof s !== 'string' || s.trim() === '' || /[\x00-\x1f]/.test(s)) throw new AppSettingError(where, `"${k}" must be a name or path`);
      out[k] = s;
    }
  }
  return out;
}

/** `~/x` → `"$HOME"/x` quoted, other paths quoted as they are. */
export function quotePath(p: string): string {
  return p === '~' ? '"$HOME"' : p.startsWith('~/') ? `"$HOME"/${quoteArg(p.slice(2))}` : quoteArg(p);
}

/** The environment's shell lines: modules, conda, venv as quoted words; commands as written. */
export function environmentLines(env: AppEnvironment): string[] {
  const lines: string[] = [];
  for (const m of env.modules ?? []) lines.push(`module load ${m.trim().split(/\s+/).map(quoteArg).join(' ')} || exit 1`);
  if (env.conda) lines.push('eval "$(conda shell.bash hook)" || exit 1', `conda activate ${quotePath(env.conda)} || exit 1`);
  if (env.venv) lines.push(`. ${quotePath(env.venv.replace(/\/+$/, ''))}/bin/activate || exit 1`);
  lines.push(...(env.commands ?? []));
  return lines;
}
