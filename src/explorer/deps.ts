import type * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { RemoteOpsProvider } from '../core/remote/types';
import type { Session } from '../core/ssh/session';

/** What the explorer needs of the HostService (src/hosts/hostService.ts), structurally. */
export interface ExplorerHosts {
  list(): readonly { alias: string; status: string; error?: string }[];
  readonly onDidChange: vscode.Event<unknown>;
  connect(alias: string): Promise<unknown>;
  /** A lease on the host's pooled session (terminal, transfers); release it when done. */
  acquire(alias: string): Promise<{ session: Session; release(): void }>;
}

export interface ExplorerDeps {
  log: Logger;
  hosts: ExplorerHosts;
  remote: RemoteOpsProvider;
}
