/**
 * Scheduler-neutral job model and operations. SLURM implements it in ./slurm; a Grid Engine or
 * PBS implementation is one more folder beside it, mapping its own states onto {@link JobState}
 * the same way. Features use only what is here (and the neutral helpers in this folder), never
 * a scheduler's folder. test/support/schedulerContract.ts is the contract every implementation
 * passes against a real cluster.
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
  /** Who cancelled it, as the scheduler names them: a numeric uid (SLURM's `CANCELLED by 1000`). */
  cancelledBy?: string;
  partition: string;
  /** `M:SS`, `H:MM:SS`, `D-HH:MM:SS` (formats.ts `formatDuration`); empty when not started. */
  elapsed: string;
  /**
   * A duration as `elapsed`, or {@link NO_TIME_LIMIT} / {@link PARTITION_TIME_LIMIT}; empty when
   * unknown.
   */
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
  /** What a pending job waits for (empty or absent when nothing). */
  dependencies?: JobDependency[];
  /** The dependencies are alternatives: any one satisfied will do (SLURM `?`); else all are needed. */
  dependencyAny?: boolean;
}

/** A time limit that is no duration: there is none. */
export const NO_TIME_LIMIT = 'UNLIMITED';
/** A time limit that is no duration: the partition's applies (its value is not reported with the job). */
export const PARTITION_TIME_LIMIT = 'PARTITION_LIMIT';

/** One condition a job's start waits for. */
export interface JobDependency {
  /** As the scheduler names it: `afterok`, `afterany`, `afternotok`, `after`, `aftercorr`, `singleton`… */
  kind: string;
  /** The job it waits for (absent for conditions such as `singleton`). */
  jobId?: string;
  /** True once it can never be met (e.g. `afterok` on a job that failed). */
  never?: boolean;
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
  /** Who gets mail about the job (`--mail-user`, PBS `-M`); the scheduler's default (the submitter) when absent. */
  mailUser?: string;
  /** When mail is sent (`--mail-type`, PBS `-m`). */
  mailEvents?: MailEvent[];
  /** Further sbatch options, each one argv word starting with `-`. */
  extraArgs?: string[];
}

/** When a scheduler mails about a job: it starts, it ends (however), it fails. */
export type MailEvent = 'begin' | 'end' | 'fail';

export const MAIL_EVENTS: readonly MailEvent[] = ['begin', 'end', 'fail'];

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

/** Every attribute a scheduler reports for one job, for the Job Details tab. */
export interface JobDetails {
  /** The job's state from the freshest source; undefined when that source printed none. */
  state?: JobState;
  /** The scheduler's own word for it (`CANCELLED by 1000`). */
  rawState?: string;
  /** Attributes grouped by where they came from, freshest first: the controller's, then accounting's. */
  sections: {
    /** `usage`: what the job uses or used (sstat, seff's figures). */
    source: 'controller' | 'accounting' | 'usage';
    title: string;
    fields: Record<string, string>;
    /** Keys whose values are durations or time limits in the {@link Job.timeLimit} format. */
    durations?: string[];
  }[];
  /** Why a part is missing (accounting disabled, no record yet…). */
  notes: string[];
}

/** A partition (queue) as the scheduler reports it, for pickers. */
export interface Partition {
  name: string;
  /** Jobs go here when they name none. */
  isDefault: boolean;
  /** Accepting jobs (`up`). */
  up: boolean;
  /** The state as printed (`up`, `down`, `drain`, `inact`). */
  availability: string;
  /** The longest time limit, in the {@link Job.timeLimit} format. */
  timeLimit: string;
  nodes: { allocated: number; idle: number; other: number; total: number };
  /** CPUs per node (several when its nodes differ). */
  cpusPerNode: number[];
  /** Memory per node, megabytes (several when its nodes differ). */
  memoryMbPerNode: number[];
  /** Generic resources of its nodes (`gpu:a100:4`). */
  gres: string[];
}

/** What a running job uses now, over its running steps (SLURM: `sstat`). */
export interface JobUsage {
  /** The id asked for. */
  id: string;
  /** CPU time used so far by all its tasks, seconds. */
  cpuSeconds: number;
  /** Resident memory of all its tasks now, bytes. */
  memoryBytes: number;
  /** The largest resident memory one task reached, bytes. */
  maxRssBytes: number;
}

