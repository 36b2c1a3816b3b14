/**
 * `squeue -h -r -u <user> -o <format>`: the user's active jobs, one record per array task.
 *
 * - `-o` rather than `--json`: in 22.05 `squeue --json` ignores `--me`/`-j` and returns every job.
 * - `-u <user>` rather than `--me` (never cheaper; in 22.05 both cost 3 RPCs).
 * - `--local` skips the federation lookup: 2 controller RPCs per query instead of 3 (measured
 *   with sdiag on 22.05). Federated sites can turn it off.
 * - `-r` lists array tasks one by one (`123_4`), so the UI can group them under `123`.
 */
import type { Job } from '../types';
import type { SchedulerCommand } from '../command';
import { ParseError } from '../command';
import { normaliseState } from './states';
import { FIELD_SEP, RECORD_END, checkUser, duration, int, optional, splitRecords, text } from './fields';
import { parseDependency } from './dependency';
import { tagsFromComment } from '../tags';

/** Field name → squeue `-o` code. Free text (workDir, comment, name) last, the name very last. */
const SQUEUE_FIELDS = [
  ['id', '%i'],
  ['rawId', '%A'],
  ['arrayJobId', '%F'],
  ['arrayTaskId', '%K'],
  ['state', '%T'],
  ['partition', '%P'],
  ['user', '%u'],
  ['elapsed', '%M'],
  ['timeLimit', '%l'],
  ['reason', '%r'],
  ['nodes', '%N'],
  ['nodeCount', '%D'],
  ['submitTime', '%V'],
  ['startTime', '%S'],
  ['endTime', '%e'],
  ['priority', '%Q'],
  ['nice', '%y'],
  ['dependency', '%E'],
  ['workDir', '%Z'],
  ['comment', '%k'],
  ['name', '%j'],
] as const;

export const SQUEUE_FORMAT = SQUEUE_FIELDS.map(([, code]) => code).join(FIELD_SEP) + RECORD_END;

/** Fixed time format, whatever the user's profile sets. */
export const SLURM_ENV: Record<string, string> = { SLURM_TIME_FORMAT: 'standard' };

export interface SqueueOptions {
  /** Include jobs on the other clusters of a federation (default false: `--local`). */
  federation?: boolean;
}

export function squeueCommand(user: string, opts: SqueueOptions = {}): SchedulerCommand<Job[]> {
  return {
    argv: ['squeue', '-h', '-r', ...(opts.federation ? [] : ['--local']), '-u', checkUser(user), '-o', SQUEUE_FORMAT],
    env: SLURM_ENV,
    parse: parseSqueue,
  };
}

export function parseSqueue(stdout: string): Job[] {
  return splitRecords(stdout, SQUEUE_FIELDS.length, RECORD_END).map((f) => {
    const rec = f.join(FIELD_SEP);
    const get = (i: number) => f[i] ?? '';
    const id = get(0).trim();
    if (!/^\d+/.test(id)) throw new ParseError('job id expected', rec);
    const rawState = get(4).trim();
    const state = normaliseState(rawState);
    if (state === 'UNKNOWN' && rawState !== 'UNKNOWN') throw new ParseError(`unknown job state ${JSON.stringify(rawState)}`, rec);
    const task = optional(get(3));
    const comment = get(19);
    const job: Job = {
      id,
      rawId: get(1).trim(),
      name: get(20),
      user: get(6).trim(),
      state,
      rawState,
      partition: text(get(5)),
      elapsed: duration(get(7)),
      timeLimit: duration(get(8)),
      reason: text(get(9)),
      nodes: text(get(10)),
      workDir: text(get(18)),
      comment: optional(comment) === undefined ? '' : comment,
      tags: tagsFromComment(comment),
    };
    if (task !== undefined) {
      job.arrayJobId = get(2).trim();
      job.arrayTaskId = task;
    }
    const nodeCount = int(get(11), 'node count', rec);
    if (nodeCount !== undefined) job.nodeCount = nodeCount;
    const submit = optional(get(12));
    const start = optional(get(13));
    const end = optional(get(14));
    if (submit) job.submitTime = submit;
    if (start) job.startTime = start;
    if (end) job.endTime = end;
    const priority = int(get(15), 'priority', rec);
    const nice = int(get(16), 'nice', rec);
    if (priority !== undefined) job.priority = priority;
    if (nice !== undefined) job.nice = nice;
    const dep = parseDependency(get(17));
    if (dep) {
      job.dependencies = dep.dependencies;
      if (dep.any) job.dependencyAny = true;
    }
    return job;
  });
}
