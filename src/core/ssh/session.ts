import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type { PtyOptions, RemoteChannel, TransportInfo } from './channel';
import { commandLineWith, type CommandLineOptions } from './quote';

export interface ExecOptions extends CommandLineOptions {
  /** Bytes written to the command's stdin, which is then closed. */
  stdin?: Buffer | string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

/**
 * One connected SSH session to a host, whichever transport carries it (ssh2 in-process, or the
 * system OpenSSH through a control master). Features never see the connection's lifecycle:
 * the pool owns connecting, keep-alive, idle eviction and reconnecting.
 */
export interface Session {
  readonly host: string;
  readonly transport: TransportInfo;
  /** Runs argv (quoted once, here) through the remote user's shell and collects its output. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts argv and hands back the raw channel (for long-lived processes such as the agent). */
  spawn(argv: readonly string[], opts?: CommandLineOptions & { pty?: PtyOptions }): Promise<RemoteChannel>;
  /** The session's shared SFTP channel, opened on first use. */
  sftp(): Promise<SFTPWrapper>;
  /** A further SFTP channel with its own flow-control window, for parallel transfers. Caller ends it. */
  openSftp(): Promise<SFTPWrapper>;
  /** An interactive login shell (for the terminal). */
  shell(pty: PtyOptions): Promise<RemoteChannel>;
  /** A TCP stream to `host:port` as the remote side sees it (ProxyJump hops, port forwards). */
  forward(host: string, port: number): Promise<Duplex>;
  readonly connected: boolean;
}

/**
 * Runs a started channel to its end and collects its output: stdin written then closed, a
 * timeout and an abort signal that kill the remote process (`channel.signal('KILL')`) and close it.
 */
export function collect(channel: RemoteChannel, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const kill = () => {
      channel.signal('KILL');
      channel.close();
    };
    const abort = () => {
      kill();
      reject(opts.signal?.reason ?? new Error('Command aborted'));
    };
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        kill();
        reject(new Error(`Command timed out after ${opts.timeoutMs} ms: ${argv[0]}`));
      }, opts.timeoutMs);
    }
    opts.signal?.addEventListener('abort', abort, { once: true });
    channel.on('data', (d: Buffer) => out.push(d));
    channel.stderr.on('data', (d: Buffer) => err.push(d));
    channel.on('close', (code: number | null, signal?: string) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', abort);
      resolve({ code: code ?? null, ...(signal ? { signal } : {}), stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    if (opts.stdin !== undefined) channel.end(opts.stdin);
    else channel.end();
  });
}

/** `Session.sftp`: one SFTP channel opened on first use and shared, opened again once it closed. */
export function sharedSftp(open: () => Promise<SFTPWrapper>): () => Promise<SFTPWrapper> {
  let current: Promise<SFTPWrapper> | undefined;
  return () => {
    if (!current) {
      const p = open();
      current = p;
      p.then(
        (s) => s.once('close', () => current === p && (current = undefined)),
        () => current === p && (current = undefined),
      );
    }
    return current;
  };
}

/** A Session over a connected ssh2 Client. */
export class ClientSession implements Session {
  private closed = false;

  constructor(
    readonly host: string,
    readonly client: Client,
    readonly transport: TransportInfo = { kind: 'ssh2', reason: 'built in' },
  ) {
    client.once('close', () => (this.closed = true));
  }

  get connected(): boolean {
    return !this.closed;
  }

  spawn(argv: readonly string[], opts: CommandLineOptions & { pty?: PtyOptions } = {}): Promise<ClientChannel> {
    const command = commandLineWith(argv, opts);
    return new Promise((resolve, reject) => {
      const cb = (err: Error | undefined, channel: ClientChannel) => (err ? reject(err) : resolve(channel));
      if (opts.pty) this.client.exec(command, { pty: opts.pty }, cb);
      else this.client.exec(command, cb);
    });
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return collect(await this.spawn(argv, opts), argv, opts);
  }

  readonly sftp = sharedSftp(() => this.openSftp());

  openSftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
  }

  shell(pty: PtyOptions): Promise<ClientChannel> {
    return new Promise((resolve, reject) => this.client.shell(pty, (err, ch) => (err ? reject(err) : resolve(ch))));
  }

  forward(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch))));
  }
}
