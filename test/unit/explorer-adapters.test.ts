/**
 * The Remote Explorer's VS Code adapters with the vscode fake, over the real hpc: file system
 * provider and LocalOps: the model never connects by itself; tree items of hostile names carry
 * the right labels, URIs, context values, icons and commands; the Hosts view's items.
 */
import '../support/vscode/register';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { setSetting } from '../support/vscode/fake';
import { ExplorerModel } from '../../src/explorer/model';
import { ExplorerTreeProvider, type ExplorerNode } from '../../src/explorer/tree';
import { FilterStore } from '../../src/explorer/filterStore';
import { HpcFileSystemProvider } from '../../src/fs/hpcFileSystem';
import { HostsTreeProvider } from '../../src/hosts/hostsTree';
import type { HostService, HostState } from '../../src/hosts/hostService';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps, RemoteOpsProvider } from '../../src/core/remote/types';
import { LocalOps } from '../support/localOps';
import { waitUntil } from '../support/wait';

const HOSTILE = `it's $(touch pwned) \`id\` [x](command:evil) ✓`;
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rhpc-explorer-'));
  mkdirSync(join(dir, `${HOSTILE} dir`));
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, `${HOSTILE}.sh`), '#!/bin/sh\n');
  writeFileSync(join(dir, 'run.job.json'), '{}');
  writeFileSync(join(dir, 'plot.png'), '');
  symlinkSync(join(dir, 'empty'), join(dir, 'link to empty'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  setSetting('remoteHpc.roots', { '*': [dir] });
});
after(() => {
  setSetting('remoteHpc.roots', undefined);
  rmSync(dir, { recursive: true, force: true });
});

function setup(status: 'connected' | 'disconnected') {
  const hostsChanged = new vscode.EventEmitter<unknown>();
  const state = { status, asked: 0 };
  const hosts = {
    list: () => [{ alias: 'h', status: state.status }],
    onDidChange: hostsChanged.event,
    connect: async () => assert.fail('the explorer must not connect'),
    acquire: async () => assert.fail('the explorer must not take a session'),
  };
  const ops = new LocalOps();
  const invalidate = new vscode.EventEmitter<string>();
  const remote: RemoteOpsProvider = {
    ops: async () => {
      state.asked++;
      return ops as RemoteOps;
    },
    onDidInvalidate: invalidate.event,
  };
  const fs = new HpcFileSystemProvider(remote, silentLogger, () => state.status === 'connected');
  const filters = new FilterStore(silentLogger);
  const model = new ExplorerModel(hosts, remote, filters, fs, silentLogger);
  const tree = new ExplorerTreeProvider(model);
  const dispose = () => [tree, model, filters, fs].forEach((d) => d.dispose());
  return { state, hostsChanged, model, tree, dispose };
}

const labelOf = (item: vscode.TreeItem) => (typeof item.label === 'string' ? item.label : item.label?.label);
const iconOf = (item: vscode.TreeItem) => (item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined);

test('a disconnected host is not shown and nothing connects', async () => {
  const { state, model, tree, dispose } = setup('disconnected');
  assert.deepEqual(await tree.getChildren(), []);
  const roots = await model.rootsOf('h');
  assert.ok(roots.error, 'roots of a host that is not connected fail');
  assert.equal(state.asked, 0, 'no ops() call: no connection opened');
  dispose();
});

