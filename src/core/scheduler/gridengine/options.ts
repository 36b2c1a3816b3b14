/**
 * qsub options (Grid Engine 8.1, qsub(1) and sge_types(1)) for a neutral spec. Every option is
 * its flag and its value as separate argv words. What Grid Engine cannot express is refused with
 * a SpecError naming the option, never dropped:
 *
 * - time → `-l h_rt=H:MM:SS` (UNLIMITED → `INFINITY`); mem (per node, as SLURM's `--mem`) →
 *   `-l h_vmem=` per slot; tasks × CPUs → `-pe smp N` (`smp`: the usual name of a one-host
 *   parallel environment; another one goes in extra arguments);
 * - no nodes beyond 1, no GPUs (no standard resource), no dependency but `afterany` (`-hold_jid`
 *   waits for the end, however it ended), no negative nice (users may only lower a priority);
 * - the comment (with tags) travels as the job variable RHPC_COMMENT (`-v NAME`: the value
 *   comes from qsub's environment, so it may hold commas and quotes).
 */
import { SpecError } from '../command';
import { durationSeconds, isArraySpec, isGpuCount, isMemory, isTimeLimit } from '../formats';
import { commentWithTags } from '../tags';
import { checkMailEvents } from '../submitCommand';
import type { ScriptOptions } from '../types';

/** The job environment variable that carries the job's comment and tags. */
export const COMMENT_VAR = 'RHPC_COMMENT';

/**
 * The comment as the job variable holds it: `%`, `,`, quotes, `\\` and `#` as `%XX` (qsub splits a
 * `-v` list at commas and a `#$` line drops quotes), the same whether it came from qsub's argv or
 * a directive line.
 */
