import type * as vscode from 'vscode';
import type { HostSchedulers } from '../core/jobs/schedulers';
import type { Logger } from '../core/log';
import type { RemoteOpsProvider } from '../core/remote/types';
import type { Session } from '../core/ssh/session';

/** What the jobs feature needs of the HostService (src/hosts/hostService.ts), structurally. */
export interface JobsHosts {
  list(): readonly { alias: string; status: string }[];
  readonly onDidChange: vscode.Event<unknown>;
  /** A lease on the host's pooled session (terminals on nodes, port forwards); release it when done. */
  acquire(alias: string): Promise<{ session: Session; release(): void }>;
}

export interface JobsDeps {
  log: Logger;
  hosts: JobsHosts;
  remote: RemoteOpsProvider;
  schedulers: HostSchedulers;
}
