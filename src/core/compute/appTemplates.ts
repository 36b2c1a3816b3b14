/**
 * Interactive app templates (Jupyter Lab, TensorBoard, a site's own): data, not code. A template
 * is a batch script with placeholders, a readiness pattern that finds the line where the server
 * says it is up (and its port), and default resources. Built-in ones plus the user's or site's
 * from `remoteHpc.interactiveApps.templates`, each checked with a message that says what is wrong.
 * Rendering quotes every value with the one shell quoting helper; the user's environment (module
 * loads, a conda or venv path: ./appEnvironment) becomes lines built from quoted words. Pure; no `vscode`.
 */
import { quoteArg } from '../ssh/quote';
import { isGpuCount, isMemory } from '../scheduler/formats';
import { AppSettingError, environmentLines, quotePath, type AppEnvironment } from './appEnvironment';

/** Values a template's script can name; each is substituted as one shell-quoted word. */
const VALUE_PLACEHOLDERS = ['port', 'token', 'folder', 'jobDir'] as const;
type ValuePlaceholder = (typeof VALUE_PLACEHOLDERS)[number];
/** `{environment}`: the user's environment lines for the host (alone on its line). */
const ENV_PLACEHOLDER = 'environment';

export interface AppResources {
  partition?: string;
  account?: string;
  /** As the scheduler takes it (`30`, `1:00:00`). */
  time?: string;
  cpus?: number;
  mem?: string;
  gpus?: string;
}

export interface AppTemplate {
  /** Short id (`jupyter-lab`), also the job name's tail. */
  id: string;
  /** What the pickers show. */
  name: string;
  description?: string;
  /** The batch script's body (bash), lines joined by newlines. */
  script: string;
  /**
   * Matches the line where the server says it is ready; its named group `port` (else the
   * placeholder's port) and `path` (else {@link AppTemplate.path}) give what to open.
   */
  ready: RegExp;
  /** Path to open (`/lab`); default `/`. */
  path: string;
  /** The token is appended to the opened URL as this query parameter (Jupyter: `token`); none when absent. */
  tokenParam?: string;
  /** The template needs a folder ({folder}): asked for, or the Explorer folder it was started on. */
  needsFolder: boolean;
  /** Seconds from the job running to the readiness line (default 180). */
  readySeconds: number;
  resources: AppResources;
  builtIn: boolean;
}

/** What a user writes in `remoteHpc.interactiveApps.templates` (one entry). */
interface AppTemplateSetting {
  id?: unknown;
  name?: unknown;
  description?: unknown;
  script?: unknown;
  ready?: unknown;
  path?: unknown;
  tokenParam?: unknown;
  readySeconds?: unknown;
  resources?: unknown;
}

const JUPYTER_LAB: AppTemplate = {
  id: 'jupyter-lab',
  name: 'Jupyter Lab',
  description: 'Your own jupyter (from the host\'s environment setting), with a random token',
  script: [
    '{environment}',
    '# The token reaches Jupyter through its environment, never its command line.',
    'export JUPYTER_TOKEN={token}',
    'cd {folder} || exit 1',
    'exec jupyter lab --no-browser --ip=0.0.0.0 --port={port} --ServerApp.port_retries=0',
  ].join('\n'),
  ready: /https?:\/\/[A-Za-z0-9._-]+:(?<port>\d{1,5})\/lab\b/,
  path: '/lab',
  tokenParam: 'token',
  needsFolder: true,
  readySeconds: 180,
  resources: { time: '1:00:00', cpus: 1 },
  builtIn: true,
};

const TENSORBOARD: AppTemplate = {
  id: 'tensorboard',
  name: 'TensorBoard',
  description: 'TensorBoard on a folder of event files (it has no login: anyone who can reach the node can read it)',
  script: ['{environment}', 'exec tensorboard --logdir {folder} --host 0.0.0.0 --port {port}'].join('\n'),
  ready: /TensorBoard\b.*\bat https?:\/\/[A-Za-z0-9._-]+:(?<port>\d{1,5})\//,
  path: '/',
  needsFolder: true,
  readySeconds: 180,
  resources: { time: '1:00:00', cpus: 1 },
  builtIn: true,
};

