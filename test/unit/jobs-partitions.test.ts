/** Partitions from sinfo (recorded on the sandbox, and a synthesised cluster with several node types); the Partitions view. */
import '../support/vscode/register';
import { test } from 'node:test';
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSinfo, sinfoPartitionsCommand } from '../../src/core/scheduler/slurm/sinfo';
import { ParseError } from '../../src/core/scheduler/command';
import { PartitionCache, PartitionsModel, partitionDescription } from '../../src/core/jobs/partitions';
import { PartitionsTreeProvider } from '../../src/jobs/partitionsTree';
import { flush } from '../support/wait';

const fx = (p: string) => readFileSync(join(__dirname, '..', 'fixtures', 'slurm', p), 'utf8');

test('sinfo recorded on the sandbox: its one partition, default, no limit', () => {
  const [p] = parseSinfo(fx('22.05/sinfo.txt'));
  assert.equal(p?.name, 'debug');
  assert.equal(p?.isDefault, true);
  assert.equal(p?.up, true);
  assert.equal(p?.timeLimit, 'UNLIMITED');
  assert.equal(p?.nodes.total, 1);
  assert.match(partitionDescription(p!), /^up · \d of 1 node idle · no limit · /, 'no "limit no limit"');
  assert.deepEqual(sinfoPartitionsCommand().argv.slice(0, 3), ['sinfo', '-h', '-o']);
});

test('several node types of a partition are merged; GRES kept; a drained partition is not up', () => {
  const ps = parseSinfo(fx('synthesised/sinfo-22.05.txt'));
  assert.deepEqual(ps.map((p) => p.name), ['cpu', 'gpu', 'debug']);
  const [cpu, gpu, debug] = ps;
  assert.deepEqual(cpu?.nodes, { allocated: 130, idle: 10, other: 4, total: 144 });
  assert.deepEqual(cpu?.cpusPerNode, [64, 128]);
  assert.deepEqual(gpu?.gres, ['gpu:a100:4(S:0-1)', 'gpu:h100:4', 'nvme:1']);
  assert.equal(debug?.up, false);
  assert.equal(partitionDescription(cpu!), 'up · 10 of 144 nodes idle · limit 2-00:00:00 · 64–128 CPUs');
  assert.equal(partitionDescription(gpu!), 'up · 1 of 10 nodes idle · limit 1-00:00:00 · 64 CPUs · gpu:a100:4, gpu:h100:4, nvme:1');
  assert.throws(() => parseSinfo('x|x*|up|1:00|1/2/3|4|5|(null)\n'), ParseError);
});

test('one sinfo per host while fresh; a scheduler without partitions gives none', async () => {
  let calls = 0;
  const cache = new PartitionCache(() => ({ partitions: async () => (calls++, parseSinfo(fx('22.05/sinfo.txt'))) }));
  await Promise.all([cache.get('h'), cache.get('h')]);
  assert.equal(calls, 1);
  assert.deepEqual(await new PartitionCache(() => ({})).get('h'), []);
});

test('Partitions view: nothing asked while hidden; shown: one sinfo per host (the pickers\' cache); Refresh asks again; items', async () => {
  const asked: string[] = [];
  let fail = false;
  const cache = new PartitionCache((host) => ({
    partitions: async () => {
      asked.push(host);
      if (fail) throw new Error('sinfo: error: Unable to contact slurm controller\nmore');
      return parseSinfo(fx('synthesised/sinfo-22.05.txt'));
    },
  }));
  const model = new PartitionsModel(cache);
  const tree = new PartitionsTreeProvider(model);
  model.setHosts(['a', 'b']);
  await flush();
  assert.deepEqual(asked, [], 'hidden: no sinfo');
  assert.deepEqual(tree.getChildren().map((n) => n.host), ['a', 'b']);
  model.setVisible(true);
  const [a] = tree.getChildren();
  assert.equal(tree.getTreeItem(tree.getChildren(a)[0]!).label, 'Loading partitions…');
  await flush();
  assert.deepEqual(asked, ['a', 'b']);
  await cache.get('a');
  assert.deepEqual(asked, ['a', 'b'], 'the submit pickers reuse the answer');
  const rows = tree.getChildren(a).map((n) => tree.getTreeItem(n));
  assert.deepEqual(rows.map((r) => r.label), ['cpu (default)', 'gpu', 'debug']);
  assert.equal(rows[0]?.description, 'up · 10 of 144 nodes idle · limit 2-00:00:00 · 64–128 CPUs');
  assert.equal((rows[2]?.iconPath as vscode.ThemeIcon).id, 'warning', 'a partition not up is marked');
  assert.ok((rows[1]?.tooltip as vscode.MarkdownString).value.includes('**GRES:** gpu:a100:4\\(S:0-1\\), gpu:h100:4, nvme:1'), 'GRES in the tooltip, escaped');
  assert.equal(tree.getTreeItem(a!).description, '3 partitions');
  model.setVisible(false);
  model.setHosts(['a', 'b', 'c']);
  await flush();
  assert.deepEqual(asked, ['a', 'b'], 'a host connected while hidden waits');
  model.setVisible(true);
  await flush();
  assert.deepEqual(asked, ['a', 'b', 'c']);
  fail = true;
  model.refresh('a');
  await flush();
  assert.deepEqual(asked, ['a', 'b', 'c', 'a']);
  const err = tree.getTreeItem(tree.getChildren(a)[0]!);
  assert.equal(err.label, 'Partitions unavailable');
  assert.equal(err.tooltip, 'sinfo: error: Unable to contact slurm controller');
  model.setHosts([]);
  assert.deepEqual(tree.getChildren(), [], 'no host: the welcome view');
  tree.dispose();
  model.dispose();
});
