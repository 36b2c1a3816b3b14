/**
 * `scontrol show job -o <id>` (all attributes, one line per job or array task),
 * `scontrol hold|release|requeue <ids>` and `scontrol ping`.
 */
import type { ControllerStatus } from '../types';
import type { SchedulerCommand } from '../command';
import { ParseError } from '../command';
import { SLURM_ENV } from './squeue';
import { checkJobIds } from './fields';

/**
 * Keys of `scontrol show job`, in print order: 22.05's (recorded) merged with the later
 * versions' (from the 23.x–25.x sources); optional keys included. Where a key's value is
 * free text (names, comments, paths — they may contain spaces and even ` Key=`), only a
 * known key that prints after it ends the value.
 */
const SCONTROL_JOB_KEYS = [
  'JobId',
  'ArrayJobId',
  'ArrayTaskId',
  'ArrayTaskThrottle',
  'HetJobId',
  'HetJobOffset',
  'JobName',
  'HetJobIdSet',
  'UserId',
  'GroupId',
  'MCS_label',
  'Priority',
  'Nice',
  'Account',
  'QOS',
  'WCKey',
  'JobState',
  'Reason',
  'FailedNode',
  'Dependency',
  'Requeue',
  'Restarts',
  'BatchFlag',
  'Reboot',
  'ExitCode',
  'DerivedExitCode',
  'RunTime',
  'TimeLimit',
  'TimeMin',
  'SubmitTime',
  'EligibleTime',
  'AccrueTime',
  'ResizeTime',
  'StartTime',
  'EndTime',
  'Deadline',
  'CronJob',
  'CrontabSpec',
  'PreemptEligibleTime',
  'PreemptTime',
  'SuspendTime',
  'SecsPreSuspend',
  'LastSchedEval',
  'Scheduler',
  'Partition',
  'AllocNode:Sid',
  'ReqNodeList',
  'ExcNodeList',
  'NodeList',
  'SchedNodeList',
  'BatchFeatures',
  'BatchHost',
  'StepMgrEnabled',
  'FedOrigin',
  'FedViableSiblings',
  'FedActiveSiblings',
  'NumNodes',
  'NumCPUs',
  'NumTasks',
  'CPUs/Task',
  'ReqB:S:C:T',
  'ReqTRES',
  'AllocTRES',
  'TRES',
  'Socks/Node',
  'NtasksPerN:B:S:C',
  'CoreSpec',
  'ThreadSpec',
  'JOB_GRES',
  'Nodes',
  'CPU_IDs',
  'Mem',
  'GRES',
  'MinCPUsNode',
  'MinMemoryNode',
  'MinMemoryCPU',
  'MinMemoryTRES',
  'MinTmpDiskNode',
  'Features',
  'DelayBoot',
  'ClusterFeatures',
  'Prefer',
  'Reservation',
  'OverSubscribe',
  'Contiguous',
  'Licenses',
  'LicensesAlloc',
  'Network',
  'Command',
  'WorkDir',
  'AdminComment',
  'SystemComment',
  'Comment',
  'Extra',
  'StdErr',
  'StdIn',
  'StdOut',
  'Switches',
  'BurstBuffer',
  'BurstBufferState',
  'CpuFreqMin',
  'CpuFreqMax',
  'CpuFreqGov',
  'Power',
  'GresAllowTaskSharing',
  'GresEnforceBind',
  'GresOneTaskPerSharing',
  'KillOInInvalidDependent',
  'SpreadJob',
  'OOMKillStep',
  'CpusPerTres',
  'MemPerTres',
  'TresBind',
  'TresFreq',
  'TresPerJob',
  'TresPerNode',
  'TresPerSocket',
  'TresPerTask',
  'MailUser',
  'MailType',
  'NtasksPerTRES',
  'Container',
  'ContainerID',
  'SELinuxContext',
  'ResvPorts',
  'SegmentSize',
] as const;

const RANK = new Map<string, number>(SCONTROL_JOB_KEYS.map((k, i) => [k, i]));
/** Values that may hold spaces. (Reason cannot: scontrol turns its whitespace into '_'.) */
const FREE_TEXT = new Set([
  'JobName',
  'CrontabSpec',
  'Command',
  'WorkDir',
  'AdminComment',
  'SystemComment',
  'Comment',
  'Extra',
  'StdErr',
  'StdIn',
  'StdOut',
  'BurstBuffer',
  'Container',
  'ContainerID',
]);
/** scontrol prints these as `Key=%s ` — one space more than the separator. */
const PADDED = new Set(['Comment', 'AdminComment', 'SystemComment', 'Extra']);
/** The key after JobName in every version (HetJobIdSet only for het jobs): a name cannot end earlier. */
const AFTER_NAME = new Set(['UserId', 'HetJobIdSet']);

