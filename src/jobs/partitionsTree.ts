/**
 * The Partitions view (in the Remote HPC container, beside Jobs): connected hosts → their
 * partitions from sinfo, the default one marked. Reads a PartitionsModel; sinfo runs only while
 * the view is visible and on Refresh (the pickers share the same cached answer).
 */
import * as vscode from 'vscode';
import type { Partition } from '../core/scheduler/types';
import { escapeMarkdown, durationText } from '../core/jobs/format';
import { partitionDescription, type PartitionsModel } from '../core/jobs/partitions';
import { connectedHosts, type JobsContext } from './context';

export type PartitionsNode = { kind: 'host'; host: string } | { kind: 'partition'; host: string; partition: Partition } | { kind: 'info'; host: string; message: string; icon: string; tooltip?: string };

export class PartitionsTreeProvider implements vscode.TreeDataProvider<PartitionsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PartitionsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly hostNodes = new Map<string, PartitionsNode>();
  private readonly sub: { dispose(): void };

  constructor(private readonly model: PartitionsModel) {
    this.sub = model.onDidChange((host) => this.changed.fire(host === undefined ? undefined : this.hostNodes.get(host)));
  }

  getChildren(n?: PartitionsNode): PartitionsNode[] {
    if (!n) {
      return this.model.hosts().map((host) => {
        let node = this.hostNodes.get(host);
        if (!node) this.hostNodes.set(host, (node = { kind: 'host', host }));
        return node;
      });
    }
    if (n.kind !== 'host') return [];
    const s = this.model.get(n.host);
    if (!s || (s.loading && !s.partitions)) return [{ kind: 'info', host: n.host, message: 'Loading partitions…', icon: 'loading~spin' }];
    if (s.error) return [{ kind: 'info', host: n.host, message: 'Partitions unavailable', icon: 'warning', tooltip: s.error }];
    if (!s.partitions?.length) return [{ kind: 'info', host: n.host, message: 'No partitions listed (this scheduler does not tell)', icon: 'info' }];
    return s.partitions.map((partition) => ({ kind: 'partition', host: n.host, partition }));
  }

  getTreeItem(n: PartitionsNode): vscode.TreeItem {
    if (n.kind === 'host') {
      const item = new vscode.TreeItem(n.host, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `partitions\0${n.host}`;
      item.iconPath = new vscode.ThemeIcon('server');
      const s = this.model.get(n.host);
      item.description = s?.partitions ? `${s.partitions.length} partition${s.partitions.length === 1 ? '' : 's'}${s.loading ? ' · refreshing…' : ''}` : '';
      item.contextValue = 'partitionsHost';
      return item;
    }
    if (n.kind === 'info') {
      const item = new vscode.TreeItem(n.message, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon(n.icon);
      if (n.tooltip) item.tooltip = n.tooltip;
      item.contextValue = 'partitionsInfo';
      return item;
    }
    const p = n.partition;
    const item = new vscode.TreeItem(p.isDefault ? `${p.name} (default)` : p.name, vscode.TreeItemCollapsibleState.None);
    item.id = `partitions\0${n.host}\0${p.name}`;
    item.iconPath = p.up ? new vscode.ThemeIcon(p.isDefault ? 'star-full' : 'server-process') : new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    item.description = partitionDescription(p);
    item.contextValue = 'partition';
    item.tooltip = new vscode.MarkdownString(partitionTooltip(n.host, p), true);
    item.accessibilityInformation = { label: `Partition ${p.name}${p.isDefault ? ', default' : ''}, ${partitionDescription(p)}` };
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

function partitionTooltip(host: string, p: Partition): string {
  const range = (xs: number[], unit: string) => (xs.length ? `${xs.join(', ')}${unit ? ` ${unit}` : ''}` : '—');
  return [
    `$(server-process) **${escapeMarkdown(p.name)}**${p.isDefault ? ' (default)' : ''} on ${escapeMarkdown(host)}`,
    '',
    `**State:** ${escapeMarkdown(p.availability)}`,
    `**Nodes:** ${p.nodes.idle} idle, ${p.nodes.allocated} allocated, ${p.nodes.other} other, ${p.nodes.total} total`,
    `**Time limit:** ${escapeMarkdown(p.timeLimit ? durationText(p.timeLimit) : '—')}`,
    `**CPUs per node:** ${range(p.cpusPerNode, '')}`,
    `**Memory per node:** ${range(p.memoryMbPerNode, 'MB')}`,
    `**GRES:** ${escapeMarkdown(p.gres.join(', ') || 'none')}`,
  ].join('  \n');
}

/** Creates the view; the model follows the connected hosts and the view's visibility. */
export function registerPartitionsView(ctx: JobsContext, model: PartitionsModel): vscode.Disposable[] {
  const tree = new PartitionsTreeProvider(model);
  const view = vscode.window.createTreeView<PartitionsNode>('remoteHpc.partitions', { treeDataProvider: tree, showCollapseAll: true });
  const sync = () => model.setHosts(connectedHosts(ctx).filter((h) => !h.startsWith('pool:')));
  sync();
  model.setVisible(view.visible);
  return [tree, view, model, view.onDidChangeVisibility((e) => model.setVisible(e.visible)), ctx.hosts.onDidChange(sync)];
}
