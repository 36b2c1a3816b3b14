/** The Jobs view's tree provider with the vscode fake, over the real JobsModel. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { JobsTreeProvider } from '../../src/jobs/tree';
import { JobsModel } from '../../src/core/jobs/model';
import { job, task } from '../support/jobs';

const HOSTILE = `it's $(touch pwned) \`id\` [x](command:evil) ✓`;
const labelOf = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : item.label?.label);
const iconOf = (item: vscode.TreeItem) => (item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined);

test('jobs tree: host → array with its tasks, a hostile-named job, Recent; items per state', () => {
  const model = new JobsModel();
  model.setHosts(['h']);
  model.setActive('h', [job({ id: '7', name: HOSTILE, state: 'PENDING', reason: 'Priority' }), task('9', '0'), task('9', '1', { state: 'PENDING' })]);
  const tree = new JobsTreeProvider(model, () => 3);
  let fired = 0;
  tree.onDidChangeTreeData(() => fired++);
  const [host] = tree.getChildren();
  assert.equal(labelOf(tree.getTreeItem(host)), 'h');
  const children = tree.getChildren(host);
  assert.deepEqual(children.map((n) => n.kind).sort(), ['array', 'job', 'recent']);
  const single = children.find((n) => n.kind === 'job')!;
  const item = tree.getTreeItem(single);
  assert.ok(labelOf(item)?.includes(HOSTILE), `label ${labelOf(item)}`);
  const tip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip);
  assert.ok(!tip.includes('[x](command:evil)'), `the name is escaped in the tooltip: ${tip}`);
  const array = children.find((n) => n.kind === 'array')!;
  assert.equal(tree.getTreeItem(array).collapsibleState !== vscode.TreeItemCollapsibleState.None, true);
  const tasks = tree.getChildren(array).map((n) => tree.getTreeItem(n));
  assert.equal(tasks.length, 2);
  assert.deepEqual(
    [item, tree.getTreeItem(array), ...tasks].map((i) => [i.contextValue, iconOf(i), i.description]),
    [
      ['job.pending', 'clock', 'PENDING (Priority) · debug · 0:05 / 1:00:00 · c1'],
      ['job.array.active', 'sync~spin', '2 tasks · 1 running · 1 pending'],
      ['job.running.task', 'sync~spin', 'RUNNING · debug · 0:05 / 1:00:00 · c1'],
      ['job.pending.task', 'clock', 'PENDING · debug · 0:05 / 1:00:00 · c1'],
    ],
  );
  assert.equal(tree.findJob('h', '9_1')?.kind, 'job');
  const recent = children.find((n) => n.kind === 'recent')!;
  assert.equal(tree.getTreeItem(recent).contextValue, 'jobsRecent');
  model.setActive('h', [job({ id: '8', name: 'next' })]);
  assert.ok(fired >= 1, 'a model change redraws the view');
  tree.dispose();
  model.dispose();
});
