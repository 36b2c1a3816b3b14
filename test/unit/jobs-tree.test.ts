/** The Jobs view's tree provider with the vscode fake, over the real JobsModel. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { JobsTreeProvider } from '../../src/jobs/tree';
import { JobsModel } from '../../src/core/jobs/model';
import { FakeClock, job, task } from '../support/jobs';

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
      ['job.pending', 'clock', 'pending (Priority) · 0:05 / 1:00:00 · debug · c1'],
      ['job.array.active', 'sync~spin', '2 tasks · 1 running · 1 pending'],
      ['job.running.task', 'sync~spin', 'running · 0:05 / 1:00:00 · debug · c1'],
      ['job.pending.task', 'clock', 'pending · 0:05 / 1:00:00 · debug · c1'],
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

test('elapsed ticks locally from the poll, every second while ticking, stops at the limit saying so; a stale list is greyed with its age', async () => {
  const clock = new FakeClock();
  const model = new JobsModel();
  model.setHosts(['h']);
  model.setActive('h', [job({ id: '1', elapsed: '0:50', timeLimit: '1:00' }), job({ id: '2', state: 'PENDING', elapsed: '0:00', timeLimit: '1:00' })], clock.now());
  model.setCycle('h', 10_000);
  const tree = new JobsTreeProvider(model, () => 0, { clock });
  const [host] = tree.getChildren();
  // The running job first, then the pending one (the view groups pending ones first).
  const rows = () => tree.getChildren(host).map((n) => tree.getTreeItem(n)).sort((a, b) => String(labelOf(a)).localeCompare(String(labelOf(b))));
  const drawn = () => rows().map((i) => `${i.description}|${iconOf(i)}|${(i.iconPath as vscode.ThemeIcon).color?.id ?? ''}`);
  assert.deepEqual(drawn(), ['running · 0:50 / 1:00 · debug · c1|sync~spin|charts.blue', 'pending · limit 1:00 · debug · c1|clock|charts.yellow']);
  let fired = 0;
  const redrawn: unknown[] = [];
  tree.onDidChangeTreeData((e) => {
    fired++;
    redrawn.push(e);
  });
  tree.setTicking(true);
  await clock.advance(3_000);
  assert.equal(fired, 3, 'one redraw a second while a job runs');
  // Only the running job's row: a host redraw rebuilds its rows, racing a context menu on one.
  const runningRow = tree.getChildren(host)[0];
  assert.deepEqual(redrawn, [[runningRow], [runningRow], [runningRow]]);
  assert.equal(rows()[0]?.description, 'running · 0:53 / 1:00 · debug · c1', 'elapsed = polled elapsed + time since the poll');
  await clock.advance(9_000);
  assert.equal(rows()[0]?.description, 'running · 1:00 / 1:00 (time limit reached) · debug · c1', 'never past the limit without saying so');
  assert.equal(tree.getTreeItem(host).description, '1 running · 1 pending', 'fresh: no age shown');

  // No answer for well over two cycles (30 s at least): greyed, with its age.
  await clock.advance(40_000);
  assert.match(String(tree.getTreeItem(host).description), /^1 running · 1 pending \(as of 52 s ago\)$/);
  assert.deepEqual(drawn().map((d) => d.split('|').slice(1).join('|')), ['sync|disabledForeground', 'clock|disabledForeground']);
  const tip = rows()[0]?.tooltip;
  assert.match(tip instanceof vscode.MarkdownString ? tip.value : '', /as of 52 s ago/);

  // A degraded host is stale at once; an answer makes it fresh again.
  model.setDegraded('h', 'connect failure');
  assert.match(String(tree.getTreeItem(host).description), /scheduler unreachable — retrying \(as of \d+ s ago\)/);
  model.setDegraded('h', undefined);
  model.setActive('h', [job({ id: '1', elapsed: '0:58', timeLimit: '1:00' }), job({ id: '2', state: 'PENDING', elapsed: '0:00', timeLimit: '1:00' })], clock.now());
  assert.equal(tree.getTreeItem(host).description, '1 running · 1 pending');
  assert.deepEqual(drawn()[0], 'running · 0:58 / 1:00 · debug · c1|sync~spin|charts.blue');

  // Hidden: no ticking.
  tree.setTicking(false);
  fired = 0;
  await clock.advance(5_000);
  assert.equal(fired, 0, 'nothing redraws while the view is hidden');
  tree.dispose();
  model.dispose();
});

test('a poll that only moves times or states redraws the rows; new or reordered rows redraw the host', () => {
  const model = new JobsModel();
  model.setHosts(['h']);
  model.setActive('h', [job({ id: '1', elapsed: '0:10' }), job({ id: '2', state: 'PENDING' })]);
  const tree = new JobsTreeProvider(model, () => 1);
  const [host] = tree.getChildren();
  const redrawn: unknown[] = [];
  tree.onDidChangeTreeData((e) => redrawn.push(e));
  const ids = (e: unknown) => (Array.isArray(e) ? e.map((n: { id: string }) => n.id.split('\0').pop()) : e === host ? 'host' : e);

  model.setActive('h', [job({ id: '1', elapsed: '0:20' }), job({ id: '2', state: 'PENDING' })]);
  assert.deepEqual(redrawn.map(ids), ['host'], 'the first change after a full draw redraws the host (its shape was not known)');
  model.setActive('h', [job({ id: '1', elapsed: '0:30' }), job({ id: '2', state: 'PENDING' })]);
  model.setActive('h', [job({ id: '1', elapsed: '0:40' }), job({ id: '2', state: 'PENDING', reason: 'Priority' })]);
  assert.deepEqual(redrawn.slice(1).map(ids), [['1', '2'], ['1', '2']], 'same rows in the same order: only the rows');
  model.setActive('h', [job({ id: '1', elapsed: '0:50' }), job({ id: '2', state: 'PENDING' }), job({ id: '3', state: 'PENDING' })]);
  assert.equal(ids(redrawn.at(-1)), 'host', 'a new job redraws the host');
  model.setActive('h', [job({ id: '1', elapsed: '0:50' }), job({ id: '2', state: 'RUNNING' }), job({ id: '3', state: 'PENDING' })]);
  assert.equal(ids(redrawn.at(-1)), 'host', 'a state that changes the host summary redraws it');
  tree.dispose();
  model.dispose();
});

test("a pool host's line follows its slots as a row: the pool host is not redrawn (a context menu on a job row in that moment keeps its row)", () => {
  const model = new JobsModel();
  model.setHosts(['pool:lab']);
  model.setActive('pool:lab', [job({ id: 'p1.1', name: 'fit #1' })]);
  let views = [{ host: 'ws1', state: 'busy' as const, slots: [{ state: 'busy' as const, job: 'p1.1' }, { state: 'free' as const }] }];
  let poolChanged = () => undefined as void;
  const pools = { hostViews: () => views, onDidChange: (l: () => void) => ((poolChanged = l), { dispose: () => undefined }) };
  const tree = new JobsTreeProvider(model, () => 1, { pools });
  const [host] = tree.getChildren();
  const line = () => tree.getChildren(host).find((n) => n.kind === 'info')!;
  assert.match(String(labelOf(tree.getTreeItem(line()))), /^ws1 — busy · slots: busy/);
  const redrawn: unknown[] = [];
  tree.onDidChangeTreeData((e) => redrawn.push(e));
  poolChanged(); // the first redraw draws the host
  redrawn.length = 0;
  views = [{ host: 'ws1', state: 'free', slots: [{ state: 'free' }, { state: 'free' }] }] as never;
  poolChanged();
  assert.equal(redrawn.length, 1);
  const fired = redrawn[0] as { kind: string; id: string }[];
  assert.ok(Array.isArray(fired) && fired.every((n) => n.kind !== 'host'), 'rows, not the host');
  assert.deepEqual(fired.map((n) => n.kind).sort(), ['info', 'job']);
  assert.match(String(labelOf(tree.getTreeItem(line()))), /^ws1 — free · slots: free/);
  tree.dispose();
  model.dispose();
});
