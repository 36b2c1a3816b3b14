/**
 * JSON job descriptions (`*.job.json`, Kotta style): what to run, what to stage in and fetch
 * back, and the resources. Validated by hand (the same rules as schemas/job.schema.json, with
 * friendlier messages), rendered into a batch script the user can preview before submitting.
 */
import { posix } from 'node:path';
import { commandLine, quoteArg } from '../ssh/quote';
import { MAIL_EVENTS, type BatchScriptFormat, type JobSubmitSpec, type MailEvent } from './types';
import { isArraySpec, isDependency, isGpuCount, isMemory, isTimeLimit } from './formats';
import { isTag } from './tags';

interface JobSpecInput {
  /** Local path (relative to the job file's folder), or a path on the cluster when `remote`. */
  from: string;
  /** Destination relative to the work directory (default: the source's base name). */
  to?: string;
  /** `from` is on the cluster: copied there rather than uploaded. */
  remote?: boolean;
}

export interface JobSpec {
  $schema?: string;
  name?: string;
  /** Script on the cluster (relative to workdir), run directly if executable, else with bash. */
  script?: string;
  /** Arguments for `script`. */
  args?: string[];
  /** A shell command line (run by bash as written) or an argv array (each word quoted). */
  command?: string | string[];
  inputs?: (string | JobSpecInput)[];
  /** Files or globs, relative to workdir, fetched after the job ends. */
  outputs?: string[];
  /** Work directory on the cluster: absolute, `~/…`, or relative to the home directory. */
  workdir?: string;
  /** `HH:MM:SS`, `D-HH:MM:SS`, or minutes. */
  walltime?: string | number;
  partition?: string;
  account?: string;
  nodes?: number;
  tasks?: number;
  cpusPerTask?: number;
  /** `4G`, `500M`, or megabytes. */
  memory?: string | number;
  /** Count, or `type:count`. */
  gpus?: number | string;
  /** Array expression, e.g. `0-9%2`. */
  array?: string;
  /** Run N copies (an array `0-(N-1)`); the copy index is in the scheduler's task variable ($SLURM_ARRAY_TASK_ID on SLURM). */
  repeat?: number;
  env?: Record<string, string>;
  /** Output file name patterns (`%x-%j.out`, `%A_%a.err`…), relative to workdir. */
  stdout?: string;
  stderr?: string;
  tags?: string[];
  nice?: number;
  /** e.g. `afterok:123`. */
  dependency?: string;
  /** Further sbatch options, each one word starting with `-` (e.g. `--qos=debug`). */
  extraSbatchArgs?: string[];
  /** Mail about the job: to whom (default: the scheduler's, usually the submitter) and when. */
  mail?: { to?: string; on?: MailEvent[] };
}

export interface JobSpecError {
  /** JSON pointer-ish path, e.g. `/inputs/2/to`; empty for the whole object. */
  path: string;
  message: string;
}

const KEYS = new Set([
  '$schema',
  'name',
  'script',
  'args',
  'command',
  'inputs',
  'outputs',
  'workdir',
  'walltime',
  'partition',
  'account',
  'nodes',
  'tasks',
  'cpusPerTask',
  'memory',
  'gpus',
  'array',
  'repeat',
  'env',
  'stdout',
  'stderr',
  'tags',
  'nice',
  'dependency',
  'extraSbatchArgs',
  'mail',
]);

