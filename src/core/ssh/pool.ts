/**
 * SessionPool: one SSH connection per host alias, shared by every feature.
 *
 * - Concurrent `acquire`s while connecting share one handshake.
 * - Leases are reference counted; a connection with no leases is closed after an idle timeout.
 * - A connection that drops by itself (or fails `check()`) is 'reconnecting': it is reopened in
 *   the background at once, then with backoff, for `reconnectForMs`; only then 'failed', with the
 *   reason kept. Acquires meanwhile wait for the attempt under way or fail fast between attempts.
 * - Failed attempts back off exponentially (1 s, 2 s, 4 s … 60 s), during which acquires fail fast.
 * - After a failed or cancelled interactive login (password, keyboard-interactive) nothing
 *   reconnects by itself: only an explicit connect (`acquire(alias, { explicit: true })`).
 *
 * The pool knows nothing about ssh2: it takes a `connect` function (see connector.ts), so its
 * state machine is testable with fakes.
 */
import { CancelledError, type Disposable } from '../cancel';
import { Emitter } from '../event';
import { silentLogger, tagged, type Logger } from '../log';
import { SshError, isCancelled, toSshError } from './errors';
import type { Session } from './session';

export type HostStatus = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface StatusEvent {
  alias: string;
  status: HostStatus;
  /** Set with 'failed' and 'reconnecting' (why the connection was lost), and kept with 'disconnected' after a cancelled login. */
  error?: SshError;
}

/** What the pool needs from one open connection. */
export interface PoolConnection {
  readonly session: Session;
  /** A round trip proving the connection is alive; rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): void;
  /** Registers a listener for the connection closing (for any reason). */
  onClose(listener: () => void): void;
}

export interface PoolConnectContext {
  signal: AbortSignal;
  /** The user asked for this connection (vs. a feature needing it in the background). */
  explicit: boolean;
}

export type PoolConnect = (alias: string, ctx: PoolConnectContext) => Promise<PoolConnection>;

export interface SessionLease {
  readonly session: Session;
  /** Gives the session back; idempotent. */
  release(): void;
}

export interface AcquireOptions {
  /** A user action: connects even after an interactive login failure and ignores backoff. */
  explicit?: boolean;
  signal?: AbortSignal;
}

export interface SessionPoolOptions {
  connect: PoolConnect;
  /** Close sessions unused for this long; default 30 min; 0 = never. */
  idleTimeoutMs?: number;
  /** Delay after the first failed attempt; doubles per failure. Default 1000. */
  backoffInitialMs?: number;
  /** Backoff cap; default 60 000. */
  backoffMaxMs?: number;
  /** How long a lost connection is retried in the background before it is 'failed'; default 5 min. */
  reconnectForMs?: number;
  /** Timeout of `check()`'s round trip; default 10 000. */
  pingTimeoutMs?: number;
  logger?: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  alias: string;
  status: HostStatus;
  error?: SshError;
  conn?: PoolConnection;
  generation: number;
  refs: number;
  pending?: Promise<PoolConnection>;
  abort?: AbortController;
  idleTimer?: NodeJS.Timeout;
  failures: number;
  retryAt: number;
  /** No automatic attempts until an explicit one (interactive login failed or was cancelled). */
  blocked: boolean;
  /** Connections we are closing on purpose (idle, close()), so their 'close' is not a drop. */
  closing: Set<PoolConnection>;
  /** Set while a lost connection is being reopened in the background: when it was lost, and why. */
  lost?: Lost;
}

/** A lost connection being reopened in the background. */
interface Lost {
  at: number;
  reason: SshError;
  attempts: number;
  timer?: NodeJS.Timeout;
  /** Settles when reconnected (resolves) or given up / stopped (rejects); acquires wait on it. */
  done: Promise<void>;
  settle(err?: Error): void;
}

