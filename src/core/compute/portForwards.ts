/**
 * Port forwards to jobs: `node:port` on a compute node → a free port on 127.0.0.1 here, each
 * local connection one direct-tcpip stream (`Session.forward`) from the login node over the
 * host's cached session. The registry lists the active forwards per job, holds a session lease
 * while a forward lives, and closes a job's forwards when the job ends and a host's when its
 * session goes (the adapters call {@link closeJob} / {@link closeHost}). No `vscode`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Disposable } from '../cancel';
import { Emitter } from '../event';
import type { Logger } from '../log';
import type { Session } from '../ssh/session';
import { widenReceiveWindow } from '../ssh/channelWindow';

export interface ForwardTarget {
  /** The host (login node) whose session carries the forward. */
  host: string;
  jobId: string;
  /** The compute node, as the login node resolves it. */
  node: string;
  port: number;
}

export interface PortForward extends ForwardTarget {
  readonly id: string;
  readonly localPort: number;
  /** `http://127.0.0.1:<localPort>/` (plus a path such as Jupyter's `/lab?token=…` when known). */
  readonly url: string;
  /** Local connections open now. */
  readonly connections: number;
}

export interface ForwardLease {
  session: Pick<Session, 'forward' | 'connected'>;
  release(): void;
}

export interface PortForwardsOptions {
  /** A lease on the host's session, held while the forward lives. */
  acquire(host: string): Promise<ForwardLease>;
  log: Logger;
}

/** Nothing listens at the target (or the login node cannot reach it). */
export class ForwardTargetError extends Error {
  constructor(readonly target: ForwardTarget, reason: string) {
    super(`Nothing answers on ${target.node}:${target.port} from ${target.host}${reason ? ` (${reason})` : ''}. Is the server running and listening on the node's address (not only 127.0.0.1)?`);
    this.name = 'ForwardTargetError';
  }
}

/** Receive window of one forwarded connection (ssh2): at most this plus the stream's 2 MiB is buffered. */
const FORWARD_WINDOW = 8 << 20;

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function forwardId(t: ForwardTarget): string {
  return `${t.host}\0${t.jobId}\0${t.node}:${t.port}`;
}

class Forward implements PortForward {
  readonly id: string;
  readonly host: string;
  readonly jobId: string;
  readonly node: string;
  readonly port: number;
  url: string;
  readonly sockets = new Set<Socket>();

  constructor(
    t: ForwardTarget,
    readonly localPort: number,
    readonly server: Server,
    readonly lease: ForwardLease,
    path: string,
  ) {
    this.id = forwardId(t);
    ({ host: this.host, jobId: this.jobId, node: this.node, port: this.port } = t);
    this.url = `http://127.0.0.1:${localPort}${path}`;
  }

  get connections(): number {
    return this.sockets.size;
  }
}

export class PortForwards implements Disposable {
  private readonly forwards = new Map<string, Forward>();
  private readonly opening = new Map<string, Promise<PortForward>>();
  private readonly changed = new Emitter<{ host: string; jobId: string }>();
  /** Fires with the job whose forwards changed (opened, closed, a connection came or went). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly o: PortForwardsOptions) {}

  list(host?: string, jobId?: string): PortForward[] {
    return [...this.forwards.values()].filter((f) => (host === undefined || f.host === host) && (jobId === undefined || f.jobId === jobId));
  }

  get(id: string): PortForward | undefined {
    return this.forwards.get(id);
  }

  /**
   * Forwards `target` to a free local port (or `opts.localPort`); the same target again gives the
   * forward already open. Checks first that something answers there ({@link ForwardTargetError}).
   * `opts.path` is appended to the URL (a token the server printed).
   */
  open(target: ForwardTarget, opts: { localPort?: number; path?: string } = {}): Promise<PortForward> {
    if (!isPort(target.port)) return Promise.reject(new RangeError(`${target.port} is not a port number (1–65535)`));
    if (opts.localPort !== undefined && opts.localPort !== 0 && !isPort(opts.localPort)) return Promise.reject(new RangeError(`${opts.localPort} is not a port number`));
    const id = forwardId(target);
    const existing = this.forwards.get(id);
    if (existing) {
      if (opts.path) existing.url = `http://127.0.0.1:${existing.localPort}${opts.path}`;
      return Promise.resolve(existing);
    }
    let p = this.opening.get(id);
    if (!p) {
      p = this.start(target, opts).finally(() => this.opening.delete(id));
      this.opening.set(id, p);
    }
    return p;
  }

