/** The qstat queries both PBS Pro / OpenPBS and Torque run the same way: records of given ids, and the server ping. */
import { ParseError, type SchedulerCommand } from '../command';
import type { ControllerStatus } from '../types';
import { classifyPbsFailure, UNKNOWN_JOB } from './errors';
import type { JobRecord } from './records';

/** Every non-zero exit code: qstat exits non-zero when any id was unknown, and still prints the others. */
const ANY_CODE = Array.from({ length: 255 }, (_, i) => i + 1);

/**
 * A qstat of given ids: unknown ids (already forgotten, never existed) are left out rather than
 * failing the whole query; any other complaint with nothing printed fails as usual.
 */
export function idsQuery(argv: string[], parse: (stdout: string) => JobRecord[]): SchedulerCommand<JobRecord[]> {
  return {
    argv,
    acceptCodes: ANY_CODE,
    parse: (stdout, stderr) => {
      const other = stderr.split('\n').filter((l) => l.trim() && !UNKNOWN_JOB.test(l));
      if (other.length && stdout.trim() === '') throw classifyPbsFailure(argv[0] as string, null, stderr);
      return stdout.trim() === '' ? [] : parse(stdout);
    },
  };
}

/**
 * `qstat -B`: the server's status table (`Server Max Tot Que Run Hld Wat Trn Ext Status`, one
 * line per server, the same in OpenPBS and Torque). Up unless its status says it is terminating.
 */
export function serverStatusCommand(): SchedulerCommand<ControllerStatus> {
  return {
    argv: ['qstat', '-B'],
    parse: (stdout) => {
      const rows = stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^Server\s/.test(l) && !/^-+(?:\s+-+)*$/.test(l));
      if (rows.length === 0) throw new ParseError('expected a server status line', stdout);
      const servers = rows.map((r) => {
        const words = r.split(/\s+/);
        return { name: words[0] as string, status: words[words.length - 1] as string };
      });
      return { up: servers.some((s) => !/^Terminat/i.test(s.status)), message: servers.map((s) => `Server ${s.name} is ${s.status}`).join('; ') };
    },
  };
}
