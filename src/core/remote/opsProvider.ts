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
  /**
   * A call has been waiting `stallMs` (default 10 s): is the connection still there? (e.g.
   * SessionPool.check, which reconnects a dead one), so a frozen link shows within seconds of
   * someone waiting on it, not after the SSH keepalives give up. At most one check at a time.
   */
  checkConnection?(host: string): Promise<unknown>;
  stallMs?: number;
  logger?: Logger;
}

interface Entry {
  ready: Promise<RemoteOps>;
  session?: Session;
  ops?: RemoteOps;
  /** Held only while busy, so the pool's idle clock (the one clock) runs whenever nothing is. */
  lease?: Lease;
  /** A lease being taken for a call that started while none was held. */
  leasing?: boolean;
  /** Calls in flight plus open watch/follow subscriptions (someone is looking). */
  busy: number;
}

/**
 * One RemoteOps per host over its pooled session. A pool lease is held while a request is in
 * flight or a watch/follow is open, and given back the moment nothing is: the pool's idle timeout
 * is then the only clock deciding when an unused session closes. A closed session, or an agent
 * that exited, is noticed on the next call and the ops are rebuilt.
 */
export class PooledOpsProvider implements RemoteOpsProvider, Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly invalidated = new Emitter<string>();
  private readonly log: Logger;
  private readonly checking = new Set<string>();

  constructor(private readonly opts: PooledOpsOptions) {
    this.log = tagged(opts.logger ?? silentLogger, 'ops');
  }

  onDidInvalidate(listener: (host: string) => void): Disposable {
    return this.invalidated.event(listener);
  }

  async ops(host: string): Promise<RemoteOps> {
    let e = this.entries.get(host);
    if (e?.session && (!e.session.connected || e.ops?.closed)) {
      // A closed session, or an agent that exited on a live session: rebuild.
      this.drop(host, e.session.connected ? 'agent exited' : 'session closed');
      e = undefined;
    }
    if (!e) {
      const entry: Entry = { busy: 0, ready: Promise.resolve(undefined as unknown as RemoteOps) };
      entry.ready = this.build(host, entry);
      this.entries.set(host, entry);
      entry.ready.catch(() => this.entries.get(host) === entry && this.entries.delete(host));
      e = entry;
    }
    return e.ready;
  }

  /** Forgets a host's ops (after a disconnect); the next call reconnects. */
  drop(host: string, why = 'disconnected'): void {
    const e = this.entries.get(host);
    if (!e) return;
    this.entries.delete(host);
    this.log.debug(`${host}: ops dropped (${why})`);
    try {
      e.ops?.dispose();
    } finally {
      this.releaseLease(e);
    }
    this.invalidated.fire(host);
  }

  private async build(host: string, e: Entry): Promise<RemoteOps> {
    const lease = await this.opts.acquire(host);
    e.lease = lease;
    e.session = lease.session;
    try {
      const ops = this.track(host, await this.opts.open(lease.session, host), e);
      e.ops = ops;
      this.log.info(`${host}: file operations through ${ops.kind === 'agent' ? 'the remote agent' : 'SFTP (fallback)'}`);
      if (e.busy === 0) this.releaseLease(e);
      return ops;
    } catch (err) {
      this.releaseLease(e);
      throw err;
    }
  }

  private enter(host: string, e: Entry): void {
    e.busy++;
    if (e.lease || e.leasing || !e.session?.connected || this.entries.get(host) !== e) return;
    // The session is still up (the pool has not closed it yet): taking a lease stops its idle clock.
    e.leasing = true;
    this.opts.acquire(host).then(
      (lease) => {
        e.leasing = false;
        if (e.busy > 0 && !e.lease && this.entries.get(host) === e && lease.session === e.session) e.lease = lease;
        else lease.release();
      },
      (err: unknown) => {
        e.leasing = false;
        this.log.debug(`${host}: no lease for a running request: ${String(err)}`);
      },
    );
  }

  private leave(e: Entry): void {
    e.busy = Math.max(0, e.busy - 1);
    if (e.busy === 0) this.releaseLease(e);
  }

  private releaseLease(e: Entry): void {
    const lease = e.lease;
    e.lease = undefined;
    lease?.release();
  }

  /** Holds a lease around every call and for the life of each watch/follow subscription. */
  private track(host: string, ops: RemoteOps, e: Entry): RemoteOps {
    return new Proxy(ops, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function' || prop === 'dispose') return value;
        return (...args: unknown[]) => {
          this.enter(host, e);
          let result: unknown;
          try {
            result = (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (err) {
            this.leave(e);
            throw err;
          }
          if (prop === 'watch' || prop === 'follow') {
            const sub = result as Disposable;
            let done = false;
            return {
              dispose: () => {
                if (done) return;
                done = true;
                this.leave(e);
                sub.dispose();
              },
            };
          }
          if (result instanceof Promise) {
            const stall = this.watchStall(host, String(prop));
            return result.finally(() => {
              if (stall) clearTimeout(stall);
              this.leave(e);
            });
          }
          this.leave(e);
          return result;
        };
      },
    });
  }

  /** Starts the stall clock of one call (none without checkConnection). */
  private watchStall(host: string, what: string): NodeJS.Timeout | undefined {
    const check = this.opts.checkConnection;
    if (!check) return undefined;
    const ms = this.opts.stallMs ?? 10_000;
    const timer = setTimeout(() => {
      if (this.checking.has(host)) return;
      this.checking.add(host);
      this.log.info(`${host}: ${what} has waited ${Math.round(ms / 1000)} s; checking the connection`);
      check(host)
        .catch((err: unknown) => this.log.debug(`${host}: connection check failed: ${String(err)}`))
        .finally(() => this.checking.delete(host));
    }, ms);
    timer.unref();
    return timer;
  }

  dispose(): void {
    for (const host of [...this.entries.keys()]) this.drop(host, 'disposed');
    this.invalidated.dispose();
  }
}
