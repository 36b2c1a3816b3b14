/**
 * Scheduler commands as data: an argv (quoted once, by whoever runs it) plus a parser that
 * validates what comes back. Builders live in each scheduler's folder; {@link runCommand} executes one.
 */
import type { JobSubmitSpec } from './types';

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
  stdin?: string | Buffer;
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
  /** The controller could not be reached (its daemon down, network). */
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
    /** For a refused submit: the option it names, when the scheduler says (an invalid partition…). */
    readonly option?: keyof JobSubmitSpec,
  ) {
    super(message);
    this.name = 'SchedulerError';
  }
}

export interface RunCommandOptions {
  timeoutMs?: number;
  /** Maps a failed command's exit code and output to a {@link SchedulerError}: each scheduler knows its own words. */
  classify(command: string, code: number | null, output: string): SchedulerError;
}

/** Runs one command, maps failures to {@link SchedulerError}, and parses stdout. */
export async function runCommand<T>(runner: CommandRunner, cmd: SchedulerCommand<T>, opts: RunCommandOptions): Promise<T> {
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
    // The agent runs programs without a shell: a missing one is ENOENT, not exit 127.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SchedulerError(`${name}: command not found`, 'not-found', name, null, err.message);
    throw err;
  }
  const stdout = res.stdout.toString('utf8');
  const stderr = res.stderr.toString('utf8');
  const ok = res.code === 0 || (res.code !== null && (cmd.acceptCodes ?? []).includes(res.code));
  // Some messages go to stdout (scontrol: "Job 123_4 not found").
  if (!ok) throw opts.classify(name, res.code, [stderr, stdout].filter((t) => t.trim()).join('\n'));
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