  private async start(target: ForwardTarget, opts: { localPort?: number; path?: string }): Promise<PortForward> {
    const lease = await this.o.acquire(target.host);
    try {
      await this.probe(lease, target);
      const server = createServer({ noDelay: true, pauseOnConnect: true });
      const localPort = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.localPort ?? 0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve((server.address() as { port: number }).port);
        });
      });
      const f = new Forward(target, localPort, server, lease, opts.path ?? '/');
      server.on('connection', (sock) => this.connect(f, sock));
      server.on('error', (e) => this.o.log.warn(`[forward] ${target.node}:${target.port}: ${e.message}`));
      this.forwards.set(f.id, f);
      this.o.log.info(`[forward] ${target.host}: job ${target.jobId} ${target.node}:${target.port} → 127.0.0.1:${localPort}`);
      this.fire(f);
      return f;
    } catch (e) {
      lease.release();
      throw e;
    }
  }

  /** One stream to the target, closed at once: it opens only when something accepts there. */
  private async probe(lease: ForwardLease, t: ForwardTarget): Promise<void> {
    try {
      (await lease.session.forward(t.node, t.port)).destroy();
    } catch (e) {
      throw new ForwardTargetError(t, (e as Error).message.replace(/^\(SSH\)\s*/, ''));
    }
  }

  private connect(f: Forward, sock: Socket): void {
    if (!f.lease.session.connected) {
      sock.destroy();
      this.o.log.info(`[forward] ${f.host}: the session closed; forward to ${f.node}:${f.port} ends`);
      this.close(f.id);
      return;
    }
    f.sockets.add(sock);
    this.fire(f);
    let remote: Duplex | undefined;
    const end = () => {
      if (!f.sockets.delete(sock)) return;
      sock.destroy();
      remote?.destroy();
      this.fire(f);
    };
    sock.once('close', end);
    sock.on('error', end);
    f.lease.session.forward(f.node, f.port).then(
      (stream) => {
        remote = stream;
        if (!f.sockets.has(sock)) return stream.destroy();
        // One connection is one channel: ssh2's 2 MiB window would cap it at ~1–2 MiB per round trip.
        widenReceiveWindow(stream, FORWARD_WINDOW);
        stream.on('error', end);
        stream.once('close', end);
        sock.pipe(stream);
        stream.pipe(sock);
        sock.resume();
      },
      (e: Error) => {
        this.o.log.warn(`[forward] ${f.node}:${f.port}: ${e.message}`);
        end();
      },
    );
  }

  /** Ends one forward: its listener and open connections; the port is free again. */
  close(id: string): void {
    const f = this.forwards.get(id);
    if (!f) return;
    this.forwards.delete(id);
    f.server.close();
    for (const s of f.sockets) s.destroy();
    f.sockets.clear();
    f.lease.release();
    this.o.log.info(`[forward] closed ${f.node}:${f.port} (127.0.0.1:${f.localPort})`);
    this.fire(f);
  }

  /** A job ended: its forwards go. */
  closeJob(host: string, jobId: string): void {
    for (const f of this.list(host, jobId)) this.close(f.id);
  }

  /** A host's session closed: its forwards go. */
  closeHost(host: string): void {
    for (const f of this.list(host)) this.close(f.id);
  }

  dispose(): void {
    for (const id of [...this.forwards.keys()]) this.close(id);
    this.changed.dispose();
  }

  private fire(f: ForwardTarget): void {
    this.changed.fire({ host: f.host, jobId: f.jobId });
  }
}