test('hostile names: labels, hpc: URIs, context values, icons and commands of the tree items', async () => {
  const { tree, dispose } = setup('connected');
  const [host] = await tree.getChildren();
  const hostItem = tree.getTreeItem(host);
  assert.equal(labelOf(hostItem), 'h');
  assert.equal(hostItem.contextValue, 'host');
  const [root] = await tree.getChildren(host);
  assert.equal(root.kind, 'entry');
  const rootItem = tree.getTreeItem(root);
  assert.equal(rootItem.resourceUri?.path, dir);
  assert.equal(rootItem.contextValue, 'folder');
  const children = await tree.getChildren(root);
  const byLabel = new Map<string, { node: ExplorerNode; item: vscode.TreeItem }>();
  for (const node of children) {
    const item = tree.getTreeItem(node);
    byLabel.set(labelOf(item) ?? '', { node, item });
  }
  assert.deepEqual([...byLabel.keys()].sort(), [`${HOSTILE} dir`, `${HOSTILE}.sh`, 'dangling', 'empty', 'link to empty', 'plot.png', 'run.job.json'].sort());
  const script = byLabel.get(`${HOSTILE}.sh`)!.item;
  assert.equal(script.resourceUri?.toString(), vscode.Uri.from({ scheme: 'hpc', authority: 'h', path: join(dir, `${HOSTILE}.sh`) }).toString());
  assert.equal(script.resourceUri?.path, join(dir, `${HOSTILE}.sh`), 'the name survives the URI unchanged');
  assert.equal(script.contextValue, 'file.script');
  assert.equal(iconOf(script), 'file');
  assert.equal(script.command?.command, 'remoteHpc.explorer.open');
  assert.equal(script.collapsibleState, vscode.TreeItemCollapsibleState.None);
  assert.equal(byLabel.get('run.job.json')!.item.contextValue, 'file.jobFile');
  assert.equal(byLabel.get('plot.png')!.item.contextValue, 'image');
  const folder = byLabel.get(`${HOSTILE} dir`)!.item;
  assert.equal(folder.contextValue, 'folder');
  assert.equal(iconOf(folder), 'folder');
  assert.equal(folder.command, undefined, 'folders expand, they do not open');
  assert.equal(folder.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
  const dangling = byLabel.get('dangling')!.item;
  assert.equal(iconOf(dangling), 'file-symlink-file');
  assert.equal(dangling.description, `→ ${join(dir, 'nowhere')} (broken)`, 'drawn with its target: the page waited for readlink');
  assert.equal(dangling.command?.command, 'remoteHpc.explorer.open', 'a click on a broken link says why it cannot be opened');
  const link = byLabel.get('link to empty')!;
  assert.equal(link.item.contextValue, 'folder', 'a link to a folder is a folder');
  await waitUntil('the link target read with readlink', () => tree.getTreeItem(link.node).description === `→ ${join(dir, 'empty')}`, 5000);
  const [emptyInfo] = await tree.getChildren(byLabel.get('empty')!.node);
  const info = tree.getTreeItem(emptyInfo);
  assert.equal(labelOf(info), 'Empty folder');
  assert.equal(info.contextValue, 'info');
  const tip = tree.resolveTreeItem(script, byLabel.get(`${HOSTILE}.sh`)!.node).tooltip as vscode.MarkdownString;
  assert.ok(!tip.value.includes('[x](command:evil)'), `the name is escaped in the tooltip: ${tip.value}`);
  dispose();
});

test('a host whose connection is lost stays in the view, says so, and is fetched again when back; a disconnect removes it', async () => {
  const { state, hostsChanged, model, tree, dispose } = setup('connected');
  const status = state as { status: string };
  const [host] = await tree.getChildren();
  const [root] = await tree.getChildren(host);
  await tree.getChildren(root);
  const asked = state.asked;
  status.status = 'reconnecting';
  hostsChanged.fire(undefined);
  assert.deepEqual((await tree.getChildren()).map((n) => n.id), [host.id], 'still shown while reconnecting');
  assert.equal(tree.getTreeItem(host).description, 'connection lost — reconnecting…');
  assert.equal(iconOf(tree.getTreeItem(host)), 'sync~spin');
  status.status = 'failed';
  hostsChanged.fire(undefined);
  assert.deepEqual((await tree.getChildren()).map((n) => n.id), [host.id], 'a failed reconnect is shown, not dropped');
  assert.match(String(tree.getTreeItem(host).description), /connection lost — use Connect/);
  status.status = 'connected';
  hostsChanged.fire(undefined);
  assert.equal(tree.getTreeItem(host).description, undefined);
  const [again] = await tree.getChildren(host);
  assert.equal(again.id, root.id, 'same ids: the tree keeps what was expanded');
  await tree.getChildren(again);
  assert.ok(state.asked > asked, 'listings fetched again after the reconnect');
  status.status = 'disconnected';
  hostsChanged.fire(undefined);
  assert.deepEqual(await tree.getChildren(), [], 'a disconnect removes it');
  assert.deepEqual(model.hostAliases(), []);
  dispose();
});

test('Hosts view items: status in context value and icon, Connect only when not connected', () => {
  const changed = new vscode.EventEmitter<void>();
  const states: HostState[] = (['connected', 'connecting', 'disconnected', 'failed'] as const).map((status) => ({
    alias: `${HOSTILE} ${status}`,
    status,
    source: 'ssh config',
    config: { hostName: 'login.example', user: 'me', port: 2222, proxyJump: ['jump'] },
    ...(status === 'failed' ? { error: 'Permission denied' } : {}),
  })) as unknown as HostState[];
  const hosts = { list: () => states, onDidChange: changed.event } as unknown as HostService;
  const tree = new HostsTreeProvider(hosts);
  let fired = 0;
  tree.onDidChangeTreeData(() => fired++);
  const items = tree.getChildren().map((h) => tree.getTreeItem(h));
  assert.deepEqual(
    items.map((i) => [labelOf(i), i.contextValue, iconOf(i), i.command?.command]),
    [
      [`${HOSTILE} connected`, 'host.connected', 'vm-active', undefined],
      [`${HOSTILE} connecting`, 'host.connecting', 'loading~spin', undefined],
      [`${HOSTILE} disconnected`, 'host.disconnected', 'vm-outline', 'remoteHpc.connect'],
      [`${HOSTILE} failed`, 'host.failed', 'vm', 'remoteHpc.connect'],
    ],
  );
  assert.equal(items[0].description, 'me@login.example:2222 — connected');
  assert.match((items[3].tooltip as vscode.MarkdownString).value, /Permission denied/);
  for (const i of items) {
    const tip = (i.tooltip as vscode.MarkdownString).value;
    assert.ok(!tip.includes('[x](command:evil)'), `the alias is text in the tooltip, never a link: ${tip}`);
  }
  changed.fire();
  assert.equal(fired, 1, 'a host change redraws the view');
  tree.dispose();
});
