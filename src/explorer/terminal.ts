import * as vscode from 'vscode';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { Logger } from '../core/log';
import { openLoginShell } from '../core/ssh/loginShell';
import type { ExplorerHosts } from './deps';

/**
 * A terminal over the host's cached SSH session: an interactive login shell on a pty, started
 * in `cwd` by the exec request (nothing is typed on the user's behalf), resized with the
 * terminal, and releasing its pool lease when closed.
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
      const pty = { term: 'xterm-256color', rows: this.dims?.rows ?? 24, cols: this.dims?.columns ?? 80, width: 0, height: 0 };
      const channel = await openLoginShell(lease.session, pty, this.cwd);
      if (this.closed) {
        channel.end();
        this.release();
        return;
      }
      this.channel = channel;
      const out = new StringDecoder('utf8');
      const err = new StringDecoder('utf8');
      channel.on('data', (d: Buffer) => this.writeEmitter.fire(out.write(d)));
      // Keystrokes typed while connecting are the user's own; they go through once the shell is up.
      for (const q of this.queued) channel.write(q);
      this.queued = [];
      channel.stderr.on('data', (d: Buffer) => this.writeEmitter.fire(err.write(d)));
      let exitCode = 0;
      channel.on('exit', (code: number | null) => {
        exitCode = code ?? 0;
        this.log.debug(`[terminal] ${this.host}: shell exited (${code})`);
      });
      channel.on('close', () => this.finish(exitCode));
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
    if (this.channel) this.channel.write(data);
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