const KEY = /(?<=^| )([A-Za-z][A-Za-z0-9_:/.-]*)=/g;

/** Parses one `scontrol show -o` record (`Key=Value Key=Value …`) into a map. */
export function parseKeyValueLine(line: string): Record<string, string> {
  const cands: { key: string; start: number; valueStart: number }[] = [];
  for (const m of line.matchAll(KEY)) {
    const key = m[1] as string;
    cands.push({ key, start: m.index ?? 0, valueStart: (m.index ?? 0) + m[0].length });
  }
  if (cands.length === 0 || cands[0]?.start !== 0) throw new ParseError('Key=Value record expected', line);
  const accepted: typeof cands = [];
  const seen = new Set<string>();
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i] as (typeof cands)[number];
    const current = accepted[accepted.length - 1];
    if (current && FREE_TEXT.has(current.key)) {
      if (!RANK.has(c.key) || seen.has(c.key)) continue;
      if (current.key === 'JobName' && !AFTER_NAME.has(c.key)) continue;
      // The same key later on the line: this one is text inside the free-text value.
      if (cands.slice(i + 1).some((d) => d.key === c.key)) continue;
      if ((RANK.get(c.key) as number) < (RANK.get(current.key) ?? -1)) continue;
    }
    accepted.push(c);
    seen.add(c.key);
  }
  const out: Record<string, string> = {};
  accepted.forEach((c, i) => {
    const next = accepted[i + 1];
    // The value runs up to the separator before the next key; the record ends with one too.
    let value = next ? line.slice(c.valueStart, next.start - 1) : line.slice(c.valueStart).replace(/ $/, '');
    if (PADDED.has(c.key) && value.endsWith(' ')) value = value.slice(0, -1);
    // Fixed-format values never hold spaces: anything trailing is padding (`JOB_GRES=(null)   Nodes=`).
    if (!FREE_TEXT.has(c.key)) value = value.trimEnd();
    if (value === '(null)') value = '';
    out[c.key] = c.key in out ? `${out[c.key]} ${value}` : value;
  });
  return out;
}

/** Splits `scontrol show job -o` output into records (a newline inside a name continues the record). */
export function parseScontrolJobs(stdout: string): Record<string, string>[] {
  const text = stdout.replace(/\n$/, '');
  if (text.trim() === '' || /^No jobs in the system\s*$/.test(text.trim())) return [];
  const lines = text.split('\n');
  const records: string[] = [];
  for (const line of lines) {
    if (line.startsWith('JobId=')) records.push(line);
    else if (records.length > 0) records[records.length - 1] += `\n${line}`;
    else throw new ParseError('record must start with JobId=', line);
  }
  return records.map(parseKeyValueLine);
}

export function scontrolShowJobCommand(id: string): SchedulerCommand<Record<string, string>[]> {
  const [checked] = checkJobIds([id]);
  return { argv: ['scontrol', 'show', 'job', '-o', checked as string], env: SLURM_ENV, parse: parseScontrolJobs };
}

/** The record for `id` (`123`, or task `123_4`) among what `scontrol show job` printed. */
export function pickJobRecord(records: Record<string, string>[], id: string): Record<string, string> | undefined {
  return (
    records.find((r) => r.JobId === id) ??
    records.find((r) => r.ArrayJobId !== undefined && `${r.ArrayJobId}_${r.ArrayTaskId}` === id) ??
    records[0]
  );
}

function actionCommand(action: 'hold' | 'release' | 'requeue', ids: readonly string[]): SchedulerCommand<void> {
  return { argv: ['scontrol', action, checkJobIds(ids).join(',')], parse: () => undefined };
}

export const scontrolHoldCommand = (ids: readonly string[]) => actionCommand('hold', ids);
export const scontrolReleaseCommand = (ids: readonly string[]) => actionCommand('release', ids);
export const scontrolRequeueCommand = (ids: readonly string[]) => actionCommand('requeue', ids);

/** `scontrol ping`: exit 0 with `… is UP`, exit 1 with `… is DOWN` (an answer, not an error). */
export function scontrolPingCommand(): SchedulerCommand<ControllerStatus> {
  return {
    argv: ['scontrol', 'ping'],
    acceptCodes: [1],
    parse: (stdout, stderr) => {
      const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      const states = lines.map((l) => /\bis (UP|DOWN)\b/.exec(l)?.[1]).filter((s): s is string => s !== undefined);
      if (states.length === 0) {
        if (stderr.trim()) return { up: false, message: stderr.trim().split('\n')[0] as string };
        throw new ParseError('expected "… is UP" or "… is DOWN"', stdout);
      }
      return { up: states.includes('UP'), message: lines.join('; ') };
    },
  };
}
