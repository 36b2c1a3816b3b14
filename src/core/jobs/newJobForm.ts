/**
 * The "New Job…" form ↔ a JSON job description. Fields arrive as typed text; this converts them,
 * validates with the same rules as `*.job.json` files (validateJobSpec) and maps every problem
 * back to the field it belongs to, for inline errors. Pure.
 */
import { posix } from 'node:path';
import type { DefaultFormField, DefaultSources, NewJobFieldError, NewJobForm } from '../../shared/protocol';
import { validateJobSpec, type JobSpec } from '../scheduler/jobSpec';
import { MAIL_EVENTS, type JobSubmitSpec, type MailEvent } from '../scheduler/types';
import { splitShellWords } from '../scheduler/shellWords';
import { checkExtraArgs, parseTags, type DefaultOrigin, type HostJobDefaults } from './submitOptions';

export const EMPTY_FORM: NewJobForm = {
  host: '',
  folder: '',
  name: '',
  mode: 'command',
  command: '',
  script: '',
  args: '',
  workdir: '',
  partition: '',
  account: '',
  walltime: '',
  nodes: '',
  tasks: '',
  cpusPerTask: '',
  memory: '',
  gpus: '',
  array: '',
  repeat: '',
  tags: '',
  nice: '',
  dependency: '',
  outputs: '',
  inputs: '',
  env: '',
  extraSbatchArgs: '',
  mailUser: '',
  mailType: '',
};

const FORM_KEYS = Object.keys(EMPTY_FORM) as (keyof NewJobForm)[];

/** Which form field each host default fills. */
const DEFAULT_FIELDS: Record<DefaultFormField, keyof HostJobDefaults> = { partition: 'partition', account: 'account', walltime: 'time', mailUser: 'mailUser', mailType: 'mailType' };

/** The form fields a host's merged defaults fill in, and where each filled one came from (local or the cluster's file). */
export function defaultFormFields(d: HostJobDefaults, origin: Partial<Record<keyof HostJobDefaults, DefaultOrigin>> = {}): { fields: Pick<NewJobForm, DefaultFormField>; sources: DefaultSources } {
  const fields = { partition: '', account: '', walltime: '', mailUser: '', mailType: '' };
  const sources: DefaultSources = {};
  for (const [field, key] of Object.entries(DEFAULT_FIELDS) as [DefaultFormField, keyof HostJobDefaults][]) {
    const v = d[key];
    const text = Array.isArray(v) ? v.join(', ') : (v ?? '');
    if (text === '') continue;
    fields[field] = text;
    const o = origin[key];
    if (o) sources[field] = o;
  }
  return { fields, sources };
}

/** A form from untrusted input (a webview message): unknown keys dropped, non-strings emptied. */
export function sanitizeForm(x: unknown): NewJobForm {
  const o = typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : {};
  const form = { ...EMPTY_FORM };
  for (const k of FORM_KEYS) {
    const v = o[k];
    if (typeof v === 'string') (form as Record<string, string>)[k] = v.length > 100_000 ? v.slice(0, 100_000) : v;
  }
  form.mode = o.mode === 'script' ? 'script' : 'command';
  return form;
}

/** Safe as a file name on every platform, and as a job name. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

const lines = (s: string): string[] =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** JSON pointer from validateJobSpec → the form field showing it. */
function fieldOf(path: string, form: NewJobForm): NewJobFieldError['field'] {
  const top = path.split('/')[1] ?? '';
  const map: Record<string, keyof NewJobForm> = {
    name: 'name',
    script: 'script',
    args: 'args',
    command: 'command',
    inputs: 'inputs',
    outputs: 'outputs',
    workdir: 'workdir',
    walltime: 'walltime',
    partition: 'partition',
    account: 'account',
    nodes: 'nodes',
    tasks: 'tasks',
    cpusPerTask: 'cpusPerTask',
    memory: 'memory',
    gpus: 'gpus',
    array: 'array',
    repeat: 'repeat',
    env: 'env',
    tags: 'tags',
    nice: 'nice',
    dependency: 'dependency',
    extraSbatchArgs: 'extraSbatchArgs',
    mail: path.startsWith('/mail/to') ? 'mailUser' : 'mailType',
  };
  if (top === '') return form.mode === 'script' ? 'script' : 'command';
  return map[top] ?? '';
}

export interface FormResult {
  spec: JobSpec;
  errors: NewJobFieldError[];
}

