/**
 * A preview's remote work starts only once its host is connected. VS Code brings preview tabs
 * back after a reload, and a tab coming back must not open a connection (or ask for a password
 * or a one-time code) by itself: until the host is connected the webview shows "Connect to
 * <host>" with a button; the work starts when the host connects, from that button or anywhere.
 */
import * as vscode from 'vscode';
import type { HostStatus } from '../core/ssh/pool';
import type { OfflineInfo } from '../shared/protocol';
import type { PreviewDeps } from './services';

export class ConnectionGate implements vscode.Disposable {
  private sub: vscode.Disposable | undefined;
  private started = false;
  /** What the webview shows while waiting; undefined once the work started. */
  offline: OfflineInfo | undefined;

  constructor(
    deps: Pick<PreviewDeps, 'hostStatus' | 'onHostStatus'>,
    private readonly host: string,
    private readonly on: { offline(info: OfflineInfo): void; start(): void },
  ) {
    this.update(deps.hostStatus(host));
    if (!this.started) this.sub = deps.onHostStatus((h, status) => h === host && this.update(status));
  }

  private update(status: HostStatus): void {
    if (this.started) return;
    if (status === 'connected') {
      this.started = true;
      this.offline = undefined;
      this.sub?.dispose();
      this.on.start();
      return;
    }
    this.offline = { host: this.host, connecting: status === 'connecting' || status === 'reconnecting' };
    this.on.offline(this.offline);
  }

  /** The webview's Connect button: the usual Connect command (progress, prompts, errors). */
  async connect(): Promise<void> {
    await vscode.commands.executeCommand('remoteHpc.connect', this.host);
  }

  dispose(): void {
    this.sub?.dispose();
  }
}
