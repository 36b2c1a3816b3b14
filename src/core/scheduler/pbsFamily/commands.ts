/**
 * qsub, qdel, qhold, qrls and qrerun as data (argv + parser), the same for PBS Pro / OpenPBS
 * and Torque. The qstat queries differ (JSON vs XML) and live in each scheduler's folder.
 */
import { ParseError, SpecError, type SchedulerCommand } from '../command';
import type { JobSubmitSpec } from '../types';
import { jobEnv, submitCommand } from '../submitCommand';
import { parseNativeId, type NativeId } from './ids';
import { qsubOptions, single, type PbsDialect } from './options';

/**
 * The submit command. Script text goes on qsub's stdin; a path is passed as the last word.
 * Variables (the comment's included) reach the job through qsub's own environment, named in one
 * `-v` list without values, so a value may hold anything (commas, quotes) but NUL.
 */
export function qsubCommand(spec: JobSubmitSpec, dialect: PbsDialect): SchedulerCommand<NativeId> {
  const jobVars = jobEnv(spec);
  if (spec.scriptArgs?.length) throw new SpecError(`${dialect.label}'s qsub takes no arguments after the script: put them in the script`);
  const { opts, env } = qsubOptions(spec, dialect);
  Object.assign(env, jobVars);
  const argv = ['qsub', ...opts.flat().filter((w): w is string => w !== undefined)];
  if (Object.keys(env).length) argv.push('-v', Object.keys(env).join(','));
  if (spec.script !== undefined) {
    const path = single('script', spec.script);
    argv.push(path.startsWith('-') ? `./${path}` : path);
  }
  return submitCommand(argv, env, spec, parseQsub);
}

/** qsub prints the new job's id (`123.server`, `123[].server` for an array) on its last line. */
export function parseQsub(stdout: string): NativeId {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  const id = parseNativeId(last);
  if (!id) throw new ParseError('expected a job id like 123.server', last || stdout);
  return id;
}

/** `qdel`, `qhold`, `qrls`, `qrerun` on native ids (`123`, `123[]`, `123[4]`). */
export function jobActionCommand(program: 'qdel' | 'qhold' | 'qrls' | 'qrerun', nativeIds: readonly string[]): SchedulerCommand<void> {
  if (nativeIds.length === 0) throw new SpecError('No job ids given');
  return { argv: [program, ...nativeIds], parse: () => undefined };
}
