/**
 * What every scheduler's submit command shares: exactly one of a script path or script text, the
 * job's variables checked, and the text on stdin, the variables in the submitting program's
 * environment and the submit folder as its working directory. Scheduler-neutral.
 */
import { SpecError, type SchedulerCommand } from './command';
import { MAIL_EVENTS, type JobSubmitSpec, type MailEvent } from './types';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The spec's variables, checked (names a shell takes, no NUL in values). */
export function jobEnv(spec: Pick<JobSubmitSpec, 'script' | 'scriptText' | 'env'>): Record<string, string> {
  if ((spec.script === undefined) === (spec.scriptText === undefined)) throw new SpecError('Give exactly one of script (a path) or scriptText');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new SpecError(`Invalid environment variable name: ${JSON.stringify(k)}`);
    if (v.includes('\0')) throw new SpecError(`Environment variable ${k} contains a NUL byte`);
    env[k] = v;
  }
  return env;
}

/** The command running `argv` with `env` set, the script text on stdin and `spec.cwd` as its folder. */
export function submitCommand<T>(argv: string[], env: Record<string, string>, spec: Pick<JobSubmitSpec, 'scriptText' | 'cwd'>, parse: (stdout: string) => T): SchedulerCommand<T> {
  return {
    argv,
    ...(Object.keys(env).length ? { env } : {}),
    ...(spec.scriptText !== undefined ? { stdin: spec.scriptText } : {}),
    ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
    parse,
  };
}

/** Mail events, each known and once. */
export function checkMailEvents(events: readonly string[]): MailEvent[] {
  for (const e of events) if (!(MAIL_EVENTS as readonly string[]).includes(e)) throw new SpecError(`Mail event ${JSON.stringify(e)} is none of ${MAIL_EVENTS.join(', ')}`);
  return [...new Set(events as MailEvent[])];
}
