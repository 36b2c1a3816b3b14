import * as vscode from 'vscode';
import type { HostService, HostState } from './hostService';
import type { DetectedScheduler } from '../core/scheduler/detect';

/** What the view needs to know of the hosts' schedulers. */
export interface SchedulerLabels {
  knownScheduler(host: string): DetectedScheduler | undefined;
  onDetected(listener: (host: string) => void): { dispose(): void };
}

const SCHEDULER_NAMES: Record<DetectedScheduler['kind'], string> = {
  slurm: 'SLURM',
  pbs: 'PBS',
  torque: 'Torque',
  gridengine: 'Grid Engine',
  none: 'no scheduler',
};

/** `SLURM 22.05.8`, `PBS 2022.1`, `no scheduler`. */
function schedulerLabel(d: DetectedScheduler): string {
  return `${SCHEDULER_NAMES[d.kind]}${d.version ? ` ${d.version}` : ''}`;
}

const ICONS: Record<HostState['status'], vscode.ThemeIcon> = {
  connected: new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('testing.iconPassed')),
  connecting: new vscode.ThemeIcon('loading~spin'),
  reconnecting: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('list.warningForeground')),
  disconnected: new vscode.ThemeIcon('vm-outline'),
  failed: new vscode.ThemeIcon('vm', new vscode.ThemeColor('testing.iconFailed')),
};

const DESCRIPTIONS: Record<HostState['status'], string> = {
  connected: ' — connected',
  connecting: '',
  reconnecting: ' — connection lost, reconnecting…',
  disconnected: '',
  failed: ' — failed',
};

/** The Hosts view: reads the HostService model, never connects by itself. */
export class HostsTreeProvider implements vscode.TreeDataProvider<HostState>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HostState | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: { dispose(): void }[];

  constructor(
    private readonly hosts: HostService,
    private readonly schedulers?: SchedulerLabels,
  ) {
    this.subscriptions = [hosts.onDidChange(() => this.changed.fire(undefined)), ...(schedulers ? [schedulers.onDetected(() => this.changed.fire(undefined))] : [])];
  }

  getChildren(element?: HostState): HostState[] {
    return element ? [] : this.hosts.list();
  }

  getTreeItem(h: HostState): vscode.TreeItem {
    const item = new vscode.TreeItem(h.alias, vscode.TreeItemCollapsibleState.None);
    item.id = `host:${h.alias}`;
    const target = `${h.config.user ? `${h.config.user}@` : ''}${h.config.hostName}${h.config.port !== 22 ? `:${h.config.port}` : ''}`;
    const sched = h.status === 'connected' ? this.schedulers?.knownScheduler(h.alias) : undefined;
    item.description = `${target}${sched ? ` · ${schedulerLabel(sched)}` : ''}${DESCRIPTIONS[h.status]}${h.transport?.kind === 'openssh' ? ' · OpenSSH' : ''}`;
    item.iconPath = ICONS[h.status];
    item.contextValue = `host.${h.status}`;
    const tip = new vscode.MarkdownString(undefined, true);
    // Aliases, names and sources come from config files: text, never markdown.
    tip.appendMarkdown('**');
    tip.appendText(h.alias);
    tip.appendMarkdown(`** — ${h.status}\n\n`);
    tip.appendText(target);
    if (h.config.proxyJump.length) {
      tip.appendMarkdown('\n\nvia ');
      tip.appendText(h.config.proxyJump.join(' → '));
    }
    if (h.transport) {
      tip.appendMarkdown(`\n\n$(plug) ${h.transport.kind === 'openssh' ? 'OpenSSH' : 'built-in SSH (ssh2)'}: `);
      tip.appendText(h.transport.reason);
    }
    if (sched) {
      tip.appendMarkdown('\n\n$(server-process) ');
      tip.appendText(`${schedulerLabel(sched)}: ${sched.evidence}`);
    }
    if (h.error) {
      tip.appendMarkdown(`\n\n$(${h.status === 'reconnecting' ? 'warning' : 'error'}) `);
      tip.appendText(h.error); // the server's words
    }
    tip.appendMarkdown('\n\nfrom ');
    tip.appendText(h.source);
    item.tooltip = tip;
    if (h.status === 'disconnected' || h.status === 'failed') {
      item.command = { command: 'remoteHpc.connect', title: 'Connect', arguments: [h] };
    }
    return item;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
