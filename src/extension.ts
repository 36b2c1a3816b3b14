/**
 * Remote HPC: builds the services, registers the features, and hands every disposable to
 * VS Code. Nothing here touches the network: sessions open when a feature or the user asks.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HostSchedulers } from './core/jobs/schedulers';
import { tagged } from './core/log';
import { PooledOpsProvider } from './core/remote/opsProvider';
import { openRemote } from './core/remote/openRemote';
import { registerExplorer } from './explorer';
import { registerHostCommands } from './hosts/commands';
import { HostService } from './hosts/hostService';
import { HostsTreeProvider } from './hosts/hostsTree';
import { createConnectionStatusBar } from './hosts/statusBar';
import { registerJobs } from './jobs';
import { forgetClusterDefaults, loadClusterDefaults } from './config/clusterDefaults';
import type { RemoteHpcApi } from './api';
import { poolOptions } from './jobs/pools';
import { registerPreviews } from './preview';
import { createLogger } from './util/logger';
import { schedulerChoice, setting } from './config/settings';

/** Returns the extension API (src/api.ts) other extensions get from `activate()`. */
export function activate(context: vscode.ExtensionContext): RemoteHpcApi {
  const channel = vscode.window.createOutputChannel('Remote HPC', { log: true });
  const log = createLogger(channel);
  const hosts = new HostService(log, context.secrets);
  const remote = new PooledOpsProvider({
    acquire: (host) => hosts.acquire(host),
    open: (session) => openRemote(session, log, { forceFallback: setting('forceSftpFallback') }),
    checkConnection: (host) => hosts.check(host),
    logger: log,
  });
  // One scheduler per host (the one its login node offers), shared by the Jobs view and the previews' batch jobs.
  const schedulers = new HostSchedulers(remote, tagged(log, 'scheduler'), { choice: schedulerChoice, pools: poolOptions(context), localUser: os.userInfo().username });
  const hostsTree = new HostsTreeProvider(hosts, schedulers);
  const jobs = registerJobs(context, { log, hosts, remote, schedulers });

  context.subscriptions.push(
    channel,
    hosts,
    remote,
    schedulers,
    hostsTree,
    // A session that closes takes its agent with it; the next request starts a new one.
    hosts.onStatus((alias, status) => status !== 'connected' && status !== 'connecting' && remote.drop(alias)),
    // Which scheduler a host runs is asked once it is connected (one command), for the Hosts view and the jobs.
    hosts.onStatus((alias, status) => status === 'connected' && void schedulers.detect(alias)),
    vscode.window.createTreeView('remoteHpc.hosts', { treeDataProvider: hostsTree, showCollapseAll: false }),
    createConnectionStatusBar(hosts),
    ...registerHostCommands(log, hosts, channel, context.secrets),
    ...registerExplorer(context, { log, hosts, remote }),
    ...registerPreviews(context, {
      log,
      getOps: (host) => remote.ops(host),
      hostStatus: (host) => hosts.status(host),
      onHostStatus: (listener) => hosts.onStatus(listener),
      schedulers,
      cacheDir: path.join(context.globalStorageUri.fsPath, 'previews'),
    }),
    // Job defaults kept on the cluster (~/.config/remote-hpc/settings.json) are read once connected.
    hosts.onStatus((alias, status) => (status === 'connected' ? void loadClusterDefaults(remote, log, alias) : status !== 'connecting' && forgetClusterDefaults(alias))),
    ...jobs.disposables,
  );
  log.info(`Remote HPC ${String((context.extension.packageJSON as { version?: string }).version)} activated`);
  return jobs.api;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
