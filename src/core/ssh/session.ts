import type { Client, ClientChannel, SFTPWrapper, PseudoTtyOptions } from 'ssh2';
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
 * One connected SSH session to a host. Features never see the ssh2 Client's lifecycle:
 * the pool owns connecting, keep-alive, idle eviction and reconnecting.
 */
export interface Session {
  readonly host: string;
  /** Runs argv (quoted once, here) through the remote user's shell and collects its output. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts argv and hands back the raw channel (for long-lived processes such as the agent). */
  spawn(argv: readonly string[], opts?: CommandLineOptions & { pty?: PseudoTtyOptions }): Promise<ClientChannel>;
  /** The session's shared SFTP channel, opened on first use. */
  sftp(): Promise<SFTPWrapper>;
  /** A further SFTP channel with its own flow-control window, for parallel transfers. Caller ends it. */
  openSftp(): Promise<SFTPWrapper>;
  /** An interactive login shell (for the terminal). */
  shell(pty: PseudoTtyOptions): Promise<ClientChannel>;
  readonly connected: boolean;
}

/** A Session over a connected ssh2 Client. */
export class ClientSession implements Session {
  private sftpPromise: Promise<SFTPWrapper> | undefined;
  private closed = false;

  constructor(
    readonly host: string,
    readonly client: Client,
  ) {
    client.once('close', () => {
      this.closed = true;
      this.sftpPromise = undefined;
    });
  }

  get connected(): boolean {
    return !this.closed;
  }

  spawn(argv: readonly string[], opts: CommandLineOptions & { pty?: PseudoTtyOptions } = {}): Promise<ClientChannel> {
    const command = commandLineWith(argv, opts);
    return new Promise((resolve, reject) => {
      const cb = (err: Error | undefined, channel: ClientChannel) => (err ? reject(err) : resolve(channel));
      if (opts.pty) this.client.exec(command, { pty: opts.pty }, cb);
      else this.client.exec(command, cb);
    });
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const channel = await this.spawn(argv, opts);
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      const abort = () => {
        channel.signal('KILL');
        channel.close();
        reject(opts.signal?.reason ?? new Error('Command aborted'));
      };
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          channel.signal('KILL');
          channel.close();
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

  sftp(): Promise<SFTPWrapper> {
    if (!this.sftpPromise) {
      const p = this.openSftp();
      this.sftpPromise = p;
      p.then(
        (s) => s.once('close', () => this.sftpPromise === p && (this.sftpPromise = undefined)),
        () => this.sftpPromise === p && (this.sftpPromise = undefined),
      );
    }
    return this.sftpPromise;
  }

  openSftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
  }

  shell(pty: PseudoTtyOptions): Promise<ClientChannel> {
    return new Promise((resolve, reject) => this.client.shell(pty, (err, ch) => (err ? reject(err) : resolve(ch))));
  }
}
