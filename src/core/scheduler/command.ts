/**
 * Scheduler commands as data: an argv (quoted once, by whoever runs it) plus a parser that
 * validates what comes back. Builders live in ./slurm; {@link runCommand} executes one.
 */

/** What running a scheduler command needs; `RemoteOps` and an adapted `Session` both fit. */
export interface CommandRunner {
  run(
    argv: string[],
    opts?: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; stdin?: string | Buffer },
  ): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>;
}

export interface SchedulerCommand<T> {
  argv: string[];
  /** Set on top of the login environment (e.g. a fixed time format). */
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /** Validates and converts stdout; throws {@link ParseError} on anything unexpected. */
  parse(stdout: string, stderr: string): T;
  /**
   * Exit codes that still go to `parse` (default only 0). Used where a non-zero code is an
   * answer, e.g. `scontrol ping` exits 1 when the controller is down.
   */
  acceptCodes?: number[];
}

/** A submit spec (or other input) the scheduler refuses before running anything. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/** The command's output did not have the expected shape. */
export class ParseError extends Error {
  constructor(
    /** What was wrong, without the line. */
    readonly reason: string,
    /** The offending line (or record), as received. */
    readonly line?: string,
    /** The program whose output it was. */
    readonly command?: string,
  ) {
    const msg = command ? `${command}: ${reason}` : reason;
    super(line === undefined ? msg : `${msg}: ${JSON.stringify(truncate(line, 300))}`);
    this.name = 'ParseError';
  }
}

export type SchedulerErrorKind =
  /** The controller could not be reached (slurmctld down, network). */
  | 'unreachable'
  /** The job id is not known to the controller (any more). */
  | 'invalid-job'
  /** The command is not installed on the host. */
  | 'not-found'
  /** The scheduler refused: bad option, permission, limits… */
  | 'rejected'
  | 'timeout';

/** A scheduler command failed; `message` is the scheduler's own first error line. */
export class SchedulerError extends Error {
  constructor(
    message: string,
    readonly kind: SchedulerErrorKind,
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'SchedulerError';
  }
}

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

/** Maps a failed command's exit code and stderr to a {@link SchedulerError}. */
export function classifyFailure(command: string, code: number | null, stderr: string): SchedulerError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines.find((l) => /error|invalid|denied|not |unable|fatal/i.test(l)) ?? lines[0] ?? `exit code ${code}`;
  let kind: SchedulerErrorKind = 'rejected';
  if (code === 127 || /command not found|No such file or directory.*(squeue|sbatch|sacct|scontrol|scancel)/.test(stderr)) kind = 'not-found';
  else if (UNREACHABLE.some((r) => r.test(stderr))) kind = 'unreachable';
  else if (/Invalid job id|Job ID .* not found|Invalid job_id|^Job \S+ not found/im.test(stderr)) kind = 'invalid-job';
  return new SchedulerError(`${command}: ${first}`, kind, command, code, stderr);
}

export interface RunCommandOptions {
  timeoutMs?: number;
}

/** Runs one command, maps failures to {@link SchedulerError}, and parses stdout. */
export async function runCommand<T>(runner: CommandRunner, cmd: SchedulerCommand<T>, opts: RunCommandOptions = {}): Promise<T> {
  const name = cmd.argv[0] ?? '?';
  let res;
  try {
    res = await runner.run(cmd.argv, {
      ...(cmd.cwd !== undefined ? { cwd: cmd.cwd } : {}),
      ...(cmd.env ? { env: cmd.env } : {}),
      ...(cmd.stdin !== undefined ? { stdin: cmd.stdin } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
  } catch (e) {
    const err = e as Error;
    if (/timed out/i.test(err.message)) throw new SchedulerError(`${name}: ${err.message}`, 'timeout', name, null, '');
    throw err;
  }
  const stdout = res.stdout.toString('utf8');
  const stderr = res.stderr.toString('utf8');
  const ok = res.code === 0 || (res.code !== null && (cmd.acceptCodes ?? []).includes(res.code));
  // Some messages go to stdout (scontrol: "Job 123_4 not found").
  if (!ok) throw classifyFailure(name, res.code, [stderr, stdout].filter((t) => t.trim()).join('\n'));
  try {
    return cmd.parse(stdout, stderr);
  } catch (e) {
    if (e instanceof ParseError && e.command === undefined) throw new ParseError(e.reason, e.line, name);
    throw e;
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