/** What a job used against what it asked for, from accounting (as SLURM's `seff` reports it). */
export interface JobEfficiency {
  id: string;
  state: JobState;
  elapsedSeconds: number;
  /** Undefined for no limit. */
  timeLimitSeconds?: number;
  cpus: number;
  /** CPU time of all steps (user + system), seconds. */
  cpuSeconds: number;
  /** Memory asked for, for the whole job; undefined when unknown. */
  requestedMemoryBytes?: number;
  /** The largest resident memory of a task, over the job's steps; undefined before accounting has it. */
  maxRssBytes?: number;
}

/** A job's batch script as it was submitted, and the options it was submitted with, as the scheduler kept them. */
export interface SubmittedScript {
  /** The script text (at most {@link MAX_SCRIPT_BYTES}). */
  text: string;
  /**
   * What the scheduler recorded of its options (command line and directives alike): name,
   * partition, account, time limit, tasks, CPUs, memory, GPUs, comment, array; not its output
   * paths (the record holds them expanded for the old job, which a new one must not overwrite).
   */
  options: ScriptOptions;
  /** The folder it ran in. */
  cwd?: string;
  /** The script file it was submitted from, when it was one (a copy is named after it). */
  path?: string;
  /** Where the text came from: the controller (while it keeps the job) or accounting. */
  source: 'controller' | 'accounting';
}

/** The largest batch script read back from a scheduler (SLURM's own default cap is 4 MB). */
export const MAX_SCRIPT_BYTES = 1024 * 1024;

/** What a batch script sets for itself in its directive lines (`#SBATCH`, `#$`, `#PBS`…). */
export interface ScriptDirectives {
  name?: string;
  partition?: string;
  account?: string;
  time?: string;
  /** The comment as written, tags included. */
  comment?: string;
  nice?: number;
  array?: string;
  output?: string;
  error?: string;
  dependency?: string;
  /** As written (`--mail-user`, `--mail-type`), so a default does not override the script's. */
  mailUser?: string;
  mailType?: string;
}

/** The options a batch script can ask for in its own directive lines (no script, folder or environment). */
export type ScriptOptions = Omit<JobSubmitSpec, 'script' | 'scriptText' | 'scriptArgs' | 'cwd' | 'env'>;

/**
 * How one scheduler's batch scripts carry their options: pure, no remote command, so it is
 * there before a host is picked (previewing a local job file).
 */
export interface BatchScriptFormat {
  /** The options a batch script sets in its own directive lines. */
  readDirectives(script: string): ScriptDirectives;
  /**
   * Directive lines (`#SBATCH --time=10`, `#$ -l h_rt=600`) asking for `options`, for the top of
   * a batch script; every value reaches the scheduler as given (spaces, quotes, `#`, `$()`), and
   * {@link readDirectives} reads back what it knows. SpecError for a value it cannot take.
   */
  writeDirectives(options: ScriptOptions): string[];
  /** Why `text` is not a time limit this scheduler takes (undefined when it is). */
  checkTimeLimit(text: string): string | undefined;
  /**
   * False when no directive sets the job's folder (PBS Pro: a job's folder is where qsub ran,
   * which a job description's submit sets, and its script `cd`s there): `chdir` is then left out
   * of the directives, not refused. Absent: writeDirectives takes `chdir`.
   */
  readonly chdirDirective?: boolean;
}

/**
 * What a feature needs from a batch scheduler. Every async method is one remote command (at
 * most two where noted) and rejects with a SchedulerError (./command) when the cluster says no,
 * or a SpecError before running anything when the input is bad. Ids are the display ids of
 * {@link Job.id}.
 */
