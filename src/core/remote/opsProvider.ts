import type { Disposable } from '../cancel';
import { Emitter } from '../event';
import { silentLogger, tagged, type Logger } from '../log';
import type { Session } from '../ssh/session';
import type { RemoteOps, RemoteOpsProvider } from './types';

export interface Lease {
  readonly session: Session;
  release(): void;
}

export interface PooledOpsOptions {
  /** A lease on the host's pooled session (SessionPool.acquire). */
  acquire(host: string): Promise<Lease>;
  /** Builds RemoteOps over a session: the agent, or the SFTP fallback. */
  open(session: Session, host: string): Promise<RemoteOps>;
  /** Give the session back after this long without a request or a live watch/follow; 0 = never. */
  idleMs?: number;
  logger?: Logger;
  now?: () => number;
}

interface Entry {
  ready: Promise<RemoteOps>;
  lease?: Lease;
  ops?: RemoteOps;
  lastUsed: number;
  /** Open watch/follow subscriptions: someone is looking, so the session is not idle. */
  live: number;
  timer?: NodeJS.Timeout;
}

/**
 * One RemoteOps per host over its pooled session. Holds a pool lease while in use and gives it
 * back when idle, so the pool's idle timeout still closes sessions nobody uses. A closed
 * session is noticed on the next call and the ops are rebuilt.
 */
export class PooledOpsProvider implements RemoteOpsProvider, Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly invalidated = new Emitter<string>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: PooledOpsOptions) {
    this.log = tagged(opts.logger ?? silentLogger, 'ops');
    this.now = opts.now ?? Date.now;
  }

  onDidInvalidate(listener: (host: string) => void): Disposable {
    return this.invalidated.event(listener);
  }

  async ops(host: string): Promise<RemoteOps> {
    let e = this.entries.get(host);
    if (e?.lease && (!e.lease.session.connected || e.ops?.closed)) {
      // A closed session, or an agent that exited on a live session: rebuild.
      this.drop(host, e.lease.session.connected ? 'agent exited' : 'session closed');
      e = undefined;
    }
    if (!e) {
      const entry: Entry = { lastUsed: this.now(), live: 0, ready: Promise.resolve(undefined as unknown as RemoteOps) };
      entry.ready = this.build(host, entry);
      this.entries.set(host, entry);
      entry.ready.catch(() => this.entries.get(host) === entry && this.entries.delete(host));
      e = entry;
    }
    e.lastUsed = this.now();
    return e.ready;
  }

  /** Forgets a host's ops (after a disconnect); the next call reconnects. */
  drop(host: string, why = 'disconnected'): void {
    const e = this.entries.get(host);
    if (!e) return;
    this.entries.delete(host);
    clearInterval(e.timer);
    this.log.debug(`${host}: ops dropped (${why})`);
    try {
      e.ops?.dispose();
    } finally {
      e.lease?.release();
    }
    this.invalidated.fire(host);
  }

  private async build(host: string, e: Entry): Promise<RemoteOps> {
    const lease = await this.opts.acquire(host);
    e.lease = lease;
    try {
      const ops = this.track(await this.opts.open(lease.session, host), e);
      e.ops = ops;
      this.log.info(`${host}: file operations through ${ops.kind === 'agent' ? 'the remote agent' : 'SFTP (fallback)'}`);
      const idle = this.opts.idleMs ?? 0;
      if (idle > 0) {
        e.timer = setInterval(() => {
          if (e.live === 0 && this.now() - e.lastUsed >= idle && this.entries.get(host) === e) this.drop(host, 'idle');
        }, Math.min(idle, 60_000));
        e.timer.unref();
      }
      return ops;
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  /** Counts live watch/follow subscriptions and marks every call as use. */
  private track(ops: RemoteOps, e: Entry): RemoteOps {
    const touch = () => (e.lastUsed = this.now());
    return new Proxy(ops, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          touch();
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (prop !== 'watch' && prop !== 'follow') return result;
          e.live++;
          const sub = result as Disposable;
          let done = false;
          return {
            dispose: () => {
              if (done) return;
              done = true;
              e.live--;
              touch();
              sub.dispose();
            },
          };
        };
      },
    });
  }

  dispose(): void {
    for (const host of [...this.entries.keys()]) this.drop(host, 'disposed');
    this.invalidated.dispose();
  }
}