export const BUILT_IN_APPS: readonly AppTemplate[] = [JUPYTER_LAB, TENSORBOARD];

/** `{{` and `}}` are literal braces; `${NAME}` is the shell's, not a placeholder. */
const PLACEHOLDER = /\{\{|\}\}|(?<!\$)\{([A-Za-z]+)\}/g;

/**
 * Where each placeholder of `script` stands; throws for an unknown one, `{environment}` not
 * alone on its line, or a value placeholder inside quotes (it is quoted already: `"{folder}"`
 * would keep the quotes as characters).
 */
function checkScript(where: string, script: string): void {
  script.split('\n').forEach((line, i) => {
    const at = `${where}, script line ${i + 1}`;
    let quote: '"' | "'" | undefined;
    for (let k = 0; k < line.length; k++) {
      const c = line[k] as string;
      if (quote) {
        if (c === quote) quote = undefined;
        else if (c === '\\' && quote === '"') k++;
        else if (line.startsWith('{{', k)) k++;
        else if (c === '{' && line[k - 1] !== '$') {
          const name = /^\{([A-Za-z]+)\}/.exec(line.slice(k))?.[1];
          if (name === ENV_PLACEHOLDER || (VALUE_PLACEHOLDERS as readonly string[]).includes(name ?? '')) throw new AppSettingError(at, `{${name}} is inside quotes; write it bare: its value is shell-quoted for you`);
        }
        continue;
      }
      if (c === '\\') k++;
      else if (c === "'" || c === '"') quote = c;
    }
    for (const m of line.matchAll(PLACEHOLDER)) {
      const name = m[1];
      if (name === undefined) continue;
      if (name === ENV_PLACEHOLDER) {
        if (line.trim() !== '{environment}') throw new AppSettingError(at, '{environment} must be alone on its line (it becomes several lines)');
      } else if (!(VALUE_PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new AppSettingError(at, `unknown placeholder {${name}} (known: ${[...VALUE_PLACEHOLDERS, ENV_PLACEHOLDER].map((p) => `{${p}}`).join(' ')}; a literal brace is {{ or }})`);
      }
    }
  });
}

/** Does the script name this placeholder? */
function names(script: string, name: string): boolean {
  return [...script.matchAll(PLACEHOLDER)].some((m) => m[1] === name);
}

const ID_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;
const MAX_SCRIPT = 16 * 1024;
const MAX_PATTERN = 500;

function str(where: string, key: string, v: unknown, opts: { required?: boolean; max?: number } = {}): string | undefined {
  if (v === undefined && !opts.required) return undefined;
  if (typeof v !== 'string' || (opts.required && v.trim() === '')) throw new AppSettingError(where, `"${key}" must be ${opts.required ? 'a non-empty ' : 'a '}string`);
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (key !== 'script' && /[\x00-\x1f\x7f]/.test(v)) throw new AppSettingError(where, `"${key}" has a control character`);
  if (v.includes('\0')) throw new AppSettingError(where, `"${key}" has a NUL byte`);
  if (opts.max !== undefined && v.length > opts.max) throw new AppSettingError(where, `"${key}" is longer than ${opts.max} characters`);
  return v;
}

/** A readiness pattern from text: a valid regular expression, not too long. */
function readyPattern(where: string, source: string): RegExp {
  if (source.length > MAX_PATTERN) throw new AppSettingError(where, `"ready" is longer than ${MAX_PATTERN} characters`);
  try {
    return new RegExp(source);
  } catch (e) {
    throw new AppSettingError(where, `"ready" is not a valid regular expression (${(e as Error).message})`);
  }
}

function resourcesOf(where: string, v: unknown): AppResources {
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AppSettingError(where, '"resources" must be an object');
  const r = v as Record<string, unknown>;
  const known = ['partition', 'account', 'time', 'cpus', 'mem', 'gpus'];
  const extra = Object.keys(r).filter((k) => !known.includes(k));
  if (extra.length) throw new AppSettingError(where, `"resources" has unknown keys ${extra.join(', ')} (known: ${known.join(', ')})`);
  const out: AppResources = {};
  for (const k of ['partition', 'account'] as const) {
    const s = str(where, `resources.${k}`, r[k], { max: 100 });
    if (s !== undefined && !/^[A-Za-z0-9_.-]+$/.test(s)) throw new AppSettingError(where, `"resources.${k}" must be one name`);
    if (s) out[k] = s;
  }
  const time = str(where, 'resources.time', r.time, { max: 20 });
  if (time !== undefined && !/^(\d+|\d+:\d{1,2}(:\d{1,2})?|\d+-\d+(:\d{1,2}){0,2})$/.test(time)) throw new AppSettingError(where, '"resources.time" must be minutes, HH:MM:SS or D-HH:MM:SS');
  if (time) out.time = time;
  if (r.cpus !== undefined) {
    if (typeof r.cpus !== 'number' || !Number.isInteger(r.cpus) || r.cpus < 1 || r.cpus > 100_000) throw new AppSettingError(where, '"resources.cpus" must be a whole number ≥ 1');
    out.cpus = r.cpus;
  }
  const mem = str(where, 'resources.mem', r.mem, { max: 20 });
  if (mem !== undefined && !isMemory(mem)) throw new AppSettingError(where, '"resources.mem" must be like 500M or 4G');
  if (mem) out.mem = mem;
  const gpus = str(where, 'resources.gpus', r.gpus, { max: 40 });
  if (gpus !== undefined && !isGpuCount(gpus)) throw new AppSettingError(where, '"resources.gpus" must be a count or type:count');
  if (gpus) out.gpus = gpus;
  return out;
}

/** One user or site template checked; AppSettingError says what is wrong and where. */
export function parseAppTemplate(raw: unknown, index: number): AppTemplate {
  let where = `remoteHpc.interactiveApps.templates[${index}]`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AppSettingError(where, 'must be an object with "id", "name", "script" and "ready"');
  const s = raw as AppTemplateSetting;
  const id = str(where, 'id', s.id, { required: true, max: 40 }) as string;
  if (!ID_RE.test(id)) throw new AppSettingError(where, '"id" must be lowercase letters, digits and dashes (at most 40)');
  where = `remoteHpc.interactiveApps.templates "${id}"`;
  const known = ['id', 'name', 'description', 'script', 'ready', 'path', 'tokenParam', 'readySeconds', 'resources'];
  const extra = Object.keys(s).filter((k) => !known.includes(k));
  if (extra.length) throw new AppSettingError(where, `unknown keys ${extra.join(', ')}`);
  const name = str(where, 'name', s.name, { required: true, max: 60 }) as string;
  const description = str(where, 'description', s.description, { max: 200 });
  const scriptRaw = s.script;
  const script = Array.isArray(scriptRaw) && scriptRaw.every((l) => typeof l === 'string') ? scriptRaw.join('\n') : str(where, 'script', scriptRaw, { required: true });
  if (!script || script.trim() === '') throw new AppSettingError(where, '"script" must be a non-empty string or array of lines');
  if (script.length > MAX_SCRIPT) throw new AppSettingError(where, `"script" is longer than ${MAX_SCRIPT} characters`);
  if (script.includes('\0')) throw new AppSettingError(where, '"script" has a NUL byte');
  checkScript(where, script);
  if (!names(script, 'port')) throw new AppSettingError(where, '"script" must start the server on {port}');
  const ready = readyPattern(where, str(where, 'ready', s.ready, { required: true }) as string);
  const path = str(where, 'path', s.path, { max: 200 }) ?? '/';
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/.test(path)) throw new AppSettingError(where, '"path" must start with / and be a URL path');
  const tokenParam = str(where, 'tokenParam', s.tokenParam, { max: 40 });
  if (tokenParam !== undefined && !/^[A-Za-z0-9_-]+$/.test(tokenParam)) throw new AppSettingError(where, '"tokenParam" must be a query parameter name');
  if (tokenParam !== undefined && !names(script, 'token')) throw new AppSettingError(where, '"tokenParam" is set but the script never passes {token} to the server');
  const readySeconds = s.readySeconds === undefined ? 180 : s.readySeconds;
  if (typeof readySeconds !== 'number' || !Number.isInteger(readySeconds) || readySeconds < 5 || readySeconds > 3600) throw new AppSettingError(where, '"readySeconds" must be a whole number from 5 to 3600');
  return {
    id,
    name,
    ...(description !== undefined ? { description } : {}),
    script,
    ready,
    path,
    ...(tokenParam !== undefined ? { tokenParam } : {}),
    needsFolder: names(script, 'folder'),
    readySeconds,
    resources: resourcesOf(where, s.resources),
    builtIn: false,
  };
}

