/**
 * Grid Engine's words for its failures (recorded from the sandbox's 8.1.9, see
 * test/fixtures/gridengine): an unreachable qmaster, an unknown job, a refused qsub option.
 */
import { SchedulerError, type SchedulerErrorKind } from '../command';
import type { JobSubmitSpec } from '../types';

const UNREACHABLE = [/unable to contact qmaster/i, /commlib error/i, /unable to send message to qmaster/i, /can't (?:open|read) .*act_qmaster/i, /cell directory .* doesn't exist/i];

/** `denied: job "9" does not exist`, `Following jobs do not exist: 9`, qacct's `error: job id 9 not found`. */
export const UNKNOWN_JOB = /does not exist|job id \d+ not found|job name .* not found|invalid job/i;

const REFUSED_OPTION: [RegExp, keyof JobSubmitSpec][] = [
  [/queue/i, 'partition'],
  [/object ?name|job name|-N /i, 'name'],
  [/h_rt/i, 'time'],
  [/h_vmem|memory/i, 'mem'],
  [/parallel environment|\bpe\b/i, 'cpusPerTask'],
  [/hold_jid|predecessor/i, 'dependency'],
  [/task id|-t /i, 'array'],
  [/account|project/i, 'account'],
];

export function classifyGeFailure(command: string, code: number | null, output: string): SchedulerError {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines.find((l) => !/^Exiting\.?$/.test(l)) ?? `exit code ${code}`;
  let kind: SchedulerErrorKind = 'rejected';
  if (code === 127 || /command not found/i.test(output)) kind = 'not-found';
  else if (UNREACHABLE.some((r) => r.test(output))) kind = 'unreachable';
  else if (UNKNOWN_JOB.test(output)) kind = 'invalid-job';
  const message = first.startsWith(`${command}:`) ? first : `${command}: ${first}`;
  const option = command === 'qsub' && kind === 'rejected' ? REFUSED_OPTION.find(([re]) => re.test(first))?.[1] : undefined;
  return new SchedulerError(message, kind, command, code, output, option);
}
