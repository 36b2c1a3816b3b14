import type { JobState } from '../types';

const LONG: Record<string, JobState> = {
  PENDING: 'PENDING',
  CONFIGURING: 'CONFIGURING',
  RUNNING: 'RUNNING',
  COMPLETING: 'COMPLETING',
  SUSPENDED: 'SUSPENDED',
  STOPPED: 'STOPPED',
  REQUEUED: 'REQUEUED',
  REQUEUE_HOLD: 'REQUEUED',
  REQUEUE_FED: 'REQUEUED',
  RESV_DEL_HOLD: 'PENDING',
  RESIZING: 'RESIZING',
  SIGNALING: 'SIGNALING',
  STAGE_OUT: 'STAGE_OUT',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
  TIMEOUT: 'TIMEOUT',
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
  NODE_FAIL: 'NODE_FAIL',
  PREEMPTED: 'PREEMPTED',
  BOOT_FAIL: 'BOOT_FAIL',
  DEADLINE: 'DEADLINE',
  REVOKED: 'REVOKED',
  SPECIAL_EXIT: 'SPECIAL_EXIT',
  // sacct prints these for jobs still in the controller's hands
  LAUNCH_FAILED: 'FAILED',
  POWER_UP_NODE: 'CONFIGURING',
  UPDATE_DB: 'COMPLETING',
};

const COMPACT: Record<string, JobState> = {
  PD: 'PENDING',
  CF: 'CONFIGURING',
  R: 'RUNNING',
  CG: 'COMPLETING',
  S: 'SUSPENDED',
  ST: 'STOPPED',
  RQ: 'REQUEUED',
  RH: 'REQUEUED',
  RF: 'REQUEUED',
  RD: 'PENDING',
  RS: 'RESIZING',
  SI: 'SIGNALING',
  SO: 'STAGE_OUT',
  CD: 'COMPLETED',
  F: 'FAILED',
  CA: 'CANCELLED',
  TO: 'TIMEOUT',
  OOM: 'OUT_OF_MEMORY',
  NF: 'NODE_FAIL',
  PR: 'PREEMPTED',
  BF: 'BOOT_FAIL',
  DL: 'DEADLINE',
  RV: 'REVOKED',
  SE: 'SPECIAL_EXIT',
};

/**
 * Maps SLURM's state words onto {@link JobState}. Accepts the long form (`RUNNING`), the
 * compact form (`R`), sacct's `CANCELLED by 1000`, width-truncated `OUT_OF_ME+`, and flag
 * suffixes some versions append (`COMPLETING+`, `PENDING,REQUEUE` → first word).
 */
export function normaliseState(raw: string): JobState {
  const word = raw.trim().split(/[\s,]/)[0]?.replace(/\+$/, '').toUpperCase() ?? '';
  if (word in LONG) return LONG[word] as JobState;
  if (word in COMPACT) return COMPACT[word] as JobState;
  // A truncated long word (sacct without -P cuts at 10 characters and adds '+').
  if (raw.trim().endsWith('+') && word.length >= 3) {
    const hit = Object.keys(LONG).find((k) => k.startsWith(word));
    if (hit) return LONG[hit] as JobState;
  }
  return 'UNKNOWN';
}

/** The uid in sacct's `CANCELLED by 1000`; undefined for any other state word. */
export function cancelledByOf(raw: string): string | undefined {
  return /^CANCELLED by (\d+)$/.exec(raw.trim())?.[1];
}