/**
 * The built-in templates and the setting's, in that order; a setting's entry with a built-in id
 * replaces it (a site's own Jupyter). Bad entries are left out and each named in `errors`.
 */
export function appTemplates(setting: unknown): { templates: AppTemplate[]; errors: string[] } {
  const errors: string[] = [];
  const own: AppTemplate[] = [];
  if (setting !== undefined && setting !== null && !Array.isArray(setting)) errors.push('remoteHpc.interactiveApps.templates must be an array of templates');
  if (Array.isArray(setting)) {
    setting.forEach((raw, i) => {
      try {
        const t = parseAppTemplate(raw, i);
        if (own.some((o) => o.id === t.id)) throw new AppSettingError(`remoteHpc.interactiveApps.templates "${t.id}"`, 'the id is used twice');
        own.push(t);
      } catch (e) {
        errors.push((e as Error).message);
      }
    });
  }
  const ids = new Set(own.map((t) => t.id));
  return { templates: [...BUILT_IN_APPS.filter((t) => !ids.has(t.id)), ...own], errors };
}

export interface RenderValues {
  port: number;
  token: string;
  /** The folder the app works in (Jupyter's root, TensorBoard's logdir); absolute or `~/…`. */
  folder: string;
  /** The job's private folder (0700), where its script and output are. */
  jobDir: string;
  environment: AppEnvironment;
}

