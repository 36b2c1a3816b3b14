/**
 * Glue between the ssh2 world and the SessionPool: a PoolConnection over a connected Client,
 * and the pool's default `connect` (resolve the alias, then connect()).
 */
import type { Client } from 'ssh2';
import type { TransportInfo } from './channel';
import { connect, type ConnectOptions } from './connect';
import type { PoolConnect, PoolConnection } from './pool';
import { ClientSession } from './session';
import type { HostConfig } from './sshConfig';

/** A PoolConnection over a ready ssh2 Client. */
function clientConnection(alias: string, client: Client, transport?: TransportInfo): PoolConnection {
  const session = new ClientSession(alias, client, transport);
  return {
    session,
    async ping(timeoutMs: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`No answer from ${alias} within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const r = await Promise.race([session.exec(['true'], { timeoutMs }), timeout]);
        if (r.code !== 0) throw new Error(`\`true\` exited with ${r.code} on ${alias}`);
      } finally {
        clearTimeout(timer);
      }
    },
    close(): void {
      client.end();
      // A peer that never answers the disconnect must not keep the socket open.
      setTimeout(() => client.destroy(), 2000).unref();
    },
    onClose(listener: () => void): void {
      if (!session.connected) queueMicrotask(listener);
      else client.once('close', listener);
    },
  };
}

export interface SshConnectorOptions extends Omit<ConnectOptions, 'signal' | 'resolveJump'> {
  /** Host alias → HostConfig (e.g. HostDirectory.resolve); called on every connection attempt. */
  resolve(alias: string): HostConfig | Promise<HostConfig>;
  /** ProxyJump hop → HostConfig (e.g. HostDirectory.resolveJump). */
  resolveJump?(spec: string): HostConfig;
  /** Why ssh2 carries this host (shown in the Hosts view). */
  transport?: TransportInfo;
}

/** The pool's `connect`: resolves the alias afresh (config edits apply on reconnect) and connects. */
export function sshConnector(opts: SshConnectorOptions): PoolConnect {
  const { resolve, resolveJump, transport, ...connectOptions } = opts;
  return async (alias, ctx) => {
    const config = await resolve(alias);
    const client = await connect(config, { ...connectOptions, ...(resolveJump ? { resolveJump } : {}), signal: ctx.signal });
    return clientConnection(alias, client, transport);
  };
}
