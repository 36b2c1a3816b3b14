/**
 * Scheduler tests run commands through a plain Session (quoted exec) until RemoteOps exist;
 * `RemoteOps` satisfies CommandRunner too, so tests can switch over without changes.
 */
import type { ExecOptions, ExecResult, Session } from '../../src/core/ssh/session';
import type { CommandRunner } from '../../src/core/scheduler/command';
import { connectDirect } from './sandbox';

export function sessionRunner(session: Pick<Session, 'exec'>): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run: (argv, opts = {}) => {
      calls.push(argv);
      return session.exec(argv, {
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
        ...(opts.env !== undefined ? { env: opts.env } : {}),
        ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
    },
  };
}

/**
 * A direct sandbox session that reconnects once when the connection was dropped (other suites
 * restart the sandbox's sshd), for tests of layers above the session.
 */
export async function reconnectingSession(opts: { port?: number } = {}): Promise<{ session: Pick<Session, 'exec'> & { sftp: Session['sftp'] }; close(): void }> {
  const connect = () => connectDirect(opts.port !== undefined ? { port: opts.port } : {});
  let cur = await connect();
  let closed = false;
  const fresh = async () => {
    if (!cur.session.connected && !closed) cur = await connect();
    return cur.session;
  };
  const session = {
    async exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
      try {
        return await (await fresh()).exec(argv, opts);
      } catch (e) {
        // Only errors raised before the command was sent: a retry never runs anything twice.
        if (!/Not connected|channel open failure/i.test((e as Error).message) || closed) throw e;
        cur.close();
        cur = await connect();
        return cur.session.exec(argv, opts);
      }
    },
    async sftp() {
      return (await fresh()).sftp();
    },
  };
  return {
    session,
    close: () => {
      closed = true;
      cur.close();
    },
  };
}