/**
 * The batch script: a bash header, then the template with each placeholder replaced: values as
 * one shell-quoted word each, `{environment}` as its lines. Throws on a NUL in a value.
 */
export function renderAppScript(t: Pick<AppTemplate, 'name' | 'script'>, v: RenderValues): string {
  const values: Record<ValuePlaceholder, string> = {
    port: String(v.port),
    token: quoteArg(v.token),
    folder: quotePath(v.folder),
    jobDir: quoteArg(v.jobDir),
  };
  if (!Number.isInteger(v.port) || v.port < 1 || v.port > 65535) throw new RangeError(`${v.port} is not a port number`);
  const env = environmentLines(v.environment).join('\n');
  const body = t.script.replace(PLACEHOLDER, (all, name: string | undefined) => {
    if (name === undefined) return all[0] as string;
    if (name === ENV_PLACEHOLDER) return env;
    const value = values[name as ValuePlaceholder];
    if (value === undefined) throw new AppSettingError(t.name, `unknown placeholder {${name}}`);
    return value;
  });
  // eslint-disable-next-line no-control-regex -- the name is one comment line
  return `#!/bin/bash\n# Remote HPC interactive app: ${t.name.replace(/[\x00-\x1f\x7f]/g, ' ')}\n${body}\n`;
}

export interface Readiness {
  port: number;
  path: string;
}

/** Lines longer than this are not matched (a binary dump in the output). */
const MAX_LINE = 4000;
// eslint-disable-next-line no-control-regex -- terminal colour codes are what is removed
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * The first line of `text` the template's readiness pattern matches: its `port` group (else
 * `port`) and `path` group (else the template's path). Undefined when none matches yet.
 */
export function matchReadiness(t: Pick<AppTemplate, 'ready' | 'path'>, text: string, port: number): Readiness | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(ANSI, '').trimEnd();
    if (line.length > MAX_LINE) continue;
    const m = t.ready.exec(line);
    if (!m) continue;
    const p = m.groups?.port !== undefined ? Number(m.groups.port) : port;
    if (!Number.isInteger(p) || p < 1 || p > 65535) continue;
    // A query the server printed (a token) is not kept: the forward's URL is shown in the Jobs view.
    const printed = m.groups?.path?.split('?')[0];
    const path = printed && /^\/[^\s]*$/.test(printed) ? printed : t.path;
    return { port: p, path };
  }
  return undefined;
}
