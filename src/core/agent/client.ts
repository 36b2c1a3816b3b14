/**
 * Client of the remote agent: starts it over the session's exec channel, skips whatever login
 * scripts print before the handshake, then multiplexes requests (many in flight, matched by id),
 * cancellations and server-pushed events over the framed stream.
 */
import type { ChildProcess } from 'node:child_process';
import type { RemoteChannel } from '../ssh/channel';
import type { Session } from '../ssh/session';
import { tagged, type Logger } from '../log';
import { CancelledError, type Disposable } from '../cancel';
import { encodeFrame, FrameDecoder, FrameType, HandshakeScanner, MAX_PAYLOAD, PROTOCOL_VERSION, type Frame, type Handshake } from './protocol';
import { agentLaunchArgv, BOOTSTRAP_MISMATCH_EXIT, installAgent, type AgentInstall } from './install';
import type { OpEvent, OpName, OpParams, OpResult, SubscriptionOp } from './operations';

/** A failed agent request; `code` is an errno name ('ENOENT', 'EEXIST', ...): see classifyRemoteError. */
class AgentError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly op: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** The agent did not answer a request in time (the request is cancelled on the agent). */
export class AgentTimeoutError extends AgentError {
  constructor(op: string, ms: number) {
    super(`${op}: no answer from the agent within ${Math.round(ms / 1000)} s`, 'ETIMEDOUT', op);
    this.name = 'AgentTimeoutError';
  }
}

/** The agent could not be started or spoke another protocol version: use the SFTP fallback. */
export class AgentStartError extends Error {
  constructor(
    message: string,
    readonly reason: 'no-python' | 'exited' | 'timeout' | 'version' | 'hash' | 'install' | 'protocol',
  ) {
    super(message);
    this.name = 'AgentStartError';
  }
}

