/**
 * The PBS family's words for its failures (OpenPBS src/lib/Liblog/pbs_messages.c and
 * src/cmds/*.c, Torque src/lib/Libpbs/pbs_geterr and src/cmds): an unreachable server, an
 * unknown job, a refused option.
 */
import { SchedulerError, type SchedulerErrorKind } from '../command';
import type { JobSubmitSpec } from '../types';

const UNREACHABLE = [
  /Connection refused/i,
  /cannot connect to server/i,
  /Cannot connect to (?:specified )?(?:server|default server)/i,
  /Communication failure/i,
  /pbs_iff: cannot/i,
  /No Permission\. cannot connect/i,
  /Server (?:is )?not responding/i,
  /End of File/i,
];

/** Messages about a job id the server does not know (any more), or one that has finished. */
export const UNKNOWN_JOB = /Unknown Job Id|Job has finished|illegally formed job identifier|does not exist/i;

const REFUSED_OPTION: [RegExp, keyof JobSubmitSpec][] = [
  [/Unknown queue|queue is not enabled|queue .*(?:stopped|disabled)/i, 'partition'],
  [/illegal -N|job name/i, 'name'],
  [/walltime/i, 'time'],
  [/depend/i, 'dependency'],
  [/-J|-t value|array/i, 'array'],
  [/illegal -A|account|project/i, 'account'],
  [/ngpus|gpus/i, 'gpus'],
  [/mem\b|memory/i, 'mem'],
  [/ncpus|ppn/i, 'cpusPerTask'],
  [/select|nodes/i, 'nodes'],
];

export function classifyPbsFailure(command: string, code: number | null, stderr: string): SchedulerError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines[0] ?? `exit code ${code}`;
  let kind: SchedulerErrorKind = 'rejected';
  if (code === 127 || /command not found/i.test(stderr)) kind = 'not-found';
  else if (UNREACHABLE.some((r) => r.test(stderr))) kind = 'unreachable';
  else if (UNKNOWN_JOB.test(stderr)) kind = 'invalid-job';
  // PBS tools name themselves ("qsub: Unknown queue"): say the command once.
  const message = first.startsWith(`${command}:`) ? first : `${command}: ${first}`;
  const option = command === 'qsub' && kind === 'rejected' ? REFUSED_OPTION.find(([re]) => re.test(first))?.[1] : undefined;
  return new SchedulerError(message, kind, command, code, stderr, option);
}
