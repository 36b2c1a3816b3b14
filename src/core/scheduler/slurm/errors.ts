/** SLURM's words for its failures: which stderr means the controller is unreachable, the job unknown… */
import { SchedulerError, type SchedulerErrorKind } from '../command';

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
  return new SchedulerError(message, kind, command, code, stderr);
}
