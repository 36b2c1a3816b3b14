/**
 * Grid Engine's commands as data (argv + parser): qsub, qstat (queue, job objects, one job's
 * text), qacct, qdel / qhold / qrls, qmod -rj and the ping. Ids reach them as checked job numbers
 * or `123.4`, never a shell.
 */
import { ParseError, SchedulerError, SpecError, type SchedulerCommand } from '../command';
import type { ControllerStatus, JobSubmitSpec } from '../types';
import { jobEnv, submitCommand } from '../submitCommand';
import { classifyGeFailure, UNKNOWN_JOB } from './errors';
import { parseTerseId } from './ids';
import { qsubOptions, single } from './options';
import { parseQacct, type AcctRecord } from './qacct';
import { parseQstatJobs, parseQstatJobText, parseQstatList, type JobInfo, type QueueEntry } from './qstat';

function checkUser(user: string): string {
  if (!user || user.startsWith('-') || /[\s,]/.test(user)) throw new SpecError(`Not a user name: ${JSON.stringify(user)}`);
  return user;
}

/**
 * `qsub -terse`: script text on stdin, or a path (then its arguments). The job's variables (the
 * comment's included) are named in one `-v` list without values: qsub takes them from its own
 * environment, so a value may hold anything but NUL.
 */
export function qsubCommand(spec: JobSubmitSpec): SchedulerCommand<{ job: string; array: boolean }> {
  const env = jobEnv(spec);
  const { opts, env: optEnv } = qsubOptions(spec);
  Object.assign(env, optEnv);
  if (spec.scriptArgs?.length && spec.script === undefined) throw new SpecError('Script arguments need a script path');
  const argv = ['qsub', '-terse', ...opts.flat()];
  if (Object.keys(env).length) argv.push('-v', Object.keys(env).join(','));
  if (spec.script !== undefined) {
    const path = single('script', spec.script);
    argv.push(path.startsWith('-') ? `./${path}` : path, ...(spec.scriptArgs ?? []));
  }
  return submitCommand(argv, env, spec, (stdout) => {
    const id = parseTerseId(stdout);
    if (!id) throw new ParseError('expected a job id like 123 or 123.1-3:1', stdout.trim().slice(0, 300));
    return id;
  });
}

/** The user's jobs in the queue, every array task on its own, with their requests. */
export function listCommand(user: string): SchedulerCommand<QueueEntry[]> {
  return { argv: ['qstat', '-xml', '-g', 'd', '-r', '-u', checkUser(user)], parse: parseQstatList };
}

/** Of the user's jobs, those held by a user hold (`h` alone also shows a job waiting for -hold_jid). */
export function userHoldsCommand(user: string): SchedulerCommand<QueueEntry[]> {
  return { argv: ['qstat', '-xml', '-g', 'd', '-s', 'hu', '-u', checkUser(user)], parse: parseQstatList };
}

/** Other exit codes still carry an answer when some ids were unknown (qstat exits 1, prints the rest). */
const SOME_UNKNOWN = [1];

/** The job objects of these job numbers; numbers qmaster does not know (any more) are left out. */
export function jobsCommand(jobs: readonly string[]): SchedulerCommand<JobInfo[]> {
  if (jobs.length === 0) throw new SpecError('No job ids given');
  return {
    argv: ['qstat', '-j', jobs.join(','), '-xml'],
    acceptCodes: SOME_UNKNOWN,
    parse: (stdout, stderr) => {
      // qstat -xml answers an unknown job with an <unknown_jobs> document on stdout
      if (/<unknown_jobs\b/.test(stdout) || stdout.trim() === '') {
        if (stderr.trim() && !UNKNOWN_JOB.test(stderr)) throw classifyGeFailure('qstat', 1, stderr);
        return /<detailed_job_info\b/.test(stdout) ? parseQstatJobs(stdout.slice(stdout.indexOf('<detailed_job_info'))) : [];
      }
      return parseQstatJobs(stdout);
    },
  };
}

/** One job as `qstat -j` prints it for people (undefined when qmaster does not know it). */
export function jobTextCommand(job: string): SchedulerCommand<Record<string, string> | undefined> {
  return {
    argv: ['qstat', '-j', job],
    acceptCodes: SOME_UNKNOWN,
    parse: (stdout, stderr) => {
      if (stdout.trim() === '' || /Following jobs do not exist/i.test(stdout + stderr)) return undefined;
      return parseQstatJobText(stdout);
    },
  };
}

/** qacct: one job (`-j 123`), or every job of the last `days` days (`-d`), of one owner (`-o`) when given. */
export function acctCommand(q: { job: string } | { days: number; user?: string }): SchedulerCommand<AcctRecord[]> {
  const argv = ['qacct'];
  if ('job' in q) argv.push('-j', q.job);
  else {
    if (q.user !== undefined) argv.push('-o', checkUser(q.user));
    argv.push('-d', String(Math.max(1, Math.ceil(q.days))), '-j');
  }
  return {
    argv,
    acceptCodes: SOME_UNKNOWN,
    parse: (stdout, stderr) => {
      if (stdout.trim() === '') {
        if (stderr.trim() && !/not found|no jobs|does not exist/i.test(stderr)) throw classifyGeFailure('qacct', 1, stderr);
        return [];
      }
      return parseQacct(stdout);
    },
  };
}

/** `qdel`, `qhold`, `qrls` on `123` / `123.4`. */
export function jobActionCommand(program: 'qdel' | 'qhold' | 'qrls', natives: readonly string[]): SchedulerCommand<void> {
  if (natives.length === 0) throw new SpecError('No job ids given');
  return { argv: [program, ...natives], parse: () => undefined };
}

/** `qmod -rj`: exits 0 even when it refuses (`… where jobs are not rerunable.`), so the refusal is read from its words. */
export function requeueCommand(natives: readonly string[]): SchedulerCommand<void> {
  if (natives.length === 0) throw new SpecError('No job ids given');
  return {
    argv: ['qmod', '-rj', ...natives],
    parse: (stdout, stderr) => {
      const text = `${stdout}\n${stderr}`;
      const refused = text.split('\n').find((l) => /not rerunable|not rerunnable|denied|does not exist|not running/i.test(l));
      if (refused) throw new SchedulerError(`qmod: ${refused.trim()}`, UNKNOWN_JOB.test(refused) ? 'invalid-job' : 'rejected', 'qmod', 0, text);
    },
  };
}

/** `qstat -g c`: the cluster queues' summary, which only a reachable qmaster gives. */
export function pingCommand(): SchedulerCommand<ControllerStatus> {
  return {
    argv: ['qstat', '-g', 'c'],
    parse: (stdout) => {
      const rows = stdout.split('\n').map((l) => l.trim()).filter((l) => l && !/^CLUSTER QUEUE/.test(l) && !/^-+$/.test(l));
      const queues = rows.map((r) => r.split(/\s+/)[0]);
      return { up: true, message: `Grid Engine qmaster answers: ${queues.length} cluster queue${queues.length === 1 ? '' : 's'} (${queues.join(', ')})` };
    },
  };
}
