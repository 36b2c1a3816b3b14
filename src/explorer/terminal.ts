import * as vscode from 'vscode';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import { ShellTerminal } from '../core/ssh/shellTerminal';
import type { ExplorerHosts } from './deps';

/** Remote terminals still open, per host (Disconnect asks before closing them). */
const live = new Map<string, Set<RemoteShellPty>>();

/** How many Remote HPC terminals are open on the host. */
export function terminalsOn(host: string): number {
  return live.get(host)?.size ?? 0;
}

function forget(host: string, pty: RemoteShellPty): void {
  const set = live.get(host);
  set?.delete(pty);
  if (set?.size === 0) live.delete(host);
}

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

  constructor(
    hosts: ExplorerHosts,
    private readonly host: string,
    cwd: string | undefined,
    log: Logger,
  ) {
    this.shell = new ShellTerminal({
      label: host,
      cwd,
      acquire: () => hosts.acquire(host),
      log,
      output: (text) => this.writeEmitter.fire(text),
      closed: (code) => {
        forget(host, this);
        this.closeEmitter.fire(code);
      },
    });
    if (!live.has(host)) live.set(host, new Set());
    live.get(host)?.add(this);
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
    forget(this.host, this);
    this.shell.close();
  }
}

export function openRemoteTerminal(hosts: ExplorerHosts, host: string, cwd: string | undefined, log: Logger): vscode.Terminal {
  const name = cwd ? `${host}: ${posix.basename(cwd) || '/'}` : host;
  const terminal = vscode.window.createTerminal({ name, pty: new RemoteShellPty(hosts, host, cwd, log), iconPath: new vscode.ThemeIcon('remote') });
  terminal.show();
  return terminal;
}
