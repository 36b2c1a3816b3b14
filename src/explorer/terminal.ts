import * as vscode from 'vscode';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { Logger } from '../core/log';
import { quoteArg } from '../core/ssh/quote';
import type { ExplorerHosts } from './deps';

/**
 * A terminal over the host's cached SSH session: an interactive login shell on a pty, started
 * in `cwd` (a quoted `cd` is the first thing sent), resized with the terminal, and releasing
 * its pool lease when closed.
 */
export class RemoteShellPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private channel: ClientChannel | undefined;
  private lease: { release(): void } | undefined;
  private queued: string[] = [];
  private dims: vscode.TerminalDimensions | undefined;
  private closed = false;
  private failed = false;
  /** The initial cd was sent: input goes straight to the shell. */
  private ready = false;

  constructor(
    private readonly hosts: ExplorerHosts,
    private readonly host: string,
    private readonly cwd: string | undefined,
    private readonly log: Logger,
  ) {}

  open(initial: vscode.TerminalDimensions | undefined): void {
    this.dims = initial;
    void this.start();
  }

  private async start(): Promise<void> {
    try {
      this.writeEmitter.fire(`\x1b[2mConnecting to ${this.host}…\x1b[0m\r\n`);
      const lease = await this.hosts.acquire(this.host);
      if (this.closed) {
        lease.release();
        return;
      }
      this.lease = lease;
      const channel = await lease.session.shell({ term: 'xterm-256color', rows: this.dims?.rows ?? 24, cols: this.dims?.columns ?? 80, width: 0, height: 0 });
      if (this.closed) {
        channel.end();
        this.release();
        return;
      }
      this.channel = channel;
      const out = new StringDecoder('utf8');
      const err = new StringDecoder('utf8');
      // The cd goes first, quoted once, once the login output has settled (sent earlier, the tty
      // echoes it a second time before the prompt); a leading space keeps it out of most histories.
      let pending = true;
      let settle: NodeJS.Timeout | undefined;
      const sendCd = () => {
        if (!pending || this.channel !== channel) return;
        pending = false;
        clearTimeout(settle);
        clearTimeout(fallback);
        if (this.cwd) channel.write(` cd ${quoteArg(this.cwd)}\n`);
        for (const q of this.queued) channel.write(q);
        this.queued = [];
        this.ready = true;
      };
      const fallback = setTimeout(sendCd, 3000);
      channel.on('data', (d: Buffer) => {
        this.writeEmitter.fire(out.write(d));
        if (pending) {
          clearTimeout(settle);
          settle = setTimeout(sendCd, 200);
        }
      });
      channel.stderr.on('data', (d: Buffer) => this.writeEmitter.fire(err.write(d)));
      channel.on('exit', (code: number | null) => this.log.debug(`[terminal] ${this.host}: shell exited (${code})`));
      channel.on('close', () => {
        clearTimeout(settle);
        clearTimeout(fallback);
        this.finish(0);
      });
      if (this.dims) channel.setWindow(this.dims.rows, this.dims.columns, 0, 0);
    } catch (e) {
      this.failed = true;
      this.release();
      const text = e instanceof Error ? ((e as { userMessage?: string }).userMessage ?? e.message) : String(e);
      this.log.warn(`[terminal] ${this.host}: ${text}`);
      this.writeEmitter.fire(`\r\n\x1b[31mCannot open a shell on ${this.host}: ${text.split('\n')[0]}\x1b[0m\r\nPress any key to close.\r\n`);
    }
  }

  handleInput(data: string): void {
    if (this.failed) {
      this.finish(1);
      return;
    }
    if (this.channel && this.ready) this.channel.write(data);
    else this.queued.push(data);
  }

  setDimensions(d: vscode.TerminalDimensions): void {
    this.dims = d;
    this.channel?.setWindow(d.rows, d.columns, 0, 0);
  }

  close(): void {
    this.closed = true;
    this.channel?.end();
    this.channel = undefined;
    this.release();
  }

  private finish(code: number): void {
    if (!this.closed) {
      this.closed = true;
      this.closeEmitter.fire(code);
    }
    this.channel = undefined;
    this.release();
  }

  private release(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }
}

export function openRemoteTerminal(hosts: ExplorerHosts, host: string, cwd: string | undefined, log: Logger): vscode.Terminal {
  const name = cwd ? `${host}: ${posix.basename(cwd) || '/'}` : host;
  const terminal = vscode.window.createTerminal({ name, pty: new RemoteShellPty(hosts, host, cwd, log), iconPath: new vscode.ThemeIcon('remote') });
  terminal.show();
  return terminal;
}
