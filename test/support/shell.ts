/** The one way tests run a shell script somewhere: `sh -c script sh args…`, arguments never pasted. */
import type { Session } from '../../src/core/ssh/session';
import type { RemoteOps } from '../../src/core/remote/types';

/** A session (plain exec) or a RemoteOps (agent, SFTP fallback, LocalOps). */
export type ShellTarget = Pick<Session, 'exec'> | Pick<RemoteOps, 'run'>;

/** Runs the script with `args` as $1…; resolves to stdout on exit 0, else fails with stderr. */
export function sh(on: ShellTarget, script: string, ...args: string[]): Promise<string> {
  return shInput(on, undefined, script, ...args);
}

/** `sh` with bytes on the script's stdin. */
export async function shInput(on: ShellTarget, stdin: string | Buffer | undefined, script: string, ...args: string[]): Promise<string> {
  const argv = ['sh', '-c', script, 'sh', ...args];
  const opts = stdin !== undefined ? { stdin } : {};
  const r = 'exec' in on ? await on.exec(argv, opts) : await on.run(argv, opts);
  if (r.code !== 0) throw new Error(`sh failed (${r.code}): ${r.stderr.toString('utf8').trim()}`);
  return r.stdout.toString('utf8');
}
