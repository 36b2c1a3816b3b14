import * as vscode from 'vscode';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import { ShellTerminal } from '../core/ssh/shellTerminal';
import type { ExplorerHosts } from './deps';

/**
 * A terminal over the host's cached SSH session: the core ShellTerminal (a login shell on a pty,
 * started in `cwd` without typing into it) behind VS Code's Pseudoterminal.
 */
class RemoteShellPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly shell: ShellTerminal;

  constructor(hosts: ExplorerHosts, host: string, cwd: string | undefined, log: Logger) {
    this.shell = new ShellTerminal({
      label: host,
      cwd,
      acquire: () => hosts.acquire(host),
      log,
      output: (text) => this.writeEmitter.fire(text),
      closed: (code) => this.closeEmitter.fire(code),
    });
  }

  open(initial: vscode.TerminalDimensions | undefined): void {
    void this.shell.open(initial);
  }

  handleInput(data: string): void {
    this.shell.input(data);
  }

  setDimensions(d: vscode.TerminalDimensions): void {
    this.shell.resize(d);
  }

  close(): void {
    this.shell.close();
  }
}

export function openRemoteTerminal(hosts: ExplorerHosts, host: string, cwd: string | undefined, log: Logger): vscode.Terminal {
  const name = cwd ? `${host}: ${posix.basename(cwd) || '/'}` : host;
  const terminal = vscode.window.createTerminal({ name, pty: new RemoteShellPty(hosts, host, cwd, log), iconPath: new vscode.ThemeIcon('remote') });
  terminal.show();
  return terminal;
}
