/**
 * qsub options for a neutral spec, shared by PBS Pro / OpenPBS and Torque: the same letters
 * (`-N -q -A -o -e -j -h -W depend= -v -l walltime=`), with what differs (resources, arrays,
 * the working directory, which names are allowed) in a {@link PbsDialect}. Each option is
 * two argv words, flag then value, so a value starting with `-` is never read as an option.
 * What a dialect cannot express is refused with a SpecError naming the option, never dropped.
 */
import { SpecError } from '../command';
import { durationSeconds, isArraySpec, isGpuCount, isMemory, isTimeLimit } from '../formats';
import { commentWithTags } from '../tags';
import { checkMailEvents } from '../submitCommand';
import type { ScriptOptions } from '../types';
import { COMMENT_VAR } from './records';

export interface PbsDialect {
  /** `PBS` or `Torque`, for messages. */
  label: string;
  /** Why a job name is refused (undefined when qsub takes it). */
  checkName(name: string): string | undefined;
  /** The `-J` / `-t` value for a neutral array expression. */
  arrayOption(array: string): [flag: string, value: string];
  /** `-l` values for nodes, tasks, CPUs, memory and GPUs. */
  resources(spec: ScriptOptions): string[];
  /** The option that sets the job's working directory, when qsub has one (Torque `-d`). */
  chdirFlag?: string;
  /** What runs a command inside job `jobId` on its node (OpenPBS `pbs_attach -j`), before the command. */
  attachPrefix(jobId: string): string[];
}

export interface QsubOptions {
  /** Options in order: a flag and its value, or a flag alone (`-h`, an extra argument). */
  opts: [flag: string, value?: string][];
  /** Variables the job gets from qsub's environment (`-v NAME` takes the value from there). */
  env: Record<string, string>;
}

const ONE_LINE = /^[^\n\r\0]*$/;

export function single(name: string, value: string): string {
  if (!ONE_LINE.test(value)) throw new SpecError(`${name} must be on one line`);
  if (value === '') throw new SpecError(`${name} must not be empty`);
  return value;
}

export function positive(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1) throw new SpecError(`${name} must be a whole number ≥ 1 (got ${v})`);
  return v;
}

/** A neutral time limit as `H:MM:SS` (what `-l walltime=` takes everywhere). */
export function walltime(time: string, label: string): string {
  if (!isTimeLimit(time)) throw new SpecError(`time ${JSON.stringify(time)} is not minutes, HH:MM:SS or D-HH:MM:SS`);
  if (/^(?:UNLIMITED|INFINITE)$/i.test(time)) throw new SpecError(`${label} has no unlimited walltime: leave the time limit out to get the queue's`);
  const secs = /^\d+$/.test(time) ? Number(time) * 60 : /^\d+-\d+$/.test(time) ? durationSeconds(`${time}:00`) : durationSeconds(time);
  if (secs === undefined) throw new SpecError(`time ${JSON.stringify(time)} is not minutes, HH:MM:SS or D-HH:MM:SS`);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(secs / 3600)}:${p(Math.floor((secs % 3600) / 60))}:${p(secs % 60)}`;
}

const UNIT_KB: Record<string, number> = { K: 1, M: 1024, G: 1024 ** 2, T: 1024 ** 3 };

/** A neutral memory size (`4G`, `1.5T`, megabytes) as a PBS size (`4gb`, `1536gb`, `500mb`): whole numbers only. */
export function pbsSize(mem: string | number, times = 1): string {
  const m = String(mem);
  if (!isMemory(m)) throw new SpecError(`memory ${JSON.stringify(m)} must be like 500M, 4G or a number of megabytes`);
  const [, num, unit] = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(m) as RegExpExecArray;
  const kb = Number(num) * (UNIT_KB[(unit || 'M').toUpperCase()] as number) * times;
  for (const [u, size] of [['tb', 1024 ** 3], ['gb', 1024 ** 2], ['mb', 1024]] as const) if (kb >= size && Number.isInteger(kb / size)) return `${kb / size}${u}`;
  return `${Math.ceil(kb)}kb`;
}

/** A neutral GPU request as a count (PBS and Torque have no standard GPU type). */
export function gpuCount(gpus: number | string, label: string): number {
  const g = String(gpus);
  if (!isGpuCount(g)) throw new SpecError(`gpus ${JSON.stringify(g)} must be a count or type:count`);
  if (g.includes(':')) throw new SpecError(`${label} has no standard GPU type: give a count, and ask for the type with the site's own resource in extra arguments`);
  return Number(g);
}

/** The node count a spec asks for (`MIN-MAX` is SLURM's alone). */
export function nodeCount(nodes: number | string | undefined, label: string): number | undefined {
  if (nodes === undefined) return undefined;
  if (typeof nodes === 'number') return positive('nodes', nodes);
  if (/^\d+$/.test(nodes)) return positive('nodes', Number(nodes));
  throw new SpecError(`${label} takes a node count, not a range (${JSON.stringify(nodes)})`);
}