const ONE_LINE = /^[^\n\r\0]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a parsed `*.job.json`; an empty list means it is valid. */
export function validateJobSpec(obj: unknown): JobSpecError[] {
  const errors: JobSpecError[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return [{ path: '', message: 'A job description must be a JSON object' }];
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) err(`/${k}`, `Unknown property "${k}"${suggest(k)}`);

  const str = (k: string, opts: { nonEmpty?: boolean; oneLine?: boolean } = {}): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return void err(`/${k}`, `"${k}" must be a string`);
    if (opts.nonEmpty !== false && v.trim() === '') return void err(`/${k}`, `"${k}" must not be empty`);
    if (opts.oneLine !== false && !ONE_LINE.test(v)) return void err(`/${k}`, `"${k}" must be on one line`);
    return v;
  };
  const int = (k: string, min: number | undefined): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return void err(`/${k}`, `"${k}" must be a whole number`);
    if (min !== undefined && v < min) return void err(`/${k}`, `"${k}" must be at least ${min}`);
    return v;
  };
  const strArray = (k: string, check?: (s: string, path: string) => void) => {
    const v = o[k];
    if (v === undefined) return;
    if (!Array.isArray(v)) return void err(`/${k}`, `"${k}" must be an array of strings`);
    v.forEach((s, i) => {
      if (typeof s !== 'string') err(`/${k}/${i}`, `"${k}" items must be strings`);
      else if (!ONE_LINE.test(s)) err(`/${k}/${i}`, `"${k}" items must be on one line`);
      else check?.(s, `/${k}/${i}`);
    });
  };

  str('name');
  str('workdir');
  str('partition');
  str('account');
  str('stdout');
  str('stderr');
  const script = str('script');
  strArray('args');
  if (o.args !== undefined && script === undefined) err('/args', '"args" go with "script"');

  const command = o.command;
  if (command !== undefined) {
    if (typeof command === 'string') {
      if (command.trim() === '') err('/command', '"command" must not be empty');
    } else if (Array.isArray(command)) {
      if (command.length === 0) err('/command', '"command" must not be an empty array');
      command.forEach((s, i) => {
        if (typeof s !== 'string') err(`/command/${i}`, 'command words must be strings');
        else if (s.includes('\0')) err(`/command/${i}`, 'command words must not contain NUL');
      });
    } else err('/command', '"command" must be a string (shell) or an array of words');
  }
  if ((script === undefined) === (command === undefined) && !errors.some((e) => e.path === '/script' || e.path === '/command')) {
    err('', script === undefined ? 'Give "script" or "command"' : 'Give either "script" or "command", not both');
  }

  const walltime = o.walltime;
  if (walltime !== undefined) {
    if (typeof walltime === 'number') {
      if (!Number.isInteger(walltime) || walltime < 1) err('/walltime', '"walltime" in minutes must be a whole number ≥ 1');
    } else if (typeof walltime !== 'string' || !isTimeLimit(walltime)) {
      err('/walltime', '"walltime" must be HH:MM:SS, D-HH:MM:SS or a number of minutes');
    }
  }
  int('nodes', 1);
  int('tasks', 1);
  int('cpusPerTask', 1);
  int('nice', undefined);
  const repeat = int('repeat', 1);
  const memory = o.memory;
  if (memory !== undefined) {
    if (typeof memory === 'number') {
      if (!Number.isInteger(memory) || memory < 1) err('/memory', '"memory" in megabytes must be a whole number ≥ 1');
    } else if (typeof memory !== 'string' || !isMemory(memory)) err('/memory', '"memory" must be like "500M", "4G" or a number of megabytes');
  }
  const gpus = o.gpus;
  if (gpus !== undefined) {
    if (typeof gpus === 'number') {
      if (!Number.isInteger(gpus) || gpus < 0) err('/gpus', '"gpus" must be a whole number');
    } else if (typeof gpus !== 'string' || !isGpuCount(gpus)) err('/gpus', '"gpus" must be a count or "type:count"');
  }
  const array = str('array');
  if (array !== undefined && !isArraySpec(array)) err('/array', '"array" must be like "0-9", "1,3,5", "0-15:4" or "0-9%2"');
  if (array !== undefined && repeat !== undefined) err('/repeat', 'Give either "array" or "repeat", not both');
  const dependency = str('dependency');
  if (dependency !== undefined && !isDependency(dependency)) err('/dependency', '"dependency" must be like "afterok:123" or "afterany:1:2"');
  strArray('tags', (s, p) => {
    if (!isTag(s)) err(p, `Tag "${s}" must not contain spaces, commas, ';' or '='`);
  });
  strArray('extraSbatchArgs', (s, p) => {
    if (!s.startsWith('-')) err(p, `"${s}" must start with '-' (write --option=value as one item)`);
  });
  strArray('outputs', (s, p) => {
    if (s.trim() === '') err(p, 'output paths must not be empty');
  });

  const mail = o.mail;
  if (mail !== undefined) {
    if (typeof mail !== 'object' || mail === null || Array.isArray(mail)) err('/mail', '"mail" must be an object: {"to"?, "on"?}');
    else {
      const m = mail as Record<string, unknown>;
      for (const k of Object.keys(m)) if (k !== 'to' && k !== 'on') err(`/mail/${k}`, `Unknown property "${k}" in "mail" (it takes "to" and "on")`);
      if (m.to !== undefined && (typeof m.to !== 'string' || m.to.trim() === '' || !ONE_LINE.test(m.to))) err('/mail/to', '"to" must be a non-empty address on one line');
      if (m.on !== undefined) {
        if (!Array.isArray(m.on) || m.on.length === 0) err('/mail/on', `"on" must be a list of ${MAIL_EVENTS.join(', ')}`);
        else m.on.forEach((e, i) => (MAIL_EVENTS as readonly unknown[]).includes(e) || err(`/mail/on/${i}`, `"${String(e)}" is none of ${MAIL_EVENTS.join(', ')}`));
      }
    }
  }

  const env = o.env;
  if (env !== undefined) {
    if (typeof env !== 'object' || env === null || Array.isArray(env)) err('/env', '"env" must be an object of strings');
    else
      for (const [k, v] of Object.entries(env)) {
        if (!ENV_NAME.test(k)) err(`/env/${k}`, `"${k}" is not a valid environment variable name`);
        if (typeof v !== 'string') err(`/env/${k}`, `env values must be strings`);
        else if (v.includes('\0')) err(`/env/${k}`, 'env values must not contain NUL');
      }
  }

  const inputs = o.inputs;
  if (inputs !== undefined) {
    if (!Array.isArray(inputs)) err('/inputs', '"inputs" must be an array');
    else
      inputs.forEach((item, i) => {
        const p = `/inputs/${i}`;
        if (typeof item === 'string') {
          if (item.trim() === '') err(p, 'input paths must not be empty');
          return;
        }
        if (typeof item !== 'object' || item === null || Array.isArray(item)) return void err(p, 'inputs must be paths or {"from", "to"?, "remote"?} objects');
        const it = item as Record<string, unknown>;
        for (const k of Object.keys(it)) if (!['from', 'to', 'remote'].includes(k)) err(`${p}/${k}`, `Unknown property "${k}" in an input`);
        if (typeof it.from !== 'string' || it.from.trim() === '') err(`${p}/from`, '"from" must be a non-empty path');
        if (it.to !== undefined) {
          if (typeof it.to !== 'string' || it.to.trim() === '') err(`${p}/to`, '"to" must be a non-empty path');
          else if (posix.isAbsolute(it.to) || it.to.split('/').includes('..')) err(`${p}/to`, '"to" must stay inside the work directory (relative, no "..")');
        }
        if (it.remote !== undefined && typeof it.remote !== 'boolean') err(`${p}/remote`, '"remote" must be true or false');
      });
  }
  return errors;
}

