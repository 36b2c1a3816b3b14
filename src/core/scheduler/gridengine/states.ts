/**
 * Grid Engine's state letters (qstat(1) "state": d deleted, E error, h hold, r running, R
 * restarted, s/S/T suspended, t transferring, w waiting, q queued; combined as `qw`, `hqw`,
 * `Eqw`, `dr`, `Rr`…) and how a finished job ended (qacct(1) `failed` and `exit_status`) onto
 * {@link JobState}.
 */
import type { JobState } from '../types';

export function queueState(letters: string): JobState {
  const s = letters.trim();
  if (s === '') return 'UNKNOWN';
  if (s.includes('d')) return 'COMPLETING'; // deleted, still being taken down (`dr`, `dt`)
  if (s.includes('E')) return 'PENDING'; // `Eqw`: an error put it on hold; qmod -cj clears it
  if (/[sST]/.test(s)) return 'SUSPENDED';
  if (s.includes('r')) return 'RUNNING';
  if (s.includes('t')) return 'CONFIGURING'; // being sent to its execd
  if (s.includes('w') || s.includes('q')) return 'PENDING';
  return 'UNKNOWN';
}

/**
 * qacct's `failed` (`0`, `100 : assumedly after job`, `37  : qmaster enforced h_rt, h_cpu, or
 * h_vmem limit`) and `exit_status` (`137                  (Killed)`). 100 with a signal is a
 * job killed from outside (qdel); 37 / 38 a limit Grid Engine enforced; other codes a failure
 * setting the job up (no output file, no shell…).
 */
export function finishedState(failed: number, exitStatus: number): JobState {
  if (failed === 0) return exitStatus === 0 ? 'COMPLETED' : 'FAILED';
  if (failed === 37 || failed === 38) return 'TIMEOUT';
  if (failed === 100 && exitStatus > 128) return 'CANCELLED';
  return 'FAILED';
}

/** Exit code and signal from `exit_status` (128+N is signal N, as the shell reports it). */
export function exitParts(exitStatus: number): { exitCode: number; signal?: number } {
  return exitStatus > 128 && exitStatus < 160 ? { exitCode: exitStatus, signal: exitStatus - 128 } : { exitCode: exitStatus };
}