function encodeComment(comment: string): string {
  return comment.replace(/[%,'"\\#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function decodeComment(value: string): string {
  return value.replace(/%(25|2C|27|22|5C|23)/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** The parallel environment CPUs are asked for in. */
const SMP_PE = 'smp';

const ONE_LINE = /^[^\n\r\0]*$/;

export function single(name: string, value: string): string {
  if (!ONE_LINE.test(value)) throw new SpecError(`${name} must be on one line`);
  if (value === '') throw new SpecError(`${name} must not be empty`);
  return value;
}

/**
 * Job names Grid Engine takes (sge_types(1) "name", and what its qmaster accepts): printable
 * ASCII without spaces or `/ : @ \ * ?`, not starting with a digit.
 */
const GE_NAME = /^(?![0-9])[!-~]+$/;
const GE_NAME_BAD = /[/:@\\*?]/;

export function checkJobName(name: string): string | undefined {
  if (GE_NAME.test(name) && !GE_NAME_BAD.test(name)) return undefined;
  return `Grid Engine job names take printable ASCII without spaces or / : @ \\ * ?, not starting with a digit (got ${JSON.stringify(name)})`;
}

/** A neutral time limit as `H:MM:SS`, `INFINITY` for none. */
export function hRt(time: string): string {
  if (!isTimeLimit(time)) throw new SpecError(`time ${JSON.stringify(time)} is not minutes, HH:MM:SS or D-HH:MM:SS`);
  if (/^(?:UNLIMITED|INFINITE)$/i.test(time)) return 'INFINITY';
  const secs = /^\d+$/.test(time) ? Number(time) * 60 : /^\d+-\d+$/.test(time) ? durationSeconds(`${time}:00`) : durationSeconds(time);
  if (secs === undefined) throw new SpecError(`time ${JSON.stringify(time)} is not minutes, HH:MM:SS or D-HH:MM:SS`);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(secs / 3600)}:${p(Math.floor((secs % 3600) / 60))}:${p(secs % 60)}`;
}

const UNIT_MB: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };

/** A neutral memory size divided over `slots`, as Grid Engine's size (`2G`, `1536M`), rounded up to megabytes. */
export function perSlotMemory(mem: string | number, slots: number): string {
  const m = String(mem);
  if (!isMemory(m)) throw new SpecError(`memory ${JSON.stringify(m)} must be like 500M, 4G or a number of megabytes`);
  const [, num, unit] = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(m) as RegExpExecArray;
  const mb = Math.ceil((Number(num) * (UNIT_MB[(unit || 'M').toUpperCase()] as number)) / slots);
  return mb % 1024 === 0 ? `${mb / 1024}G` : `${mb}M`;
}

function positive(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 1) throw new SpecError(`${name} must be a whole number ≥ 1 (got ${v})`);
  return v;
}

/** `-t`: Grid Engine arrays are one range `N[-M[:S]]` from 1 up, with `-tc` for the `%max`. */
function arrayOptions(array: string): string[][] {
  if (!isArraySpec(array)) throw new SpecError(`array ${JSON.stringify(array)} must be like 1-9, 1-15:4 or 1-9%2`);
  const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?(?:%(\d+))?$/.exec(array);
  if (!m) throw new SpecError(`Grid Engine arrays are one range START-END[:STEP][%MAX] (got ${JSON.stringify(array)}): lists are SLURM's`);
  if (Number(m[1]) < 1) throw new SpecError(`Grid Engine array task ids start at 1 (got ${JSON.stringify(array)})`);
  const range = m[2] === undefined ? (m[1] as string) : `${m[1]}-${m[2]}${m[3] ? `:${m[3]}` : ''}`;
  return [['-t', range], ...(m[4] !== undefined ? [['-tc', m[4]]] : [])];
}

/** `afterany:1:2` → `-hold_jid 1,2`; anything else has no Grid Engine form. */
function holdJid(dependency: string): string {
  const ids: string[] = [];
  for (const part of dependency.split(',')) {
    const [kind, ...rest] = part.split(':');
    if (kind !== 'afterany') {
      throw new SpecError(`Grid Engine has no dependency type ${JSON.stringify(kind ?? part)}: its -hold_jid waits for the other job to end however it ends (afterany)`);
    }
    if (rest.length === 0) throw new SpecError(`dependency ${JSON.stringify(part)} names no job`);
    for (const id of rest) {
      if (!/^\d+$/.test(id)) throw new SpecError(`Grid Engine dependency ${JSON.stringify(id)} must be a job number (no array task, no +minutes)`);
      ids.push(id);
    }
  }
  return ids.join(',');
}

export interface QsubOptions {
  /** Options in order: a flag with its values, or a flag alone (`-h`). */
  opts: string[][];
  /** Variables the job gets from qsub's environment (`-v NAME` takes the value from there). */
  env: Record<string, string>;
}

/** The qsub options of a spec (script, folder and environment aside). */
export function qsubOptions(spec: ScriptOptions): QsubOptions {
  const opts: string[][] = [];
  const env: Record<string, string> = {};
  const add = (flag: string, value: string | undefined) => {
    if (value !== undefined) opts.push([flag, single(flag, value)]);
  };
  if (spec.name !== undefined) {
    const problem = checkJobName(single('name', spec.name));
    if (problem) throw new SpecError(problem);
    add('-N', spec.name);
  }
  add('-q', spec.partition);
  add('-A', spec.account);
  if (spec.time !== undefined) add('-l', `h_rt=${hRt(spec.time)}`);
  if (spec.nodes !== undefined && String(spec.nodes) !== '1') throw new SpecError(`Grid Engine places a job's slots itself: ask for CPUs (tasks × CPUs per task), not ${JSON.stringify(String(spec.nodes))} nodes`);
  const slots = (positive('ntasks', spec.ntasks) ?? 1) * (positive('cpusPerTask', spec.cpusPerTask) ?? 1);
  if (slots > 1) opts.push(['-pe', SMP_PE, String(slots)]);
  if (spec.mem !== undefined) add('-l', `h_vmem=${perSlotMemory(spec.mem, slots)}`);
  if (spec.gpus !== undefined) {
    if (!isGpuCount(String(spec.gpus))) throw new SpecError(`gpus ${JSON.stringify(String(spec.gpus))} must be a count or type:count`);
    throw new SpecError('Grid Engine has no standard GPU resource: ask for your site\'s one in extra arguments (e.g. -l gpu=1)');
  }
  if (spec.array !== undefined) opts.push(...arrayOptions(spec.array));
  add('-o', spec.output);
  add('-e', spec.error);
  // SLURM's default: without --error, stderr goes to the output file.
  if (spec.output !== undefined && spec.error === undefined) add('-j', 'y');
  const comment = commentWithTags(spec.comment, spec.tags);
  if (comment !== undefined) env[COMMENT_VAR] = encodeComment(single('comment', comment));
  if (spec.nice !== undefined) {
    if (!Number.isInteger(spec.nice) || spec.nice < 0 || spec.nice > 1023) throw new SpecError(`Grid Engine lets users lower a job's priority only: nice must be 0…1023 (got ${spec.nice})`);
    if (spec.nice > 0) add('-p', String(-spec.nice));
  }
  if (spec.dependency !== undefined) add('-hold_jid', holdJid(single('dependency', spec.dependency)));
  if (spec.chdir !== undefined) add('-wd', spec.chdir);
  else opts.push(['-cwd']);
  add('-M', spec.mailUser);
  // Grid Engine's letters: b begin, e end, a aborted (failed or killed).
  if (spec.mailEvents?.length) add('-m', checkMailEvents(spec.mailEvents).map((e) => ({ begin: 'b', end: 'e', fail: 'a' })[e]).join(''));
  if (spec.hold) opts.push(['-h']);
  opts.push(...extraOptions(spec.extraArgs ?? []));
  return { opts, env };
}

/**
 * Extra qsub arguments: Grid Engine writes an option's value as the next word (`-P proj`,
 * `-l gpu=1`), so a word without `-` is the value of the option before it; the first must be an option.
 */
function extraOptions(args: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const a of args) {
    single('extra qsub argument', a);
    if (a.startsWith('--')) throw new SpecError(`qsub has no --long options: ${JSON.stringify(a)} looks like an sbatch option (write qsub's, e.g. -P project or -l gpu=1)`);
    if (a.startsWith('-')) out.push([a]);
    else if (out.length) (out[out.length - 1] as string[]).push(a);
    else throw new SpecError(`Extra qsub argument ${JSON.stringify(a)} must start with '-' (an option, then its value as the next word: -P project)`);
  }
  return out;
}

/** {@link BatchScriptFormat.checkTimeLimit} for Grid Engine: what hRt() converts. */
export function checkTimeLimit(text: string): string | undefined {
  return isTimeLimit(text.trim()) ? undefined : 'Use minutes, HH:MM:SS or D-HH:MM:SS';
}