/** Throws with every problem listed when the spec is invalid; returns it typed otherwise. */
export function assertJobSpec(obj: unknown): JobSpec {
  const errors = validateJobSpec(obj);
  if (errors.length) throw new Error(`Invalid job description:\n${errors.map((e) => `  ${e.path || '(root)'}: ${e.message}`).join('\n')}`);
  return obj as JobSpec;
}

function suggest(k: string): string {
  const lower = k.toLowerCase().replace(/[_-]/g, '');
  const hit = [...KEYS].find((c) => c.toLowerCase() === lower);
  const aliases: Record<string, string> = {
    jobname: 'name',
    executable: 'command',
    queue: 'partition',
    time: 'walltime',
    ntasks: 'tasks',
    mem: 'memory',
    outputfilestdout: 'stdout',
    outputfilestderr: 'stderr',
    cwd: 'workdir',
    chdir: 'workdir',
    environment: 'env',
  };
  const s = hit ?? aliases[lower];
  return s ? ` (did you mean "${s}"?)` : '';
}

/** Walltime as `JobSubmitSpec.time` takes it (minutes stay minutes). */
function walltimeArg(w: string | number | undefined): string | undefined {
  return w === undefined ? undefined : String(w);
}

/** The array expression a spec asks for (`repeat: N` → `0-(N-1)`). */
export function arrayArg(spec: JobSpec): string | undefined {
  if (spec.repeat !== undefined) return spec.repeat === 1 ? '0' : `0-${spec.repeat - 1}`;
  return spec.array;
}

/** `~/x` and relative paths are under the home directory; with `home` they become absolute. */
export function resolveWorkdir(workdir: string | undefined, home?: string): string | undefined {
  if (workdir === undefined) return home;
  if (home === undefined) return workdir;
  if (workdir === '~') return home;
  if (workdir.startsWith('~/')) return posix.join(home, workdir.slice(2));
  return posix.isAbsolute(workdir) ? workdir : posix.join(home, workdir);
}

/** A shell word for a path that may start with `~/` (which quoting would otherwise freeze). */
function shellPath(p: string): string {
  if (p === '~') return '"$HOME"';
  if (p.startsWith('~/')) return `"$HOME"/${quoteArg(p.slice(2))}`;
  return quoteArg(p);
}

export interface RenderOptions {
  /** The remote home directory: turns `~/…` and relative workdirs into absolute `--chdir`. */
  home?: string;
  /** Shown in the header comment. */
  source?: string;
}

/**
 * The batch script for a spec, as submitted: options in the scheduler's directive lines
 * (`#SBATCH …` for SLURM), nothing on the command line.
 */