/** Tasks per node when `ntasks` spreads evenly over the nodes. */
export function tasksPerNode(ntasks: number | undefined, nodes: number, label: string): number | undefined {
  const n = positive('ntasks', ntasks);
  if (n === undefined) return undefined;
  if (n % nodes !== 0) throw new SpecError(`${label} asks for tasks per node: ${n} tasks do not spread evenly over ${nodes} nodes`);
  return n / nodes;
}

/** Neutral dependency (`afterok:1:2_3,afterany:4`) → `-W depend=` (`afterok:1:2[3],afterany:4`). */
export function dependOption(dependency: string, label: string): string {
  if (dependency.includes('?')) throw new SpecError(`${label} dependencies are all needed: "?" (any one of them) is SLURM's alone`);
  return dependency
    .split(',')
    .map((part) => {
      const [kind, ...ids] = part.split(':');
      if (!kind || !['after', 'afterok', 'afternotok', 'afterany'].includes(kind)) throw new SpecError(`${label} has no dependency type ${JSON.stringify(kind ?? part)} (it takes after, afterok, afternotok, afterany)`);
      if (ids.length === 0) throw new SpecError(`dependency ${JSON.stringify(part)} names no job`);
      return [
        kind,
        ...ids.map((id) => {
          const m = /^(\d+)(?:_(\d+))?$/.exec(id);
          if (!m) throw new SpecError(`${label} dependency ${JSON.stringify(id)} must be a job id (no +minutes)`);
          return m[2] === undefined ? m[1] : `${m[1]}[${m[2]}]`;
        }),
      ].join(':');
    })
    .join(',');
}

/** The qsub options of a spec (script, folder and environment aside). */
export function qsubOptions(spec: ScriptOptions, dialect: PbsDialect): QsubOptions {
  const opts: QsubOptions['opts'] = [];
  const env: Record<string, string> = {};
  const add = (flag: string, value: string | undefined) => {
    if (value !== undefined) opts.push([flag, single(flag, value)]);
  };
  const { label } = dialect;
  if (spec.name !== undefined) {
    const problem = dialect.checkName(single('name', spec.name));
    if (problem) throw new SpecError(problem);
    add('-N', spec.name);
  }
  add('-q', spec.partition);
  add('-A', spec.account);
  if (spec.time !== undefined) add('-l', `walltime=${walltime(spec.time, label)}`);
  for (const r of dialect.resources(spec)) add('-l', r);
  if (spec.array !== undefined) {
    if (!isArraySpec(spec.array)) throw new SpecError(`array ${JSON.stringify(spec.array)} must be like 0-9, 1,3,5, 0-15:4 or 0-9%2`);
    const [flag, value] = dialect.arrayOption(spec.array);
    add(flag, value);
  }
  add('-o', spec.output);
  add('-e', spec.error);
  // SLURM's default: without --error, stderr goes to the output file.
  if (spec.output !== undefined && spec.error === undefined) add('-j', 'oe');
  const comment = commentWithTags(spec.comment, spec.tags);
  if (comment !== undefined) env[COMMENT_VAR] = single('comment', comment);
  if (spec.nice !== undefined) throw new SpecError(`${label} has no nice value: leave it out (qsub -p sets a priority, with another meaning)`);
  if (spec.dependency !== undefined) add('-W', `depend=${dependOption(single('dependency', spec.dependency), label)}`);
  if (spec.chdir !== undefined) {
    if (!dialect.chdirFlag) throw new SpecError(`${label} has no working-directory option: a job starts where qsub ran (its submit folder)`);
    add(dialect.chdirFlag, spec.chdir);
  }
  add('-M', spec.mailUser);
  // PBS's letters: b begin, e end, a abort (the job failed or was killed).
  if (spec.mailEvents?.length) add('-m', checkMailEvents(spec.mailEvents).map((e) => ({ begin: 'b', end: 'e', fail: 'a' })[e]).join(''));
  if (spec.hold) opts.push(['-h']);
  for (const a of spec.extraArgs ?? []) {
    if (a.startsWith('--')) throw new SpecError(`qsub has no --long options: ${JSON.stringify(a)} looks like an sbatch option (write qsub's, e.g. -Pproject or -lplace=scatter)`);
    if (!a.startsWith('-')) throw new SpecError(`Extra qsub argument ${JSON.stringify(a)} must start with '-' (write an option and its value as one word: -Pproject, -lplace=scatter)`);
    opts.push([single('extra qsub argument', a)]);
  }
  return { opts, env };
}

/** {@link BatchScriptFormat.checkTimeLimit} for the PBS family: the neutral forms walltime() converts. */
export function checkWalltime(text: string): string | undefined {
  if (/^(?:UNLIMITED|INFINITE)$/i.test(text.trim())) return 'PBS takes no unlimited walltime: leave it empty for the queue default';
  return isTimeLimit(text.trim()) ? undefined : 'Use minutes, HH:MM:SS or D-HH:MM:SS';
}
