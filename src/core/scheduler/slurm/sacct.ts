/**
 * `sacct -X -p --delimiter=<US> -S <start> -o …`: accounting records (one per allocation).
 *
 * - `-o` rather than `--json`: 22.05's `sacct --json` reports wrong exit codes.
 * - `-S` always: without it sacct's default window depends on other options and version.
 * - `-p` (trailing delimiter) instead of `-P`: every record then ends with the delimiter and a
 *   newline, so a newline inside a job name cannot split a record.
 */
import type { Job } from '../types';
import type { SchedulerCommand } from '../command';
import { ParseError } from '../command';
import { cancelledByOf, normaliseState } from './states';
import { SLURM_ENV } from './squeue';
import { FIELD_SEP, checkJobIds, checkUser, duration, exitCode, int, optional, sinceArg, splitJobId, splitRecords, text } from './fields';
import { tagsFromComment } from '../tags';

const SACCT_FIELDS = [
  'JobID',
  'JobIDRaw',
  'State',
  'ExitCode',
  'Partition',
  'User',
  'Elapsed',
  'Timelimit',
  'Reason',
  'NNodes',
  'NodeList',
  'Submit',
  'Start',
  'End',
  'Priority',
  'WorkDir',
  'Comment',
  'JobName',
] as const;

function sacctBase(start: string, fields: readonly string[], header: boolean): string[] {
  return ['sacct', ...(header ? [] : ['-n']), '-X', '-p', `--delimiter=${FIELD_SEP}`, '-S', start, '-o', fields.join(',')];
}

/** Final (or current) records of the given jobs; one command whatever the number of ids. */
export function sacctJobsCommand(ids: readonly string[], sinceDays = 7): SchedulerCommand<Job[]> {
  return {
    argv: [...sacctBase(sinceArg(sinceDays), SACCT_FIELDS, false), '-j', checkJobIds(ids).join(',')],
    env: SLURM_ENV,
    parse: parseSacct,
  };
}

/** Every allocation of the user (default: the calling user) in the last `sinceDays` days. */
export function sacctHistoryCommand(sinceDays: number, user?: string): SchedulerCommand<Job[]> {
  return {
    argv: [...sacctBase(sinceArg(sinceDays), SACCT_FIELDS, false), ...(user !== undefined ? ['-u', checkUser(user)] : [])],
    env: SLURM_ENV,
    parse: parseSacct,
  };
}

/**
 * Around a job's start and end, slurmdbd can answer with a placeholder for it (name `allocation`,
 * no partition, time limit or work dir; the state PENDING or already final) until the real record
 * is written: such records are left out, so callers see "not in accounting yet" and ask again
 * instead of showing the placeholder. A real allocation always has a partition.
 */
export function parseSacct(stdout: string): Job[] {
  return parseSacctRecords(stdout).filter((j) => j.partition !== '' || j.workDir !== '');
}

function parseSacctRecords(stdout: string): Job[] {
  return splitRecords(stdout, SACCT_FIELDS.length, FIELD_SEP).map((f) => {
    const rec = f.join(FIELD_SEP);
    const get = (i: number) => f[i] ?? '';
    const id = get(0).trim();
    if (!/^\d+/.test(id)) throw new ParseError('job id expected', rec);
    const rawState = get(2).trim();
    const state = normaliseState(rawState);
    if (state === 'UNKNOWN' && rawState !== 'UNKNOWN') throw new ParseError(`unknown job state ${JSON.stringify(rawState)}`, rec);
    const comment = get(16);
    const job: Job = {
      id,
      rawId: get(1).trim(),
      ...splitJobId(id),
      name: get(17),
      user: text(get(5)),
      state,
      rawState,
      partition: text(get(4)),
      elapsed: duration(get(6)),
      timeLimit: duration(get(7)),
      reason: text(get(8)),
      nodes: text(get(10)).replace(/^None assigned$/, ''),
      workDir: text(get(15)),
      comment: optional(comment) === undefined ? '' : comment,
      tags: tagsFromComment(comment),
      ...exitCode(get(3), rec),
    };
    const nodeCount = int(get(9), 'NNodes', rec);
    if (nodeCount !== undefined) job.nodeCount = nodeCount;
    const submit = optional(get(11));
    const start = optional(get(12));
    const end = optional(get(13));
    if (submit) job.submitTime = submit;
    if (start) job.startTime = start;
    if (end) job.endTime = end;
    const priority = int(get(14), 'Priority', rec);
    if (priority !== undefined) job.priority = priority;
    const by = cancelledByOf(rawState);
    if (by !== undefined) job.cancelledBy = by;
    return job;
  });
}

/** Fields for "all attributes" of a job that has left the controller (all exist in 20.02+). */
const SACCT_DETAIL_FIELDS = [
  'JobID',
  'JobIDRaw',
  'State',
  'ExitCode',
  'DerivedExitCode',
  'Reason',
  'User',
  'Group',
  'Account',
  'QOS',
  'Partition',
  'Cluster',
  'Priority',
  'Submit',
  'Eligible',
  'Start',
  'End',
  'Elapsed',
  'Timelimit',
  'Suspended',
  'CPUTime',
  'NNodes',
  'NCPUS',
  'NodeList',
  'ReqCPUS',
  'ReqMem',
  'ReqNodes',
  'ReqTRES',
  'AllocTRES',
  'Reservation',
  'WorkDir',
  'Comment',
  'JobName',
] as const;

/** One job's accounting record as key → value (header names as keys); null when not found. */
export function sacctDetailsCommand(id: string, sinceDays = 365): SchedulerCommand<Record<string, string> | null> {
  const [checked] = checkJobIds([id]);
  return {
    argv: [...sacctBase(sinceArg(sinceDays), SACCT_DETAIL_FIELDS, true), '-j', checked as string],
    env: SLURM_ENV,
    parse: (stdout) => {
      const recs = splitRecords(stdout, SACCT_DETAIL_FIELDS.length, FIELD_SEP);
      const header = recs[0];
      if (!header || header[0] !== 'JobID') throw new ParseError('sacct header expected', header?.join('|') ?? stdout.slice(0, 200));
      const row = recs.slice(1).find((r) => r[0] === id) ?? recs[1];
      if (!row) return null;
      const out: Record<string, string> = {};
      header.forEach((k, i) => (out[k] = row[i] ?? ''));
      return out;
    },
  };
}
