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
  private opened = false;
  private ended = false;
  /** Output while the view is closed and the user is asked whether to end it. */
  private held: string[] | undefined;

  constructor(
    hosts: Pick<ExplorerHosts, 'acquire'>,
    private readonly host: string,
    start: Pick<ShellTerminalOptions, 'cwd' | 'start' | 'label'>,
    log: Logger,
    private readonly hooks: TerminalHooks = {},
  ) {
    this.shell = new ShellTerminal({
      ...start,
      acquire: () => hosts.acquire(host),
      log,
      output: (text) => {
        this.emit(text);
        this.hooks.tap?.(text, (line) => this.emit(`\x1b[2m${line}\x1b[0m\r\n`));
      },
      closed: (code) => {
        this.ended = true;
        forget(host, this);
        this.closeEmitter.fire(code);
      },
    });
    if (!live.has(host)) live.set(host, new Set());
    live.get(host)?.add(this);
  }

  private emit(text: string): void {
    if (this.held) this.held.push(text);
    else this.writeEmitter.fire(text);
  }

  open(initial: vscode.TerminalDimensions | undefined): void {
    if (this.opened) {
      // Shown again in a new view after the user chose to keep it running.
      const held = this.held ?? [];
      this.held = undefined;
      for (const t of held) this.writeEmitter.fire(t);
      if (initial) this.shell.resize(initial);
      return;
    }
    this.opened = true;
    void this.shell.open(initial);
  }

  handleInput(data: string): void {
    this.shell.input(data);
  }

  setDimensions(d: vscode.TerminalDimensions): void {
    this.shell.resize(d);
  }

  close(): void {
    const confirm = this.hooks.confirmClose;
    if (!confirm || this.ended) return this.end();
    this.held = [];
    void confirm().then(
      (end) => (end || this.ended ? this.end() : this.hooks.reopen?.(this)),
      () => this.end(),
    );
  }

  private end(): void {
    this.ended = true;
    this.held = undefined;
    forget(this.host, this);
    this.shell.close();
  }
}

/** What a terminal running something that outlives a careless close (an allocation) adds. */
export interface TerminalHooks {
  /** Sees the output as it is shown; `note` writes a dim line of the extension's own. */
  tap?(text: string, note: (line: string) => void): void;
  /** The view was closed while the remote side runs: true ends it, false keeps it (see reopen). */
  confirmClose?(): Promise<boolean>;
  /** Shows the kept terminal again in a new view. */
  reopen?(pty: vscode.Pseudoterminal): void;
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
  hooks?: Omit<TerminalHooks, 'reopen'>,
): vscode.Terminal {
  const { name, icon, ...start } = o;
  const show = (pty: vscode.Pseudoterminal): vscode.Terminal => {
    const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon(icon ?? 'remote') });
    terminal.show();
    return terminal;
  };
  return show(new RemoteShellPty(hosts, host, start, log, { ...hooks, reopen: show }));
}
