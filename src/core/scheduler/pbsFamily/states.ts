/**
 * PBS-family job states (one letter, `job_state`) onto {@link JobState}. The letters and their
 * meaning are from OpenPBS doc/man1/pbs_job_attributes.7B and Torque's qstat(1); a finished
 * job's state word comes from how it ended: its substate (OpenPBS src/include/job.h: 91
 * terminated, i.e. deleted; 92 finished; 93 failed) and exit status (negative `JOB_EXEC_*`
 * codes for PBS's own kills, 256+N for signal N).
 */
import type { JobState } from '../types';

const ACTIVE: Record<string, JobState> = {
  Q: 'PENDING',
  H: 'PENDING',
  W: 'PENDING',
  T: 'PENDING',
  R: 'RUNNING',
  B: 'RUNNING',
  E: 'COMPLETING',
  S: 'SUSPENDED',
  U: 'SUSPENDED',
  M: 'REVOKED',
};

/** Letters of jobs that have ended: PBS F (finished) and X (expired subjob), Torque C (completed). */
const FINISHED_LETTERS = new Set(['F', 'X', 'C']);

/** `JOB_EXEC_*` codes (OpenPBS src/include/job.h) that name why PBS ended the job. */
const EXEC_CODES: Record<number, JobState> = {
  [-29]: 'TIMEOUT', // JOB_EXEC_KILL_WALLTIME
  [-27]: 'OUT_OF_MEMORY', // JOB_EXEC_KILL_MEM
  [-26]: 'OUT_OF_MEMORY', // JOB_EXEC_KILL_VMEM
  [-20]: 'NODE_FAIL', // JOB_EXEC_RERUN_MS_FAIL
};

export interface Ending {
  substate?: number;
  exitStatus?: number;
}

export function pbsJobState(letter: string, ending: Ending = {}): JobState {
  const l = letter.trim().toUpperCase();
  const active = ACTIVE[l];
  if (active) return active;
  if (!FINISHED_LETTERS.has(l)) return 'UNKNOWN';
  const { substate, exitStatus } = ending;
  if (substate === 91) return 'CANCELLED';
  if (exitStatus === undefined) return substate === 93 ? 'FAILED' : 'CANCELLED';
  if (exitStatus === 0) return 'COMPLETED';
  if (exitStatus < 0) return EXEC_CODES[exitStatus] ?? 'FAILED';
  // 271 = killed by SIGTERM (256 + 15): what a qdel of a running job leaves behind.
  if (exitStatus === 271 && substate !== 93) return 'CANCELLED';
  return 'FAILED';
}

/** Exit code and signal from `Exit_status` / `exit_status`: 256+N (PBS) or 128+N (the shell's) is signal N. */
export function exitParts(exitStatus: number | undefined): { exitCode?: number; signal?: number } {
  if (exitStatus === undefined) return {};
  if (exitStatus > 256) return { exitCode: 0, signal: exitStatus - 256 };
  if (exitStatus < 0) return { exitCode: exitStatus };
  return { exitCode: exitStatus };
}

/** `Hold_Types` (`u` user, `o` operator, `s` system, `p` bad password, `n` none) as the neutral held reason. */
export function holdReason(holdTypes: string | undefined): string {
  const h = (holdTypes ?? 'n').trim();
  if (h === '' || h === 'n') return '';
  return /^[u]+$/.test(h) ? 'JobHeldUser' : 'JobHeldAdmin';
}