export class SessionPool implements Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly statusEmitter: Emitter<StatusEvent>;
  private readonly log: Logger;
  private idleTimeoutMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly pingTimeoutMs: number;
  private readonly reconnectForMs: number;
  private readonly now: () => number;
  private disposed = false;

  constructor(private readonly opts: SessionPoolOptions) {
    this.log = tagged(opts.logger ?? silentLogger, 'pool');
    this.statusEmitter = new Emitter((err) => this.log.error(`status listener failed: ${String(err)}`));
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30 * 60_000;
    this.backoffInitialMs = opts.backoffInitialMs ?? 1000;
    this.backoffMaxMs = opts.backoffMaxMs ?? 60_000;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 10_000;
    this.reconnectForMs = opts.reconnectForMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Status changes of any host. */
  onStatus(listener: (e: StatusEvent) => void): Disposable {
    return this.statusEmitter.event(listener);
  }

  status(alias: string): HostStatus {
    return this.entries.get(alias)?.status ?? 'disconnected';
  }

  /** The error of the last failed attempt, if the host is not connected. */
  lastError(alias: string): SshError | undefined {
    return this.entries.get(alias)?.error;
  }

  /** Leases currently held on the host's connection. */
  refCount(alias: string): number {
    return this.entries.get(alias)?.refs ?? 0;
  }

  /** Hosts the pool has seen, with their status. */
  statuses(): StatusEvent[] {
    return [...this.entries.values()].map((e) => ({ alias: e.alias, status: e.status, ...(e.error ? { error: e.error } : {}) }));
  }

  /** A new idle timeout (the setting changed): unused sessions restart their idle clock with it. */
  setIdleTimeout(ms: number): void {
    if (ms === this.idleTimeoutMs) return;
    this.idleTimeoutMs = ms;
    for (const e of this.entries.values()) {
      if (!e.idleTimer) continue;
      clearTimeout(e.idleTimer);
      e.idleTimer = undefined;
      this.maybeIdle(e, e.generation);
    }
  }

  /** A lease on the host's session, connecting (once, shared) if needed. Release it when done. */
  async acquire(alias: string, opts: AcquireOptions = {}): Promise<SessionLease> {
    if (this.disposed) throw new SshError('disconnected', alias, 'Remote HPC is shutting down');
    if (opts.signal?.aborted) throw new CancelledError();
    const e = this.entry(alias);
    if (e.conn && e.conn.session.connected) return this.lease(e);
    if (e.lost && !e.pending && !opts.explicit) {
      // Reconnecting in the background: wait for it rather than fail between attempts.
      await waitWithSignal(e.lost.done, opts.signal);
      if (!e.conn) throw new SshError('disconnected', alias, `Connection to ${alias} was closed`);
      return this.lease(e);
    }
    if (e.lost?.timer) {
      clearTimeout(e.lost.timer); // the user asked: this attempt now, not the scheduled one
      e.lost.timer = undefined;
    }
    if (!e.pending) {
      if (!opts.explicit) this.refuseAutomatic(e);
      e.pending = this.open(e, opts.explicit === true);
    }
    await waitWithSignal(e.pending, opts.signal);
    if (!e.conn) throw new SshError('disconnected', alias, `Connection to ${alias} was closed`);
    return this.lease(e);
  }

  /** An explicit (user) connect: opens the session and keeps it cached for the idle period. */
  async connect(alias: string, signal?: AbortSignal): Promise<void> {
    const lease = await this.acquire(alias, { explicit: true, ...(signal ? { signal } : {}) });
    lease.release();
  }

  /** Runs fn with a leased session, releasing it afterwards. */
  async withSession<T>(alias: string, fn: (session: Session) => Promise<T>, opts: AcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(alias, opts);
    try {
      return await fn(lease.session);
    } finally {
      lease.release();
    }
  }

  /**
   * Verifies the host's connection with a round trip. A dead one is closed and reopened in the
   * background (status 'reconnecting'). False when not connected.
   */
  async check(alias: string): Promise<boolean> {
    const e = this.entries.get(alias);
    const conn = e?.conn;
    if (!e || !conn || !conn.session.connected) return false;
    try {
      await conn.ping(this.pingTimeoutMs);
      return true;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.log.warn(`${alias}: connection check failed (${why}); closing it`);
      if (e.conn === conn) {
        this.dropConnection(e, conn, false);
        this.connectionLost(e, `no answer to a check (${why})`);
      }
      return false;
    }
  }

  /** Closes the host's connection (leases held become unusable) and forgets failures and backoff. */
  close(alias: string): void {
    const e = this.entries.get(alias);
    if (!e) return;
    e.abort?.abort();
    e.abort = undefined;
    e.pending = undefined;
    this.stopReconnecting(e, new SshError('disconnected', alias, `Connection to ${alias} was closed`));
    e.failures = 0;
    e.retryAt = 0;
    e.blocked = false;
    e.error = undefined;
    if (e.conn) this.dropConnection(e, e.conn, true);
    else this.setStatus(e, 'disconnected');
  }

  closeAll(): void {
    for (const alias of [...this.entries.keys()]) this.close(alias);
  }

  dispose(): void {
    if (this.disposed) return;
    this.closeAll();
    this.disposed = true;
    this.statusEmitter.dispose();
  }

  private entry(alias: string): Entry {
    let e = this.entries.get(alias);
    if (!e) {
      e = { alias, status: 'disconnected', generation: 0, refs: 0, failures: 0, retryAt: 0, blocked: false, closing: new Set() };
      this.entries.set(alias, e);
    }
    return e;
  }

  private refuseAutomatic(e: Entry): void {
    if (e.blocked) {
      if (e.error && isCancelled(e.error)) throw new CancelledError(`Login to ${e.alias} was cancelled; connect again to retry`);
      throw new SshError('auth-failed', e.alias, `Not connected to ${e.alias}: the last login failed. Connect again to retry.`, { cause: e.error, interactive: true });
    }
    const wait = e.retryAt - this.now();
    if (wait > 0 && e.error) {
      throw new SshError(e.error.kind, e.alias, `${e.error.message} (next attempt in ${Math.ceil(wait / 1000)} s)`, { cause: e.error });
    }
  }

  private async open(e: Entry, explicit: boolean): Promise<PoolConnection> {
    const abort = new AbortController();
    e.abort = abort;
    if (!e.lost) e.error = undefined;
    if (!e.lost) this.setStatus(e, 'connecting'); // (a lost one stays 'reconnecting')
    this.log.info(`${e.alias}: connecting${explicit ? ' (explicit)' : ''}`);
    try {
      const conn = await this.opts.connect(e.alias, { signal: abort.signal, explicit });
      if (abort.signal.aborted || this.disposed) {
        conn.close();
        throw new CancelledError(`Connection to ${e.alias} was closed while connecting`);
      }
      const gen = ++e.generation;
      e.conn = conn;
      e.refs = 0;
      e.failures = 0;
      e.retryAt = 0;
      e.blocked = false;
      if (e.lost) this.log.info(`${e.alias}: reconnected after ${Math.round((this.now() - e.lost.at) / 1000)} s`);
      this.stopReconnecting(e);
      e.error = undefined;
      conn.onClose(() => this.onConnectionClosed(e, conn, gen));
      this.setStatus(e, 'connected');
      // Nobody may take a lease (all waiters cancelled): start the idle clock anyway.
      queueMicrotask(() => this.maybeIdle(e, gen));
      return conn;
    } catch (err) {
      if (abort.signal.aborted) throw err instanceof CancelledError ? err : new CancelledError(`Connection to ${e.alias} was closed while connecting`);
      const se = toSshError(err, e.alias);
      e.error = se;
      if (isCancelled(se)) {
        this.stopReconnecting(e, se);
        e.blocked = true;
        this.log.info(`${e.alias}: login cancelled; no automatic retry`);
        this.setStatus(e, 'disconnected');
        throw err instanceof CancelledError ? err : new CancelledError(se.message);
      }
      if (se.kind === 'auth-failed' && se.interactive) {
        this.stopReconnecting(e, se);
        e.blocked = true;
        this.log.warn(`${e.alias}: interactive login failed; no automatic retry until an explicit connect`);
      } else {
        e.failures++;
        const delay = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** (e.failures - 1));
        e.retryAt = this.now() + delay;
        this.log.warn(`${e.alias}: ${se.kind}: ${se.message} (attempt ${e.failures}; next automatic attempt after ${delay} ms)`);
      }
      if (e.lost && this.now() - e.lost.at < this.reconnectForMs) {
        e.error = new SshError(se.kind, e.alias, `${e.lost.reason.message}; reconnecting (attempt ${e.lost.attempts} failed: ${se.message})`, { cause: se });
        this.setStatus(e, 'reconnecting');
        this.scheduleReconnect(e);
        throw se;
      }
      if (e.lost) {
        e.error = new SshError(se.kind, e.alias, `${e.lost.reason.message}; reconnecting failed for ${Math.round(this.reconnectForMs / 1000)} s: ${se.message}`, { cause: se });
        this.stopReconnecting(e, e.error);
      }
      this.setStatus(e, 'failed');
      throw e.error ?? se;
    } finally {
      // Only this attempt's bookkeeping: close() may already have started another.
      if (e.abort === abort) {
        e.abort = undefined;
        e.pending = undefined;
      }
    }
  }

  private lease(e: Entry): SessionLease {
    const conn = e.conn!;
    const gen = e.generation;
    e.refs++;
    if (e.idleTimer) {
      clearTimeout(e.idleTimer);
      e.idleTimer = undefined;
    }
    let released = false;
    return {
      session: conn.session,
      release: () => {
        if (released) return;
        released = true;
        if (e.generation !== gen || e.conn !== conn) return;
        e.refs = Math.max(0, e.refs - 1);
        this.maybeIdle(e, gen);
      },
    };
  }

  private maybeIdle(e: Entry, gen: number): void {
    if (e.refs > 0 || !e.conn || e.generation !== gen || e.idleTimer || this.idleTimeoutMs <= 0) return;
    const conn = e.conn;
    e.idleTimer = setTimeout(() => {
      e.idleTimer = undefined;
      if (e.conn === conn && e.refs === 0) {
        this.log.info(`${e.alias}: idle for ${Math.round(this.idleTimeoutMs / 1000)} s; closing`);
        this.dropConnection(e, conn, true);
      }
    }, this.idleTimeoutMs);
    e.idleTimer.unref?.();
  }

  /** Closes a connection; `intentional` means its 'close' is not reported as a drop (else the caller says what it is). */
  private dropConnection(e: Entry, conn: PoolConnection, intentional: boolean): void {
    if (intentional) e.closing.add(conn);
    if (e.conn === conn) {
      e.conn = undefined;
      e.refs = 0;
      if (e.idleTimer) clearTimeout(e.idleTimer);
      e.idleTimer = undefined;
      if (intentional) this.setStatus(e, 'disconnected');
    }
    try {
      conn.close();
    } catch (err) {
      this.log.debug(`${e.alias}: close failed: ${String(err)}`);
    }
  }

  private onConnectionClosed(e: Entry, conn: PoolConnection, gen: number): void {
    const intentional = e.closing.delete(conn);
    if (e.conn !== conn || e.generation !== gen) return;
    e.conn = undefined;
    e.refs = 0;
    if (e.idleTimer) clearTimeout(e.idleTimer);
    e.idleTimer = undefined;
    if (intentional) this.setStatus(e, 'disconnected');
    else this.connectionLost(e, 'the connection closed');
  }

  /** A connection went away by itself: 'reconnecting', and a first attempt right away. */
  private connectionLost(e: Entry, why: string): void {
    if (this.disposed) return;
    this.log.warn(`${e.alias}: connection lost (${why}); reconnecting`);
    e.error = new SshError('disconnected', e.alias, `Connection to ${e.alias} lost: ${why}`);
    let settle: (err?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    done.catch(() => undefined); // nobody may be waiting
    e.lost = { at: this.now(), reason: e.error, attempts: 0, done, settle };
    e.failures = 0;
    e.retryAt = 0;
    this.setStatus(e, 'reconnecting');
    this.scheduleReconnect(e);
  }

  private scheduleReconnect(e: Entry): void {
    const lost = e.lost;
    if (!lost || lost.timer) return;
    const delay = lost.attempts === 0 ? 0 : Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** (lost.attempts - 1));
    lost.timer = setTimeout(() => {
      lost.timer = undefined;
      if (e.lost !== lost || e.conn || e.pending || this.disposed) return;
      lost.attempts++;
      e.pending = this.open(e, false);
      e.pending.catch(() => undefined);
    }, delay); // not unref'd: acquires may be waiting on it (dispose and close() clear it)
  }

  /** Ends the background reconnect: waiters get the connection, or `err`. */
  private stopReconnecting(e: Entry, err?: Error): void {
    const lost = e.lost;
    if (!lost) return;
    if (lost.timer) clearTimeout(lost.timer);
    e.lost = undefined;
    lost.settle(err);
  }

  private setStatus(e: Entry, status: HostStatus): void {
    if (e.status === status && status !== 'failed' && status !== 'reconnecting') return;
    e.status = status;
    if (this.disposed) return;
    this.statusEmitter.fire({ alias: e.alias, status, ...(e.error && status !== 'connected' && status !== 'connecting' ? { error: e.error } : {}) });
  }
}

function waitWithSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
