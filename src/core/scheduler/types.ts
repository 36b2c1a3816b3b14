/**
 * Scheduler-neutral job model and operations. SLURM implements it in ./slurm; a PBS or
 * LSF implementation would map its own states onto {@link JobState} the same way.
 */

/** Normalised job states. `rawState` on a {@link Job} keeps the scheduler's own word. */
export type JobState =
  | 'PENDING'
  | 'CONFIGURING'
  | 'RUNNING'
  | 'COMPLETING'
  | 'SUSPENDED'
  | 'STOPPED'
  | 'REQUEUED'
  | 'RESIZING'
  | 'SIGNALING'
  | 'STAGE_OUT'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'OUT_OF_MEMORY'
  | 'NODE_FAIL'
  | 'PREEMPTED'
  | 'BOOT_FAIL'
  | 'DEADLINE'
  | 'REVOKED'
  | 'SPECIAL_EXIT'
  | 'UNKNOWN';

export const JOB_STATES: readonly JobState[] = [
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'STOPPED',
  'REQUEUED',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'REVOKED',
  'SPECIAL_EXIT',
  'UNKNOWN',
];

const TERMINAL: ReadonlySet<JobState> = new Set<JobState>([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'REVOKED',
  'SPECIAL_EXIT',
]);

/** True once a job will not run again by itself (a requeue by hand starts it over). */
export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

/** Terminal and not COMPLETED: what a notification shows as a failure. */
export function isFailure(state: JobState): boolean {
  return isTerminal(state) && state !== 'COMPLETED';
}

export interface Job {
  /** Display id: `123`, or `123_4` for an array task (stable while the task waits and runs). */
  id: string;
  /** The scheduler's own unique numeric id (differs from `id` for array tasks once they start). */
  rawId?: string;
  /** For array tasks: the parent id (`123`) and the task index (`4`). */
  arrayJobId?: string;
  arrayTaskId?: string;
  name: string;
  user: string;
  state: JobState;
  /** As the scheduler printed it, e.g. `CANCELLED by 1000`. */
  rawState: string;
  partition: string;
  /** `[D-]HH:MM:SS` / `M:SS` as printed; empty when not started. */
  elapsed: string;
  /** As printed (`1:00:00`, `UNLIMITED`); empty when unknown. */
  timeLimit: string;
  /** Why pending, or why it failed (`None` becomes empty). */
  reason: string;
  /** Node list expression (`c[1-4]`); empty while pending. */
  nodes: string;
  nodeCount?: number;
  /** Scheduler-local timestamps, ISO-like `YYYY-MM-DDTHH:MM:SS`, no zone; undefined when unknown. */
  submitTime?: string;
  startTime?: string;
  /** For running jobs, the expected end (start + limit). */
  endTime?: string;
  workDir: string;
  /** Process exit code and terminating signal, once finished (from accounting). */
  exitCode?: number;
  signal?: number;
  comment: string;
  /** Parsed from `tags=a,b` in the comment. */
  tags: string[];
  nice?: number;
  priority?: number;
}

export interface JobSubmitSpec {
  /** Path of the batch script on the cluster. Exactly one of script / scriptText. */
  script?: string;
  /** Arguments after the script path. */
  scriptArgs?: string[];
  /** Script body, sent on sbatch's stdin (nothing written to disk). */
  scriptText?: string;
  /** Directory sbatch runs in (relative output paths resolve against it). */
  cwd?: string;
  name?: string;
  partition?: string;
  account?: string;
  /** `minutes`, `HH:MM:SS`, `D-HH:MM:SS`, … as SLURM takes it. */
  time?: string;
  nodes?: number | string;
  ntasks?: number;
  cpusPerTask?: number;
  /** `4G`, `500M`, or megabytes. */
  mem?: string | number;
  /** A count (`2`) or `type:count` (`a100:2`). */
  gpus?: number | string;
  /** How GPUs are asked for: `--gres=gpu:N` (default; works everywhere) or `--gpus=N` (cons_tres). */
  gpuFlag?: 'gres' | 'gpus';
  /** `0-9%2`, `1,3,5`, `0-15:4`. */
  array?: string;
  output?: string;
  error?: string;
  comment?: string;
  tags?: string[];
  nice?: number;
  /** `afterok:123`, `afterany:1:2,singleton`. */
  dependency?: string;
  chdir?: string;
  /** Extra variables for the job (`--export=ALL,K=V,…`). Values must not contain commas. */
  env?: Record<string, string>;
  /** Submitted held (`--hold`). */
  hold?: boolean;
  /** Further sbatch options, each one argv word starting with `-`. */
  extraArgs?: string[];
}

export interface SubmitResult {
  id: string;
  cluster?: string;
}

export interface OutputPaths {
  stdout: string;
  /** Absent when stderr goes to the same file as stdout. */
  stderr?: string;
  /** True when the paths were derived from defaults, not read from the scheduler. */
  guessed?: boolean;
}

export interface ControllerStatus {
  up: boolean;
  /** The scheduler's own words, e.g. `Slurmctld(primary) at ctl is UP`. */
  message: string;
}

export interface CancelOptions {
  /** Cancel only this task of each (array) id given, i.e. `123` + task 4 → `123_4`. */
  arrayTask?: number | string;
}

/** What a feature needs from a batch scheduler. Every method is one remote command. */
export interface Scheduler {
  readonly kind: string;
  submit(spec: JobSubmitSpec): Promise<SubmitResult>;
  /** The user's active jobs (pending, running, completing…) in one query; array tasks listed one by one. */
  list(user: string): Promise<Job[]>;
  /** Jobs from accounting that started or ran in the last `sinceDays` days (one query). */
  history(sinceDays: number, user?: string): Promise<Job[]>;
  /** Final records from accounting for jobs that left the queue (one query for all ids). */
  finalState(ids: string[], sinceDays?: number): Promise<Job[]>;
  /** Every attribute the scheduler reports for one job (controller first, accounting after). */
  details(id: string): Promise<Record<string, string>>;
  outputPaths(id: string): Promise<OutputPaths>;
  cancel(ids: string[], opts?: CancelOptions): Promise<void>;
  hold(ids: string[]): Promise<void>;
  release(ids: string[]): Promise<void>;
  requeue(ids: string[]): Promise<void>;
  /** Is the controller reachable? Never throws for a down controller (only for transport errors). */
  ping(): Promise<ControllerStatus>;
}
