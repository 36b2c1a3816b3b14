import type * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { RemoteOpsProvider } from '../core/remote/types';
import type { JobsController } from '../core/jobs/controller';
import type { JobsHosts } from './deps';
import type { JobDocuments } from './documents';
import type { JobsModel } from '../core/jobs/model';
import type { OutputTails } from './outputTail';
import type { JobRecords } from '../core/jobs/records';
import type { HostSchedulers } from '../core/jobs/schedulers';
import type { PortForwards } from '../core/compute/portForwards';
import type { PartitionCache } from '../core/jobs/partitions';
import type { SubmitLog } from '../core/jobs/resubmit';
import type { JobsNode, JobsTreeProvider } from './tree';

/** Everything the jobs commands share, built once by registerJobs. */
export interface JobsContext {
  log: Logger;
  hosts: JobsHosts;
  remote: RemoteOpsProvider;
  schedulers: HostSchedulers;
  model: JobsModel;
  controller: JobsController;
  tree: JobsTreeProvider;
  view: vscode.TreeView<JobsNode>;
  documents: JobDocuments;
  tails: OutputTails;
  records: JobRecords;
  /** Ports forwarded from jobs' nodes (shown under their jobs). */
  forwards: PortForwards;
  /** Each host's partitions (sinfo), for the submit pickers. */
  partitions: PartitionCache;
  /** The specs our own submits sent (Resubmit, Clone and Edit). */
  submitted: SubmitLog;
  extensionUri: vscode.Uri;
  /** Global state (last folders, per-file hosts). */
  state: vscode.Memento;
}

/** Connected host aliases. */
export function connectedHosts(ctx: Pick<JobsContext, 'hosts'>): string[] {
  return ctx.hosts
    .list()
    .filter((h) => h.status === 'connected')
    .map((h) => h.alias);
}
