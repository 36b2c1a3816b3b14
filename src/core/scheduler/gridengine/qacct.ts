/**
 * `qacct -j` (accounting of finished jobs, read from the cell's accounting file): one record per
 * job or array task, each after a `====` rule, as `key   value` lines (`failed  100 : assumedly
 * after job`, `exit_status  137  (Killed)`, times as ctime(3) text in the cluster's local time).
 * Recorded samples in test/fixtures/gridengine. Pure.
 */
import { ParseError } from '../command';
import { tagsFromComment } from '../tags';
import type { Job } from '../types';
import { formatDuration } from '../formats';
import { neutralId } from './ids';
import { exitParts, finishedState } from './states';

export interface AcctRecord {
  job: string;
  /** Absent for a job that is no array (`taskid undefined`). */
  task?: string;
  fields: Record<string, string>;
}

export function parseQacct(stdout: string): AcctRecord[] {
  const out: AcctRecord[] = [];
  for (const block of stdout.split(/^=+\s*$/m)) {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const m = /^(\w+)\s+(.*?)\s*$/.exec(line);
      if (m) fields[m[1] as string] = m[2] as string;
    }
    // no jobnumber: qacct's usage summary (`OWNER  WALLCLOCK …`), printed when no job matched
    if (fields.jobnumber === undefined) continue;
    const job = fields.jobnumber;
    if (!/^\d+$/.test(job)) throw new ParseError('jobnumber is not a number', block.slice(0, 300));
    const task = fields.taskid;
    out.push({ job, ...(task && /^\d+$/.test(task) ? { task } : {}), fields });
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Wed Dec  2 20:29:24 2026` → `2026-12-02T20:29:24`; undefined for `-/-` and the like. */
export function ctimeIso(text: string | undefined): string | undefined {
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d{2}:\d{2}:\d{2}) (\d{4})$/.exec(text?.trim() ?? '');
  const month = m ? MONTHS.indexOf(m[1] as string) : -1;
  if (!m || month < 0) return undefined;
  return `${m[4]}-${String(month + 1).padStart(2, '0')}-${String(m[2]).padStart(2, '0')}T${m[3]}`;
}

const leadingInt = (v: string | undefined): number => {
  const m = /^-?\d+/.exec(v?.trim() ?? '');
  return m ? Number(m[0]) : NaN;
};

/** A record as a finished {@link Job}; `extra` supplies what accounting does not keep (folder, comment). */
export function acctToJob(r: AcctRecord, extra: { workDir?: string; comment?: string } = {}): Job {
  const f = r.fields;
  const failed = leadingInt(f.failed);
  const exit = leadingInt(f.exit_status);
  if (Number.isNaN(failed) || Number.isNaN(exit)) throw new ParseError('failed / exit_status are not numbers', JSON.stringify(f).slice(0, 300));
  const state = finishedState(failed, exit);
  const wall = leadingInt(f.ru_wallclock);
  const comment = extra.comment ?? '';
  const submitTime = ctimeIso(f.qsub_time);
  const startTime = ctimeIso(f.start_time);
  const endTime = ctimeIso(f.end_time);
  return {
    id: neutralId(r.job, r.task),
    rawId: r.task === undefined ? r.job : `${r.job}.${r.task}`,
    ...(r.task !== undefined ? { arrayJobId: r.job, arrayTaskId: r.task } : {}),
    name: f.jobname ?? '',
    user: f.owner ?? '',
    state,
    rawState: `${state} (failed ${f.failed}, exit_status ${exit})`,
    partition: f.qname ?? '',
    elapsed: Number.isNaN(wall) ? '' : formatDuration(wall),
    timeLimit: '',
    reason: failed === 0 ? '' : (f.failed ?? '').replace(/^\d+\s*:?\s*/, ''),
    nodes: f.hostname ?? '',
    nodeCount: 1,
    ...(submitTime ? { submitTime } : {}),
    ...(startTime ? { startTime } : {}),
    ...(endTime ? { endTime } : {}),
    workDir: extra.workDir ?? '',
    ...exitParts(exit),
    comment,
    tags: tagsFromComment(comment),
  };
}