export interface AgentReply<T> {
  result: T;
  payload: Buffer;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Fail with AgentTimeoutError when no answer came in this time (default 10 min; 0: never, for ops with their own limit). */
  timeoutMs?: number;
  /** Largest payload accepted in the answer (default MAX_PAYLOAD); a bigger one closes the agent stream. */
  maxPayload?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 600_000;

/** The byte pipes to a running agent: an SSH exec channel, or a local child process in tests. */
export interface AgentTransport {
  write(chunks: Buffer[]): void;
  end(): void;
  onData(listener: (chunk: Buffer) => void): void;
  onStderr(listener: (chunk: Buffer) => void): void;
  /** Called once when the pipes are gone, with a description (exit code, signal). */
  onClose(listener: (why: string) => void): void;
}

/**
 * How long an ended channel may take to report its exit status. sshd sends it once it has reaped
 * the process, which on a loaded login node can be over a second after the output closed (a
 * fresh-clone run lost a bootstrap's hash-mismatch code to a 1 s wait and fell back to SFTP).
 * ssh2 always emits 'close' after the status, or when the connection goes, so normally this wait
 * is never reached; it only bounds a channel that reports neither.
 */
const END_GRACE_MS = 10_000;

function channelTransport(channel: RemoteChannel): AgentTransport {
  let exit = '';
  channel.on('exit', (code: number | null, signal?: string) => {
    exit = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  return {
    write: (chunks) => {
      for (const c of chunks) channel.write(c);
    },
    end: () => channel.end(),
    onData: (l) => channel.on('data', l),
    onStderr: (l) => channel.stderr.on('data', l),
    onClose: (l) => {
      let done = false;
      const fire = () => {
        if (done) return;
        done = true;
        clearTimeout(grace);
        setImmediate(() => l(exit || 'channel closed'));
      };
      // Done once the output ended and the status is known. Over ssh2 'end' (no more output)
      // comes first and the status a moment later (sshd reaps the process after its output
      // closed); 'end' comes alone when the connection died under the channel: after 'end', wait
      // a little for the status (a bootstrap's hash-mismatch code), not forever.
      let ended = false;
      let grace: ReturnType<typeof setTimeout> | undefined;
      channel.once('end', () => {
        ended = true;
        if (exit) fire();
        else grace = setTimeout(fire, END_GRACE_MS);
      });
      channel.once('exit', () => ended && fire());
      channel.once('close', fire);
    },
  };
}

export function processTransport(child: ChildProcess): AgentTransport {
  if (!child.stdin || !child.stdout || !child.stderr) throw new Error('The agent process needs piped stdio');
  const stdin = child.stdin;
  stdin.on('error', () => undefined);
  return {
    write: (chunks) => {
      for (const c of chunks) stdin.write(c);
    },
    end: () => stdin.end(),
    onData: (l) => child.stdout?.on('data', l),
    onStderr: (l) => child.stderr?.on('data', l),
    onClose: (l) => child.once('close', (code, signal) => l(signal ? `killed by ${signal}` : `exit code ${code}`)),
  };
}

export interface AgentStartOptions {
  /** How long to wait for the handshake (login shells on clusters can be slow). Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Agent source override (tests). */
  source?: string;
}

interface Pending {
  op: string;
  maxPayload: number;
  resolve(reply: AgentReply<unknown>): void;
  reject(err: Error): void;
}

type EventListener = (json: unknown, payload: Buffer) => void;

export class AgentClient implements Disposable {
  /** Payload limits per answer: the request's own, or for events the default. */
  private readonly decoder = new FrameDecoder({ maxPayload: (type, id) => (type === FrameType.Event ? MAX_PAYLOAD : (this.pending.get(id)?.maxPayload ?? MAX_PAYLOAD)) });
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<number, EventListener>();
  private readonly closeListeners = new Set<(err: Error) => void>();
  private nextId = 1;
  private closedWith: Error | undefined;

  private constructor(
    private readonly transport: AgentTransport,
    private readonly log: Logger,
    readonly handshake: Handshake,
  ) {}

  /**
   * Uploads the agent when needed, starts it on the session and completes the handshake. A hash
   * mismatch (stale or damaged copy) triggers one re-upload; any other failure throws
   * AgentStartError so the caller can fall back to SFTP.
   */
  static async start(session: Session, log: Logger, opts: AgentStartOptions = {}): Promise<AgentClient> {
    const alog = tagged(log, 'agent');
    let install: AgentInstall;
    try {
      install = await installAgent(session, alog, { source: opts.source });
    } catch (err) {
      throw new AgentStartError(`Cannot install the agent: ${(err as Error).message}`, 'install');
    }
    try {
      return await AgentClient.launch(session, alog, install, opts);
    } catch (err) {
      if (!(err instanceof AgentStartError) || err.reason !== 'hash') throw err;
      alog.warn(`${err.message}; uploading the agent again`);
      install = await installAgent(session, alog, { force: true, source: opts.source });
      return await AgentClient.launch(session, alog, install, opts);
    }
  }

  private static async launch(session: Session, log: Logger, install: AgentInstall, opts: AgentStartOptions): Promise<AgentClient> {
    const channel = await session.spawn(agentLaunchArgv(install));
    return AgentClient.connect(channelTransport(channel), log, { expectedHash: install.hash, handshakeTimeoutMs: opts.handshakeTimeoutMs });
  }

  /** Completes the handshake over an already started agent's pipes. */
  static connect(transport: AgentTransport, log: Logger, opts: { expectedHash?: string; handshakeTimeoutMs?: number } = {}): Promise<AgentClient> {
    return new Promise((resolve, reject) => {
      const scanner = new HandshakeScanner();
      const stderr: Buffer[] = [];
      let client: AgentClient | undefined;
      let failed = false;
      const fail = (err: Error) => {
        if (client || failed) return;
        failed = true;
        clearTimeout(timer);
        transport.end();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new AgentStartError(`No agent handshake within ${opts.handshakeTimeoutMs ?? 30_000} ms`, 'timeout')),
        opts.handshakeTimeoutMs ?? 30_000,
      );
      transport.onStderr((chunk) => {
        if (client) client.log.debug(`stderr: ${chunk.toString('utf8').trimEnd()}`);
        else stderr.push(chunk);
      });
      transport.onClose((why) => {
        if (client) {
          client.closed(new Error(`Agent exited (${why})`));
          return;
        }
        const text = Buffer.concat(stderr).toString('utf8').trim();
        const noPython = /no python3|python3?: (command )?not found|No such file/i.test(text) || why === 'exit code 127';
        if (why === `exit code ${BOOTSTRAP_MISMATCH_EXIT}`) {
          fail(new AgentStartError('The cached agent differs from this version', 'hash'));
          return;
        }
        fail(new AgentStartError(`Agent did not start (${why})${text ? `: ${text.slice(-500)}` : ''}`, noPython ? 'no-python' : 'exited'));
      });
      transport.onData((chunk) => {
        if (client) {
          client.receive(chunk);
          return;
        }
        if (failed) return;
        let hs: Handshake | undefined;
        try {
          hs = scanner.push(chunk);
        } catch (err) {
          fail(new AgentStartError((err as Error).message, 'protocol'));
          return;
        }
        if (!hs) return;
        clearTimeout(timer);
        if (hs.protocol !== PROTOCOL_VERSION) {
          fail(new AgentStartError(`Agent speaks protocol ${hs.protocol}, expected ${PROTOCOL_VERSION}`, 'version'));
          return;
        }
        if (opts.expectedHash && hs.hash !== opts.expectedHash) {
          fail(new AgentStartError(`Agent hash ${hs.hash.slice(0, 16)} differs from ${opts.expectedHash.slice(0, 16)}`, 'hash'));
          return;
        }
        if (hs.preamble.trim()) log.debug(`skipped login output before the handshake: ${JSON.stringify(hs.preamble.slice(0, 200))}`);
        for (const s of stderr) log.debug(`stderr: ${s.toString('utf8').trimEnd()}`);
        client = new AgentClient(transport, log, hs);
        resolve(client);
        if (hs.rest.length > 0) client.receive(hs.rest);
      });
    });
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Sends one request (ops, params and results: operations.ts); resolves with the agent's JSON result and binary payload. */
  request<K extends OpName>(op: K, params: OpParams[K], payload?: Buffer, opts: RequestOptions = {}): Promise<AgentReply<OpResult[K]>> {
    return this.send<OpResult[K]>(op, params, payload, opts).promise;
  }

  /**
   * Starts a subscription op (watch, follow): events carrying its id go to `onEvent` until the
   * returned Disposable is disposed (which sends `unsubscribe`).
   */
  async subscribe<K extends SubscriptionOp>(op: K, params: OpParams[K], onEvent: (event: OpEvent[K], payload: Buffer) => void): Promise<Disposable & { id: number }> {
    const { id, promise } = this.send<unknown>(op, params, undefined, {}, onEvent as EventListener);
    try {
      await promise;
    } catch (err) {
      this.listeners.delete(id);
      throw err;
    }
    let disposed = false;
    return {
      id,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.listeners.delete(id);
        if (!this.isClosed) this.request('unsubscribe', { id }).catch((e: unknown) => this.log.debug(`unsubscribe ${id}: ${String(e)}`));
      },
    };
  }

  /** Called with the reason when the agent goes away (all pending requests have failed by then). */
  onClose(listener: (err: Error) => void): Disposable {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** Closes the agent's stdin: it exits, and pending requests fail. */
  dispose(): void {
    if (this.isClosed) return;
    this.transport.end();
    this.closed(new CancelledError('Agent client disposed'));
  }

  private send<T>(op: OpName, params: object, payload: Buffer | undefined, opts: RequestOptions, onEvent?: EventListener) {
    const signal = opts.signal;
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffff0 ? 1 : this.nextId + 1;
    const promise = new Promise<AgentReply<T>>((resolve, reject) => {
      if (this.closedWith) {
        reject(this.closedWith);
        return;
      }
      if (signal?.aborted) {
        reject(new CancelledError());
        return;
      }
      /** Gives up on the request: the agent is told to cancel it, its answer (if any) is dropped. */
      const abandon = (err: Error) => {
        if (!this.pending.delete(id)) return;
        done();
        this.listeners.delete(id);
        if (!this.isClosed) this.transport.write(encodeFrame({ type: FrameType.Cancel, id }));
        reject(err);
      };
      const onAbort = () => abandon(new CancelledError());
      const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const timer = timeoutMs > 0 ? setTimeout(() => abandon(new AgentTimeoutError(op, timeoutMs)), timeoutMs) : undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        op,
        maxPayload: opts.maxPayload ?? MAX_PAYLOAD,
        resolve: (r) => {
          done();
          resolve(r as AgentReply<T>);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      if (onEvent) this.listeners.set(id, onEvent);
      this.transport.write(encodeFrame({ type: FrameType.Request, id, json: { ...params, op }, payload }));
    });
    return { id, promise };
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.log.error(`agent stream rejected, closing it: ${(err as Error).message}`);
      this.transport.end();
      this.closed(err as Error);
      return;
    }
    for (const f of frames) this.dispatch(f);
  }

  private dispatch(f: Frame): void {
    if (f.type === FrameType.Event) {
      const l = this.listeners.get(f.id);
      if (l) {
        try {
          l(f.json, f.payload);
        } catch (err) {
          this.log.error(`event listener for ${f.id} failed: ${String(err)}`);
        }
      }
      return;
    }
    const p = this.pending.get(f.id);
    if (!p) return; // cancelled meanwhile
    this.pending.delete(f.id);
    if (f.type === FrameType.Response) {
      p.resolve({ result: f.json, payload: f.payload });
    } else if (f.type === FrameType.Error) {
      this.listeners.delete(f.id);
      const e = (f.json ?? {}) as { message?: string; code?: string };
      p.reject(e.code === 'ECANCELED' ? new CancelledError() : new AgentError(`${p.op}: ${e.message ?? 'failed'}`, e.code ?? 'EIO', p.op));
    } else {
      p.reject(new AgentError(`${p.op}: unexpected frame type ${f.type}`, 'EPROTO', p.op));
    }
  }

  private closed(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.listeners.clear();
    for (const p of pending) p.reject(err);
    for (const l of this.closeListeners) l(err);
    this.closeListeners.clear();
  }
}