export interface Scheduler extends BatchScriptFormat {
  /** Short lowercase name (`slurm`), for logs. */
  readonly kind: string;
  /**
   * list() and finalState() read state kept here, not the cluster (a host pool: its own rounds
   * do the remote work), so the watcher's per-host query cap does not apply to them.
   */
  readonly listsLocally?: boolean;
  /**
   * Queues a job; resolves with its id once the scheduler accepted it. Names, paths and
   * arguments with spaces, quotes, `$()` or non-ASCII reach the job unchanged, never a shell.
   * Relative output paths resolve against `spec.cwd`.
   */
  submit(spec: JobSubmitSpec): Promise<SubmitResult>;
  /**
   * The user's jobs still in the queue (pending, running, completing, held…) in one query;
   * every array task listed one by one with `arrayJobId`/`arrayTaskId` set.
   */
  list(user: string): Promise<Job[]>;
  /** Jobs from accounting that started or ran in the last `sinceDays` days (one query). */
  history(sinceDays: number, user?: string): Promise<Job[]>;
  /**
   * Final records from accounting for jobs that left the queue (one query for all ids; an
   * array id gives its tasks): terminal state, exit code and signal. Empty ids: no query, [].
   */
  finalState(ids: string[], sinceDays?: number): Promise<Job[]>;
  /**
   * Every attribute the scheduler reports for one job: the controller's record while it has
   * one, plus accounting once the job ended (a second query); accounting alone after the job
   * left the controller. Unknown id: SchedulerError kind `invalid-job`.
   */
  details(id: string): Promise<JobDetails>;
  /**
   * Absolute paths of the job's stdout (and stderr when separate), expanded for this job or
   * task; still answered after the job left the queue (`guessed` when derived from defaults).
   * Unknown id: SchedulerError kind `invalid-job`.
   */
  outputPaths(id: string): Promise<OutputPaths>;
  /** Cancels jobs (an array id: every task; with `arrayTask`, only that task). */
  cancel(ids: string[], opts?: CancelOptions): Promise<void>;
  /** Keeps pending jobs from starting until {@link release}. */
  hold(ids: string[]): Promise<void>;
  release(ids: string[]): Promise<void>;
  /** Queues jobs again from the start (running ones are stopped first). */
  requeue(ids: string[]): Promise<void>;
  /** Is the controller reachable? Never throws for a down controller (only for transport errors). */
  ping(): Promise<ControllerStatus>;
  /** The node names of a {@link Job.nodes} expression (`c[1-3]` → c1 c2 c3), in order. Pure. */
  expandNodeList(nodes: string): string[];
  /**
   * The argv (for a pty channel on the login node) that runs `command` on a pty inside a running
   * job's allocation, beside its steps, as one task on `node` (default: the job's first node).
   * `jobId` is the scheduler's own id ({@link Job.rawId} for an array task). Pure; SpecError
   * for an id or node name it cannot take.
   */
  attachCommand(jobId: string, command: readonly string[], opts?: { node?: string }): string[];
  /**
   * What running jobs use now, in one command for all ids (the scheduler's own ids,
   * {@link Job.rawId} for array tasks); a job with no running step is left out. Absent where the
   * scheduler cannot tell.
   */
  usage?(ids: string[]): Promise<JobUsage[]>;
  /**
   * The argv (for a pty channel on the login node) of a new interactive allocation that runs
   * `command` on its node's pty once it starts and ends with it. Pure; SpecError for bad options.
   * Absent where the scheduler has none.
   */
  interactiveCommand?(options: Pick<ScriptOptions, 'name' | 'partition' | 'account' | 'time' | 'cpusPerTask' | 'mem' | 'gpus' | 'gpuFlag'>, command: readonly string[]): string[];
  /** The partitions the user can submit to, in one command. Absent where the scheduler cannot tell. */
  partitions?(): Promise<Partition[]>;
  /** What jobs used against what they asked for, from accounting, in one command. Absent where the scheduler cannot tell. */
  efficiency?(ids: string[]): Promise<JobEfficiency[]>;
  /**
   * The batch script a job was submitted with and its options (SLURM: `scontrol write
   * batch_script`, then accounting's copy once the controller forgot the job; two or three
   * commands). SchedulerError kind `invalid-job` when the scheduler no longer has it (or the job
   * had none: an interactive allocation). Absent where the scheduler cannot tell.
   */
  batchScript?(id: string): Promise<SubmittedScript>;
}
