/**
 * A job's batch script as submitted: `scontrol write batch_script <id> -` while the controller
 * keeps the job, else `sacct -j <id> --batch-script` (stored when AccountingStoreFlags has
 * job_script). Its options come from the job's record (controller or accounting): what SLURM
 * kept of the command line and the `#SBATCH` lines alike. The script is read back no larger than
 * {@link MAX_SCRIPT_BYTES} (SLURM itself refuses scripts over max_script_size, 4 MB by default).
 */
import { MAX_SCRIPT_BYTES, type ScriptOptions } from '../types';
import { ParseError, SchedulerError, type SchedulerCommand } from '../command';
import { isArraySpec, isMemory, isTimeLimit } from '../formats';
import { checkJobIds, optional } from './fields';
import { SLURM_ENV } from './squeue';

function checkSize(text: string, command: string): string {
  if (Buffer.byteLength(text, 'utf8') > MAX_SCRIPT_BYTES) throw new ParseError(`batch script larger than ${MAX_SCRIPT_BYTES / 1024 / 1024} MiB`, undefined, command);
  return text;
}

/** The script on stdout (`-` as the file); the controller's text exactly. */
export function scontrolBatchScriptCommand(id: string): SchedulerCommand<string> {
  const [checked] = checkJobIds([id]);
  return { argv: ['scontrol', 'write', 'batch_script', checked as string, '-'], env: SLURM_ENV, parse: (stdout) => checkSize(stdout, 'scontrol') };
}

/**
 * Accounting's copy: `Batch Script for <id>` and a rule of dashes, then the script; `NONE` (or
 * nothing) when none was stored. Undefined then.
 */
export function sacctBatchScriptCommand(id: string): SchedulerCommand<string | undefined> {
  const [checked] = checkJobIds([id]);
  return { argv: ['sacct', '-j', checked as string, '--batch-script'], env: SLURM_ENV, parse: parseSacctBatchScript };
}

export function parseSacctBatchScript(stdout: string): string | undefined {
  checkSize(stdout, 'sacct');
  const m = /^Batch Script for \S+\n-+\n/.exec(stdout);
  if (!m) {
    if (stdout.trim() === '') return undefined;
    throw new ParseError('"Batch Script for" header expected', stdout.slice(0, 200));
  }
  // Several records (a job id reused): the first script only.
  const body = stdout.slice(m[0].length).split(/(?<=\n)(?=Batch Script for \S+\n-+\n)/)[0] as string;
  if (body.trim() === '' || body.trim() === 'NONE') return undefined;
  // The newline sacct prints after a script that ends with its own is not the script's.
  return body.endsWith('\n\n') ? body.slice(0, -1) : body;
}

/** The "no such script" answer of both tools, as one error kind. */
export function scriptGone(id: string, why: string): SchedulerError {
  return new SchedulerError(`The batch script of job ${id} is no longer available: ${why}`, 'invalid-job', 'scontrol', null, '');
}

const count = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
const above1 = (v: string | undefined) => {
  const n = count(v);
  return n !== undefined && n > 1 ? n : undefined;
};

/** `gres:gpu:2,gres:nvme:1` (22.05) or `gres/gpu:2` (later) → `gpu:2,nvme:1`. */
function gresOf(tres: string | undefined): string | undefined {
  const parts = (optional(tres) ?? '').split(',').map((p) => p.replace(/^gres[:/]/, '')).filter((p) => /^[A-Za-z0-9_.:-]+$/.test(p));
  return parts.length ? parts.join(',') : undefined;
}

function compact(o: Record<string, unknown>): ScriptOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))) as ScriptOptions;
}

/**
 * The options of a `scontrol show job` record worth submitting again: name, partition, account,
 * time limit, comment, array (a task: its own index), and counts only where they ask for more
 * than one (SLURM's defaults otherwise). Not output paths (expanded for the old job).
 */
export function optionsFromController(rec: Record<string, string>): ScriptOptions {
  const time = optional(rec.TimeLimit);
  const memNode = optional(rec.MinMemoryNode);
  const memCpu = optional(rec.MinMemoryCPU);
  const gres = gresOf(rec.TresPerNode);
  const nodes = optional(rec.NumNodes)?.replace(/^(\d+)-\1$/, '$1');
  const task = optional(rec.ArrayTaskId);
  const throttle = count(rec.ArrayTaskThrottle);
  const array = task && isArraySpec(task) ? `${task}${throttle && /[-,]/.test(task) && !task.includes('%') ? `%${throttle}` : ''}` : undefined;
  const extra = [...(memCpu && memCpu !== '0' && isMemory(memCpu) ? [`--mem-per-cpu=${memCpu}`] : []), ...(gres ? [`--gres=${gres}`] : [])];
  return compact({
    name: rec.JobName,
    partition: optional(rec.Partition),
    account: optional(rec.Account),
    time: time && isTimeLimit(time) && !/^(?:UNLIMITED|INFINITE)$/i.test(time) ? time : undefined,
    nodes: nodes && /^\d+(-\d+)?$/.test(nodes) && nodes !== '1' ? nodes : undefined,
    ntasks: above1(rec.NumTasks),
    cpusPerTask: above1(rec['CPUs/Task']),
    mem: memNode && memNode !== '0' && isMemory(memNode) ? memNode : undefined,
    comment: optional(rec.Comment),
    array,
    extraArgs: extra,
  });
}

/**
 * The same from accounting (sacct's field names): no task counts there; GPUs from ReqTRES. Not
 * memory: ReqMem holds the partition's default as well as an asked amount, which it cannot tell apart.
 */
export function optionsFromAccounting(rec: Record<string, string>): ScriptOptions {
  const time = optional(rec.Timelimit);
  const gpus = /(?:^|,)gres\/gpu(?::([A-Za-z0-9_.-]+))?=(\d+)/.exec(rec.ReqTRES ?? '');
  const nodes = count(rec.ReqNodes);
  const extra = gpus ? [`--gres=gpu:${gpus[1] ? `${gpus[1]}:` : ''}${gpus[2]}`] : [];
  return compact({
    name: rec.JobName,
    partition: optional(rec.Partition),
    account: optional(rec.Account),
    time: time && isTimeLimit(time) && !/^(?:UNLIMITED|INFINITE)$/i.test(time) ? time : undefined,
    nodes: nodes !== undefined && nodes > 1 ? nodes : undefined,
    comment: optional(rec.Comment),
    extraArgs: extra,
  });
}
