/**
 * An interactive login shell on a pty over a pooled session, for a terminal view: started in a
 * folder by the exec request (loginShell.ts; nothing is typed on the user's behalf), resized with
 * the view, ending with the shell's exit code, its lease released.
 */
import { StringDecoder } from 'node:string_decoder';
import type { PtyOptions, RemoteChannel } from './channel';
import type { Logger } from '../log';
import { openLoginShell } from './loginShell';
import type { Session } from './session';

/** Remote-controlled or configured text shown in the terminal: control characters become `?`. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
}

export interface Dimensions {
  rows: number;
  columns: number;
}

export interface ShellTerminalOptions {
  /** The host as shown to the user. */
  label: string;
  /** Folder to start in; undefined = the login folder. */
  cwd?: string;
  /**
   * What runs on the pty instead of the login shell (a shell on a compute node); `cwd` is then
   * not used.
   */
  start?: (session: Session, pty: PtyOptions) => Promise<RemoteChannel>;
  /** A lease on the host's session, released when the terminal ends. */
  acquire(): Promise<{ session: Session; release(): void }>;
  log: Logger;
  /** Text for the terminal view. */
  output(text: string): void;
  /** The terminal ends, with the shell's exit code (1 after a failure to start). */
  closed(code: number): void;
}

/** Drives one remote shell for a terminal view (the VS Code Pseudoterminal is a thin adapter). */
export class ShellTerminal {
  private channel: RemoteChannel | undefined;
  private lease: { release(): void } | undefined;
  /** Input typed before the channel is open. */
  private queued: string[] = [];
  private dims: Dimensions | undefined;
  private ended = false;
  private failed = false;

  constructor(private readonly o: ShellTerminalOptions) {}

  async open(initial?: Dimensions): Promise<void> {
    this.dims = initial;
    const { label } = this.o;
    try {
      this.o.output(`\x1b[2mConnecting to ${printable(label)}…\x1b[0m\r\n`);
      const lease = await this.o.acquire();
      if (this.ended) return lease.release();
      this.lease = lease;
      const pty: PtyOptions = { term: 'xterm-256color', rows: this.dims?.rows ?? 24, cols: this.dims?.columns ?? 80, width: 0, height: 0 };
      const channel = await (this.o.start ? this.o.start(lease.session, pty) : openLoginShell(lease.session, pty, this.o.cwd));
      if (this.ended) {
        channel.close();
        return this.release();
      }
      this.channel = channel;
      this.wire(channel);
      if (this.dims) channel.setWindow(this.dims.rows, this.dims.columns, 0, 0);
      for (const q of this.queued) channel.write(q);
      this.queued = [];
    } catch (e) {
      this.failed = true;
      this.release();
      const text = e instanceof Error ? ((e as { userMessage?: string }).userMessage ?? e.message) : String(e);
      this.o.log.warn(`[terminal] ${label}: ${text}`);
      this.o.output(`\r\n\x1b[31mCannot open a shell on ${printable(label)}: ${printable(text.split('\n')[0])}\x1b[0m\r\nPress any key to close.\r\n`);
    }
  }

  private wire(channel: RemoteChannel): void {
    const out = new StringDecoder('utf8');
    const err = new StringDecoder('utf8');
    channel.on('data', (d: Buffer) => this.o.output(out.write(d)));
    channel.stderr.on('data', (d: Buffer) => this.o.output(err.write(d)));
    // 'close' carries the exit status ('exit' may fire before these listeners exist).
    channel.on('close', (code?: number | null, signal?: string) => {
      this.o.log.debug(`[terminal] ${this.o.label}: shell exited (${code ?? signal ?? 'no status'})`);
      // Killed by a signal: a nonzero code, as a shell would report.
      this.finish(code ?? (signal ? 128 : 0));
    });
  }

  input(data: string): void {
    if (this.failed) return this.finish(1);
    if (this.channel) this.channel.write(data);
    else if (!this.ended) this.queued.push(data);
  }

  resize(d: Dimensions): void {
    this.dims = d;
    this.channel?.setWindow(d.rows, d.columns, 0, 0);
  }

  /** The view closed the terminal: end the shell, release the lease. */
  close(): void {
    this.ended = true;
    // Closing the channel closes the pty: the shell gets SIGHUP, as when a local terminal closes.
    this.channel?.close();
    this.channel = undefined;
    this.release();
  }

  private finish(code: number): void {
    this.channel = undefined;
    this.release();
    if (!this.ended) {
      this.ended = true;
      this.o.closed(code);
    }
  }

  private release(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }
}
