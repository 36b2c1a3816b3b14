/** Partitions from sinfo (recorded on the sandbox, and a synthesised cluster with several node types). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSinfo, sinfoPartitionsCommand } from '../../src/core/scheduler/slurm/sinfo';
import { ParseError } from '../../src/core/scheduler/command';
import { PartitionCache, partitionDescription } from '../../src/core/jobs/partitions';

const fx = (p: string) => readFileSync(join(__dirname, '..', 'fixtures', 'slurm', p), 'utf8');

test('sinfo recorded on the sandbox: its one partition, default, no limit', () => {
  const [p] = parseSinfo(fx('22.05/sinfo.txt'));
  assert.equal(p?.name, 'debug');
  assert.equal(p?.isDefault, true);
  assert.equal(p?.up, true);
  assert.equal(p?.timeLimit, 'UNLIMITED');
  assert.equal(p?.nodes.total, 1);
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