/** Converts and validates; `spec` holds whatever converted, so a preview is possible once errors are empty. */
export function formToSpec(form: NewJobForm): FormResult {
  const errors: NewJobFieldError[] = [];
  const err = (field: NewJobFieldError['field'], message: string) => errors.push({ field, message });
  const spec: JobSpec = {};
  const t = (s: string) => s.trim();

  if (!t(form.host)) err('host', 'Choose a host');
  const folder = t(form.folder);
  if (!folder) err('folder', 'Choose the folder to save the job file in');
  else if (!posix.isAbsolute(folder) && folder !== '~' && !folder.startsWith('~/')) err('folder', 'Use an absolute path or one starting with ~/');

  const name = t(form.name);
  if (!name) err('name', 'Give the job a name (it also names the .job.json file)');
  else if (!NAME.test(name)) err('name', 'Letters, digits and . _ + - only, starting with a letter or digit');
  else spec.name = name;

  if (form.mode === 'script') {
    if (t(form.script)) spec.script = t(form.script);
    if (t(form.args)) {
      try {
        spec.args = splitShellWords(form.args);
      } catch {
        err('args', 'Unbalanced quotes');
      }
    }
  } else if (form.command.trim()) {
    spec.command = form.command.replace(/\s+$/, '');
  }

  const inputs = lines(form.inputs);
  if (inputs.length) spec.inputs = inputs.map((from) => ({ from, remote: true }));
  const outputs = lines(form.outputs);
  if (outputs.length) spec.outputs = outputs;
  if (t(form.workdir)) spec.workdir = t(form.workdir);

  const walltime = t(form.walltime);
  if (walltime) spec.walltime = /^\d+$/.test(walltime) ? Number(walltime) : walltime;
  if (t(form.partition)) spec.partition = t(form.partition);
  if (t(form.account)) spec.account = t(form.account);

  const int = (field: 'nodes' | 'tasks' | 'cpusPerTask' | 'repeat' | 'nice', min?: number): number | undefined => {
    const v = t(form[field]);
    if (!v) return undefined;
    if (!/^-?\d+$/.test(v)) {
      err(field, 'A whole number');
      return undefined;
    }
    const n = Number(v);
    if (min !== undefined && n < min) {
      err(field, `At least ${min}`);
      return undefined;
    }
    return n;
  };
  const nodes = int('nodes', 1);
  if (nodes !== undefined) spec.nodes = nodes;
  const tasks = int('tasks', 1);
  if (tasks !== undefined) spec.tasks = tasks;
  const cpus = int('cpusPerTask', 1);
  if (cpus !== undefined) spec.cpusPerTask = cpus;
  const repeat = int('repeat', 1);
  if (repeat !== undefined) spec.repeat = repeat;
  const nice = int('nice');
  if (nice !== undefined) spec.nice = nice;

  const memory = t(form.memory);
  if (memory) spec.memory = /^\d+$/.test(memory) ? Number(memory) : memory;
  const gpus = t(form.gpus);
  if (gpus) spec.gpus = /^\d+$/.test(gpus) ? Number(gpus) : gpus;
  if (t(form.array)) spec.array = t(form.array);
  if (t(form.dependency)) spec.dependency = t(form.dependency);

  if (t(form.tags)) {
    const { tags, error } = parseTags(form.tags);
    if (error) err('tags', error);
    else spec.tags = tags;
  }

  const env: Record<string, string> = {};
  for (const line of lines(form.env)) {
    const eq = line.indexOf('=');
    if (eq <= 0) {
      err('env', `"${line}" is not NAME=value`);
      continue;
    }
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  if (Object.keys(env).length) spec.env = env;

  if (t(form.extraSbatchArgs)) {
    const problem = checkExtraArgs(form.extraSbatchArgs);
    if (problem) err('extraSbatchArgs', problem);
    else spec.extraSbatchArgs = splitShellWords(form.extraSbatchArgs);
  }

  const mailOn = t(form.mailType).toLowerCase().split(/[\s,]+/).filter(Boolean);
  const badEvent = mailOn.find((e) => !(MAIL_EVENTS as readonly string[]).includes(e));
  if (badEvent) err('mailType', `"${badEvent}" is none of ${MAIL_EVENTS.join(', ')}`);
  else if (mailOn.length || t(form.mailUser)) {
    if (!mailOn.length) err('mailType', 'Say when mail is sent: begin, end, fail');
    else spec.mail = { ...(t(form.mailUser) ? { to: t(form.mailUser) } : {}), on: [...new Set(mailOn)] as MailEvent[] };
  }

  // The file's own rules, for what converted; one message per field is enough.
  const taken = new Set(errors.map((e) => e.field));
  for (const e of validateJobSpec(spec)) {
    const field = fieldOf(e.path, form);
    if (taken.has(field)) continue;
    taken.add(field);
    if (e.path === '') err(field, form.mode === 'script' ? 'Enter the script to run' : 'Enter the command to run');
    else {
      const msg = e.message.replace(/^"(\w+)" /, '');
      err(field, msg.charAt(0).toUpperCase() + msg.slice(1));
    }
  }
  return { spec, errors };
}

/** The JSON written to `<name>.job.json`: stable key order, two-space indent, final newline. */
export function specToJson(spec: JobSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/** `<folder>/<name>.job.json`, with `~` resolved against the home directory. */
export function jobFilePath(folder: string, name: string, home: string): string {
  const f = folder.trim();
  const abs = f === '~' ? home : f.startsWith('~/') ? posix.join(home, f.slice(2)) : f;
  return posix.join(abs, `${name.trim()}.job.json`);
}

/** The form field a refused submit's option belongs to (SchedulerError.option), or '' for the form. */
export function fieldOfSubmitOption(option: keyof JobSubmitSpec | undefined): NewJobFieldError['field'] {
  const map: Partial<Record<keyof JobSubmitSpec, keyof NewJobForm>> = {
    name: 'name',
    partition: 'partition',
    account: 'account',
    time: 'walltime',
    nodes: 'nodes',
    ntasks: 'tasks',
    cpusPerTask: 'cpusPerTask',
    mem: 'memory',
    gpus: 'gpus',
    array: 'array',
    dependency: 'dependency',
    nice: 'nice',
    tags: 'tags',
    extraArgs: 'extraSbatchArgs',
    mailUser: 'mailUser',
    mailEvents: 'mailType',
  };
  return (option && map[option]) ?? '';
}
