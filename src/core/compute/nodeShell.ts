/**
 * A shell on a compute node of a running job: the scheduler's attach command (SLURM:
 * `srun --jobid --overlap --pty`) started on a pty over the login node's session, running the
 * user's shell. Job id and node travel as argv words, never as keystrokes. No `vscode`.
 */
import type { PtyOptions, RemoteChannel } from '../ssh/channel';
import type { Session } from '../ssh/session';
import type { Job, Scheduler } from '../scheduler/types';

/**
 * The user's own shell as the node sees `$SHELL` (the job's environment comes from the login
 * node), interactive on the pty; `/bin/sh` when unset.
 */
export const USER_SHELL: readonly string[] = ['/bin/sh', '-c', 'exec "${SHELL:-/bin/sh}"'];

/**
 * The user's shell for a new allocation, after one line naming the job and its node (srun says
 * nothing when the allocation is granted at once); {@link AllocationScanner} reads it.
 */
export const SESSION_SHELL: readonly string[] = ['/bin/sh', '-c', 'printf "Interactive session: job %s on %s\\n" "${SLURM_JOB_ID:-${PBS_JOBID:-?}}" "$(hostname)"; exec "${SHELL:-/bin/sh}"'];

/** Why the job's nodes cannot be reached (a shell, a forward), or undefined when they can. */
export function cannotReach(job: Job | undefined): string | undefined {
  if (!job) return 'The job is not in the Jobs view.';
  if (job.state !== 'RUNNING') return `Job ${job.id} is ${job.state.toLowerCase().replace(/_/g, ' ')}: only the nodes of a running job can be reached.`;
  if (!job.nodes) return `Job ${job.id} has no node yet.`;
  return undefined;
}

/** The job's nodes, in the scheduler's order. */
export function jobNodes(scheduler: Pick<Scheduler, 'expandNodeList'>, job: Job): string[] {
  return scheduler.expandNodeList(job.nodes);
}

/** Starts the user's shell on `node` of `job` on a pty of `session`. */
export function nodeShell(scheduler: Pick<Scheduler, 'attachCommand'>, job: Job, node: string | undefined, command: readonly string[] = USER_SHELL) {
  const argv = scheduler.attachCommand(job.rawId ?? job.id, command, node === undefined ? {} : { node });
  return (session: Session, pty: PtyOptions): Promise<RemoteChannel> => session.spawn(argv, { pty });
}
