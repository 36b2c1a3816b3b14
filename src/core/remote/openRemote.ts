/** Picks the RemoteOps for a session: the agent when it starts, else the SFTP fallback. */
import type { Session } from '../ssh/session';
import { tagged, type Logger } from '../log';
import { AgentClient, type AgentStartOptions } from '../agent/client';
import { AgentOps } from './agentOps';
import { SftpOps, type SftpOpsOptions } from './sftpOps';
import type { RemoteOps } from './types';

export interface OpenRemoteOptions {
  /** Skip the agent (user setting, or a host known to lack Python). */
  forceFallback?: boolean;
  agent?: AgentStartOptions;
  sftp?: SftpOpsOptions;
  /** Called with the reason when the agent could not be used. */
  onFallback?(reason: string): void;
}

export async function openRemote(session: Session, log: Logger, opts: OpenRemoteOptions = {}): Promise<RemoteOps> {
  const rlog = tagged(log, 'remote');
  if (!opts.forceFallback) {
    try {
      const client = await AgentClient.start(session, log, opts.agent);
      rlog.info(`${session.host}: using the agent`);
      return new AgentOps(client, tagged(log, 'agent'));
    } catch (err) {
      const reason = (err as Error).message;
      rlog.warn(`${session.host}: agent unavailable, using SFTP: ${reason}`);
      opts.onFallback?.(reason);
    }
  } else {
    rlog.info(`${session.host}: agent disabled, using SFTP`);
  }
  return new SftpOps(session, tagged(log, 'sftp'), opts.sftp);
}
