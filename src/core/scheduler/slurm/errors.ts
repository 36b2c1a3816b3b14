/** SLURM's words for its failures: which stderr means the controller is unreachable, the job unknown… */
import { SchedulerError, type SchedulerErrorKind } from '../command';
import type { JobSubmitSpec } from '../types';

const UNREACHABLE = [
  /Unable to contact slurm controller/i,
  /Socket timed out on send\/recv/i,
  /Connection refused/i,
  /Zero Bytes were transmitted or received/i,
  /Communication connection failure/i,
  /Unable to establish controller machine/i,
  /slurmdbd.*(?:not respond|connection)/i,
  /Problem talking to the database/i,
  /Could not establish a configuration source/i,
];

/** sbatch's refusals (slurm_strerror texts) → the submit option they are about; a policy (QOS limits) names none. */
const REFUSED_OPTION: [RegExp, keyof JobSubmitSpec][] = [
  [/Invalid partition name|partition .*(?:not|unavailable)|Invalid partition/i, 'partition'],
  [/Invalid account|account\/partition combination/i, 'account'],
  [/time limit/i, 'time'],
  [/dependency/i, 'dependency'],
  [/job array|array index/i, 'array'],
  [/Memory (?:required|specification)|--mem/i, 'mem'],
  [/generic resource|gres|gpu/i, 'gpus'],
  [/Node count specification/i, 'nodes'],
  [/More processors requested|ntasks/i, 'ntasks'],
  [/cpus-per-task|cpus per task/i, 'cpusPerTask'],
  [/Invalid qos|QOS/, 'extraArgs'],
];

/** Maps a failed SLURM command's exit code and stderr to a {@link SchedulerError}. */
export function classifySlurmFailure(command: string, code: number | null, stderr: string): SchedulerError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines.find((l) => /error|invalid|denied|not |unable|fatal/i.test(l)) ?? lines[0] ?? `exit code ${code}`;
  let kind: SchedulerErrorKind = 'rejected';
  if (code === 127 || /command not found|No such file or directory.*(squeue|sbatch|sacct|scontrol|scancel)/.test(stderr)) kind = 'not-found';
  else if (UNREACHABLE.some((r) => r.test(stderr))) kind = 'unreachable';
  else if (/Invalid job id|Job ID .* not found|Invalid job_id|^Job \S+ not found/im.test(stderr)) kind = 'invalid-job';
  // SLURM tools name themselves ("sbatch: error: …"): say the command once.
  const message = first.startsWith(`${command}:`) ? first : `${command}: ${first}`;
  const option = command === 'sbatch' && kind === 'rejected' && !/policy/i.test(first) ? REFUSED_OPTION.find(([re]) => re.test(first))?.[1] : undefined;
  return new SchedulerError(message, kind, command, code, stderr, option);
}
