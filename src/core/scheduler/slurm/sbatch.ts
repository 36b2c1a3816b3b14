/**
 * `sbatch --parsable [options] [script [args]]` and `scancel`.
 * Every option is one argv word `--name=value`, so a value starting with `-` or holding
 * spaces can never be read as another option.
 */
import type { CancelOptions, JobSubmitSpec, ScriptOptions, SubmitResult } from '../types';
import type { SchedulerCommand } from '../command';
import { ParseError, SpecError } from '../command';
import { commentWithTags } from '../tags';
import { checkJobIds } from './fields';
import { checkMailEvents, jobEnv, submitCommand } from '../submitCommand';
import { isArraySpec, isDependency, isGpuCount, isMemory, isTimeLimit } from '../formats';

export { SpecError };

function single(name: string, value: string): string {
  if (/[\n\r\0]/.test(value)) throw new SpecError(`${name} must be on one line`);
  if (value === '') throw new SpecError(`${name} must not be empty`);
  return value;
}

function positive(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1) throw new SpecError(`${name} must be a whole number ≥ 1 (got ${v})`);
  return v;
}

/** sbatch options (each `--key=value`) for a spec; shared by the command line and `#SBATCH` lines. */
export function sbatchOptions(spec: ScriptOptions): string[] {
  const o: string[] = [];
  const add = (flag: string, value: string | number | undefined) => {
    if (value === undefined) return;
    o.push(`--${flag}=${single(flag, String(value))}`);
  };
  add('job-name', spec.name);
  add('partition', spec.partition);
  add('account', spec.account);
  if (spec.time !== undefined) {
    if (!isTimeLimit(spec.time)) throw new SpecError(`time ${JSON.stringify(spec.time)} is not minutes, HH:MM:SS or D-HH:MM:SS`);
    add('time', spec.time);
  }
  if (typeof spec.nodes === 'number') add('nodes', positive('nodes', spec.nodes));
  else if (spec.nodes !== undefined) {
    if (!/^\d+(?:-\d+)?$/.test(spec.nodes)) throw new SpecError(`nodes ${JSON.stringify(spec.nodes)} must be N or MIN-MAX`);
    add('nodes', spec.nodes);
  }
  add('ntasks', positive('ntasks', spec.ntasks));
  add('cpus-per-task', positive('cpusPerTask', spec.cpusPerTask));
  if (spec.mem !== undefined) {
    const m = String(spec.mem);
    if (!isMemory(m)) throw new SpecError(`memory ${JSON.stringify(m)} must be like 500M, 4G or a number of megabytes`);
    add('mem', m);
  }
  if (spec.gpus !== undefined) {
    const g = String(spec.gpus);
    if (!isGpuCount(g)) throw new SpecError(`gpus ${JSON.stringify(g)} must be a count or type:count`);
    if (spec.gpuFlag === 'gpus') add('gpus', g);
    else add('gres', `gpu:${g}`);
  }
  if (spec.array !== undefined) {
    if (!isArraySpec(spec.array)) throw new SpecError(`array ${JSON.stringify(spec.array)} must be like 0-9, 1,3,5, 0-15:4 or 0-9%2`);
    add('array', spec.array);
  }
  add('output', spec.output);
  add('error', spec.error);
  add('comment', commentWithTags(spec.comment, spec.tags));
  if (spec.nice !== undefined) {
    if (!Number.isInteger(spec.nice)) throw new SpecError(`nice must be a whole number (got ${spec.nice})`);
    add('nice', spec.nice);
  }
  if (spec.dependency !== undefined) {
    if (!isDependency(spec.dependency)) throw new SpecError(`dependency ${JSON.stringify(spec.dependency)} must be like afterok:123 or afterany:1:2,singleton`);
    add('dependency', spec.dependency);
  }
  add('chdir', spec.chdir);
  add('mail-user', spec.mailUser);
  if (spec.mailEvents?.length) add('mail-type', checkMailEvents(spec.mailEvents).map((e) => e.toUpperCase()).join(','));
  if (spec.hold) o.push('--hold');
  for (const a of spec.extraArgs ?? []) {
    if (!a.startsWith('-')) throw new SpecError(`Extra sbatch argument ${JSON.stringify(a)} must start with '-' (write --opt=value as one item)`);
    o.push(single('extra sbatch argument', a));
  }
  return o;
}

/**
 * The submit command. A script path is passed to sbatch; script text goes on its stdin.
 * `env` reaches the job through sbatch's own environment (the default `--export=ALL`), so
 * values may hold anything, commas included.
 */
export function sbatchCommand(spec: JobSubmitSpec): SchedulerCommand<SubmitResult> {
  const env = jobEnv(spec);
  if (spec.scriptText !== undefined && spec.scriptArgs?.length) throw new SpecError('scriptArgs need a script path');
  const argv = ['sbatch', '--parsable', ...sbatchOptions(spec)];
  if (spec.script !== undefined) argv.push(single('script', spec.script), ...(spec.scriptArgs ?? []));
  return submitCommand(argv, env, spec, parseSbatch);
}

/** `--parsable` prints `id` or `id;cluster` (site plugins may add lines before it). */
export function parseSbatch(stdout: string): SubmitResult {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  const m = /^(\d+)(?:;(\S+))?$/.exec(last);
  if (!m) throw new ParseError('expected "<job id>" or "<job id>;<cluster>"', last || stdout);
  return m[2] ? { id: m[1] as string, cluster: m[2] } : { id: m[1] as string };
}

/** `scancel 123 124_4`: a task id cancels one task, an array id the whole array. */
export function scancelCommand(ids: readonly string[], opts: CancelOptions = {}): SchedulerCommand<void> {
  let targets = checkJobIds(ids);
  if (opts.arrayTask !== undefined) {
    const t = String(opts.arrayTask);
    if (!/^\d+$/.test(t)) throw new Error(`Not an array task index: ${JSON.stringify(t)}`);
    targets = checkJobIds(targets.map((id) => (id.includes('_') ? id : `${id}_${t}`)));
  }
  return { argv: ['scancel', ...targets], parse: () => undefined };
}
