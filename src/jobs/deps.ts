import type * as vscode from 'vscode';
import type { HostSchedulers } from '../core/jobs/schedulers';
import type { Logger } from '../core/log';
import type { RemoteOpsProvider } from '../core/remote/types';

/** What the jobs feature needs of the HostService (src/hosts/hostService.ts), structurally. */
export interface JobsHosts {
  list(): readonly { alias: string; status: string }[];
  readonly onDidChange: vscode.Event<unknown>;
}

export interface JobsDeps {
  log: Logger;
  hosts: JobsHosts;
  remote: RemoteOpsProvider;
  schedulers: HostSchedulers;
}