export function renderBatchScript(spec: JobSpec, format: Pick<BatchScriptFormat, 'writeDirectives' | 'chdirDirective'>, opts: RenderOptions = {}): string {
  assertJobSpec(spec);
  const workdir = resolveWorkdir(spec.workdir, opts.home);
  const directives = format.writeDirectives({
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.partition !== undefined ? { partition: spec.partition } : {}),
    ...(spec.account !== undefined ? { account: spec.account } : {}),
    ...(spec.walltime !== undefined ? { time: walltimeArg(spec.walltime) as string } : {}),
    ...(spec.nodes !== undefined ? { nodes: spec.nodes } : {}),
    ...(spec.tasks !== undefined ? { ntasks: spec.tasks } : {}),
    ...(spec.cpusPerTask !== undefined ? { cpusPerTask: spec.cpusPerTask } : {}),
    ...(spec.memory !== undefined ? { mem: spec.memory } : {}),
    ...(spec.gpus !== undefined ? { gpus: spec.gpus } : {}),
    ...(arrayArg(spec) !== undefined ? { array: arrayArg(spec) as string } : {}),
    ...(spec.stdout !== undefined ? { output: spec.stdout } : {}),
    ...(spec.stderr !== undefined ? { error: spec.stderr } : {}),
    ...(spec.tags !== undefined ? { tags: spec.tags } : {}),
    ...(spec.nice !== undefined ? { nice: spec.nice } : {}),
    ...(spec.dependency !== undefined ? { dependency: spec.dependency } : {}),
    ...(workdir !== undefined && posix.isAbsolute(workdir) && format.chdirDirective !== false ? { chdir: workdir } : {}),
    ...(spec.extraSbatchArgs !== undefined ? { extraArgs: spec.extraSbatchArgs } : {}),
    ...(spec.mail?.to !== undefined ? { mailUser: spec.mail.to } : {}),
    ...(spec.mail?.on !== undefined ? { mailEvents: spec.mail.on } : {}),
  });
  const lines = ['#!/bin/bash', `# Generated by Remote HPC${opts.source ? ` from ${opts.source.replace(/[\n\r]/g, ' ')}` : ''}.`];
  lines.push(...directives);
  lines.push('');
  for (const [k, v] of Object.entries(spec.env ?? {})) lines.push(`export ${k}=${quoteArg(v)}`);
  if (workdir !== undefined) lines.push(`cd -- ${shellPath(workdir)} || exit 1`);
  if (spec.script !== undefined) {
    const s = spec.script;
    const path = posix.isAbsolute(s) || s.startsWith('~/') || s.startsWith('./') || s.startsWith('../') ? s : `./${s}`;
    const args = (spec.args ?? []).map(quoteArg).join(' ');
    const sp = shellPath(path);
    lines.push(`if [ -x ${sp} ]; then ${sp}${args ? ` ${args}` : ''}; else bash ${sp}${args ? ` ${args}` : ''}; fi`);
  } else if (typeof spec.command === 'string') {
    lines.push(spec.command);
  } else if (Array.isArray(spec.command)) {
    lines.push(commandLine(spec.command));
  }
  return `${lines.join('\n')}\n`;
}

/** What `Scheduler.submit` gets for a spec: the rendered script on stdin, run from the work directory. */
export function jobSpecToSubmit(spec: JobSpec, format: Pick<BatchScriptFormat, 'writeDirectives' | 'chdirDirective'>, opts: RenderOptions = {}): JobSubmitSpec {
  const workdir = resolveWorkdir(spec.workdir, opts.home);
  return { scriptText: renderBatchScript(spec, format, opts), ...(workdir !== undefined ? { cwd: workdir } : {}) };
}

export interface StagingPlan {
  /** Local files/folders to upload: `local` resolved against the spec's folder, `remote` absolute or relative to workdir. */
  uploads: { local: string; remote: string }[];
  /** Copies on the cluster. */
  copies: { from: string; to: string }[];
  /** Globs relative to workdir to fetch afterwards. */
  outputs: string[];
}

/** Where each input goes. `specDir` is the local folder of the job file; `workdir` the remote one. */
export function planStaging(spec: JobSpec, specDir: string, workdir: string, pathApi: { resolve(...p: string[]): string; basename(p: string): string }): StagingPlan {
  const plan: StagingPlan = { uploads: [], copies: [], outputs: [...(spec.outputs ?? [])] };
  for (const item of spec.inputs ?? []) {
    const it: JobSpecInput = typeof item === 'string' ? { from: item } : item;
    if (it.remote) {
      const to = posix.join(workdir, it.to ?? posix.basename(it.from));
      plan.copies.push({ from: it.from, to });
    } else {
      const to = posix.join(workdir, it.to ?? pathApi.basename(it.from));
      plan.uploads.push({ local: pathApi.resolve(specDir, it.from), remote: to });
    }
  }
  return plan;
}
