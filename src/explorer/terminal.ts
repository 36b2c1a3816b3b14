import * as vscode from 'vscode';
import { posix } from 'node:path';
import type { Logger } from '../core/log';
import { ShellTerminal, type ShellTerminalOptions } from '../core/ssh/shellTerminal';
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
    hosts: Pick<ExplorerHosts, 'acquire'>,
    private readonly host: string,
    start: Pick<ShellTerminalOptions, 'cwd' | 'start' | 'label'>,
    log: Logger,
  ) {
    this.shell = new ShellTerminal({
      ...start,
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

export function openRemoteTerminal(hosts: Pick<ExplorerHosts, 'acquire'>, host: string, cwd: string | undefined, log: Logger): vscode.Terminal {
  const name = cwd ? `${host}: ${posix.basename(cwd) || '/'}` : host;
  return openTerminal(hosts, host, { name, label: host, ...(cwd !== undefined ? { cwd } : {}) }, log);
}

/**
 * A terminal over the host's cached session running what `o.start` starts on the pty (a shell on
 * a job's compute node); it counts among the host's open terminals (Disconnect asks first).
 */
export function openTerminal(
  hosts: Pick<ExplorerHosts, 'acquire'>,
  host: string,
  o: Pick<ShellTerminalOptions, 'cwd' | 'start' | 'label'> & { name: string; icon?: string },
  log: Logger,
): vscode.Terminal {
  const { name, icon, ...start } = o;
  const terminal = vscode.window.createTerminal({ name, pty: new RemoteShellPty(hosts, host, start, log), iconPath: new vscode.ThemeIcon(icon ?? 'remote') });
  terminal.show();
  return terminal;
}
