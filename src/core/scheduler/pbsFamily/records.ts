/**
 * A PBS-family job record as both `qstat -f -F json` (OpenPBS) and `qstat -f -x` (Torque, XML)
 * print it: the job's id plus its attributes, resources flattened to `Resource_List.walltime`
 * and the job's environment to `Variable_List.PBS_O_WORKDIR`. The attribute names are the same
 * in both (OpenPBS src/include/pbs_ifl.h, Torque src/include/pbs_ifl.h); each scheduler's parser
 * produces these records, and this module turns them into neutral {@link Job}s.
 */
import { ParseError } from '../command';
import { normaliseDuration } from '../formats';
import { tagsFromComment } from '../tags';
import type { Job, JobDependency, OutputPaths } from '../types';
import { neutralId, parseNativeId } from './ids';
import { exitParts, holdReason, pbsJobState } from './states';

export interface JobRecord {
  /** As printed: `123.server`, `123[].server`, `123[4].server`. */
  id: string;
  attrs: Record<string, string>;
}

/** The job environment variable that carries the job's comment and tags (PBS has no user comment at submit). */
export const COMMENT_VAR = 'RHPC_COMMENT';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS` in this machine's local time. */
export function localIso(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/**
 * A time attribute as the neutral `YYYY-MM-DDTHH:MM:SS`: OpenPBS prints ctime(3) text
 * (`Tue Apr 28 18:43:16 2020`, the server's local time); Torque's XML gives epoch seconds,
 * shown in this machine's local time.
 */
export function pbsTime(v: string | undefined): string | undefined {
  const t = v?.trim();
  if (!t) return undefined;
  if (/^\d+$/.test(t)) return localIso(Number(t) * 1000);
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d{2}:\d{2}:\d{2}) (\d{4})$/.exec(t);
  const month = m ? MONTHS.indexOf(m[1] as string) : -1;
  if (!m || month < 0) return undefined;
  return `${m[4]}-${p2(month + 1)}-${p2(Number(m[2]))}T${m[3]}`;
}

function int(v: string | undefined, field: string, rec: JobRecord): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new ParseError(`${field} is not an integer (${JSON.stringify(v)})`, rec.id);
  return Number(v);
}

/** `exec_host` (`n1/0*2+n2/1`) → `n1,n2`. */
function hosts(execHost: string | undefined): string[] {
  if (!execHost) return [];
  return [...new Set(execHost.split('+').map((h) => h.split('/')[0]?.trim() ?? '').filter(Boolean))];
}

/** `depend` (`afterok:123.srv:124[].srv,afterany:125.srv`) → what the job waits for (the `before…` side left out). */
function parseDepend(depend: string | undefined): JobDependency[] {
  const out: JobDependency[] = [];
  for (const part of (depend ?? '').split(',')) {
    const [kind, ...ids] = part.trim().split(':');
    if (!kind || !/^after/.test(kind)) continue;
    for (const raw of ids) {
      const id = parseNativeId(raw.replace(/@.*$/, ''));
      if (id) out.push({ kind, jobId: neutralId(id) });
    }
  }
  return out;
}

/** An array parent (`123[]`): its subjobs are listed one by one instead. */
export function isArrayParent(rec: JobRecord): boolean {
  return parseNativeId(rec.id)?.index === '';
}

export function recordToJob(rec: JobRecord): Job {
  const a = rec.attrs;
  const native = parseNativeId(rec.id);
  if (!native) throw new ParseError('job id expected', rec.id);
  const letter = (a.job_state ?? '').trim();
  const exitStatus = int(a.Exit_status ?? a.exit_status, 'Exit_status', rec);
  const substate = int(a.substate, 'substate', rec);
  const state = pbsJobState(letter, { ...(substate !== undefined ? { substate } : {}), ...(exitStatus !== undefined ? { exitStatus } : {}) });
  if (state === 'UNKNOWN') throw new ParseError(`unknown job state ${JSON.stringify(letter)}`, rec.id);
  const comment = a[`Variable_List.${COMMENT_VAR}`] ?? '';
  const dependencies = parseDepend(a.depend);
  const nodes = hosts(a.exec_host);
  const held = letter === 'H' ? holdReason(a.Hold_Types) : '';
  // A job waiting on another one is held by the system (`s`) until the dependency is met.
  const waitsOnDependency = letter === 'H' && held === 'JobHeldAdmin' && dependencies.length > 0 && /^s+$/.test(a.Hold_Types ?? '');
  const reason = waitsOnDependency ? 'Dependency' : held || (state === 'PENDING' ? (a.comment ?? '').trim() : '');
  const job: Job = {
    id: neutralId(native),
    rawId: rec.id,
    name: a.Job_Name ?? '',
    user: (a.Job_Owner ?? a.euser ?? '').replace(/@.*$/, ''),
    state,
    rawState: letter,
    partition: a.queue ?? '',
    elapsed: normaliseDuration(a['resources_used.walltime'] ?? ''),
    timeLimit: normaliseDuration(a['Resource_List.walltime'] ?? ''),
    reason,
    nodes: nodes.join(','),
    // Torque's -d sets init_work_dir; PBS_O_WORKDIR is where qsub ran (and where relative outputs go).
    workDir: a.init_work_dir ?? a['Variable_List.PBS_O_WORKDIR'] ?? '',
    comment,
    tags: tagsFromComment(comment),
    ...exitParts(exitStatus),
  };
  if (native.index) {
    job.arrayJobId = native.seq;
    job.arrayTaskId = native.index;
  }
  if (nodes.length) job.nodeCount = nodes.length;
  const submit = pbsTime(a.qtime ?? a.ctime);
  const start = pbsTime(a.stime ?? a.start_time);
  const end = pbsTime(a.obittime ?? a.comp_time);
  if (submit) job.submitTime = submit;
  if (start) job.startTime = start;
  if (end) job.endTime = end;
  const priority = int(a.Priority, 'Priority', rec);
  if (priority !== undefined) job.priority = priority;
  if (dependencies.length && state === 'PENDING') job.dependencies = dependencies;
  return job;
}

/** `host:/path` (how PBS stores output paths) → `/path`; the array index put in for a subjob (`^array_index^`). */
function localPath(p: string, index: string | undefined): string {
  const path = p.replace(/^[^/:]*:(?=\/)/, '');
  return index === undefined ? path : path.replace(/\^array_index\^/g, index);
}

/** The job's stdout and stderr files as its record names them (stderr left out when joined into stdout). */
export function recordOutputPaths(rec: JobRecord): OutputPaths | undefined {
  const a = rec.attrs;
  const index = parseNativeId(rec.id)?.index || undefined;
  if (!a.Output_Path) return undefined;
  const stdout = localPath(a.Output_Path, index);
  const join = (a.Join_Path ?? 'n').trim();
  if (join === 'oe' || !a.Error_Path) return { stdout };
  const stderr = localPath(a.Error_Path, index);
  if (join === 'eo') return { stdout: stderr };
  return stderr === stdout ? { stdout } : { stdout, stderr };
}
