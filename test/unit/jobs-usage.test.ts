/** What jobs use: sstat / sacct parsers on output recorded from the sandbox, the seff figures, batching. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuTimeSeconds, memoryBytes, parseSacctEfficiency, parseSstat, sacctEfficiencyCommand, sstatCommand } from '../../src/core/scheduler/slurm/usage';
import { ParseError, SpecError } from '../../src/core/scheduler/command';
import { efficiencyFields, efficiencySummary, usageLine } from '../../src/core/jobs/usageText';
import { LiveUsage, usageSection, withEfficiency } from '../../src/core/jobs/usage';
import type { JobEfficiency, JobUsage } from '../../src/core/scheduler/types';
import { job } from '../support/jobs';

const fx = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'slurm', '22.05', name), 'utf8');
const ids = JSON.parse(fx('usage-ids.json')) as { hold200M: string; twoSteps: string };
const MiB = 1024 * 1024;

test('sstat (recorded): steps summed per job, the largest task RSS kept', () => {
  const [a, b] = parseSstat(fx('sstat.txt'));
  assert.equal(a?.id, ids.hold200M);
  assert.equal(a?.cpuSeconds, 3);
  assert.equal(a?.maxRssBytes, 212908 * 1024);
  assert.equal(b?.id, ids.twoSteps);
  assert.equal(b?.memoryBytes, (17160 + 110460) * 1024, 'memory of the batch step and the srun step');
  assert.equal(b?.maxRssBytes, 110460 * 1024);
  assert.deepEqual(parseSstat(''), [], 'no running step: nothing (sstat says so on stderr)');
  assert.throws(() => parseSstat('57.batch|x|cpu=1\n'), ParseError);
});

test('sacct per step (recorded): CPU time, CPUs, the request from ReqTRES, the largest step RSS', () => {
  const [a, b] = parseSacctEfficiency(fx('sacct-efficiency.txt'));
  assert.deepEqual(a, { id: ids.hold200M, state: 'COMPLETED', elapsedSeconds: 20, timeLimitSeconds: 180, cpus: 1, cpuSeconds: 3.98, requestedMemoryBytes: 400 * MiB, maxRssBytes: 212908 * 1024 });
  assert.equal(b?.cpus, 2);
  assert.equal(b?.maxRssBytes, 110460 * 1024);
  assert.equal(b?.requestedMemoryBytes, 300 * MiB);
});

test('time and memory forms; ReqMem per node / per CPU of older versions; hostile ids refused', () => {
  assert.equal(cpuTimeSeconds('00:03.599', ''), 3.599);
  assert.equal(cpuTimeSeconds('01:02:03', ''), 3723);
  assert.equal(cpuTimeSeconds('1-00:00:01', ''), 86401);
  assert.equal(memoryBytes('1.5G', ''), 1.5 * 1024 * MiB);
  assert.equal(memoryBytes('0', ''), 0);
  assert.throws(() => memoryBytes('12Q', ''), ParseError);
  // Synthesised: the job lines of SLURM 20.11 (ReqTRES empty, ReqMem with its n / c suffix).
  const [n, c] = parseSacctEfficiency('5|COMPLETED|60|10|00:30.000|4|2|1000Mn||\n6|COMPLETED|60|10|00:30.000|4|1|500Mc||\n');
  assert.equal(n?.requestedMemoryBytes, 2000 * MiB);
  assert.equal(c?.requestedMemoryBytes, 2000 * MiB);
  for (const bad of ['1;id', '$(x)', '-1']) {
    assert.throws(() => sstatCommand([bad]), SpecError);
    assert.throws(() => sacctEfficiencyCommand([bad]), SpecError);
  }
  assert.deepEqual(sstatCommand(['5', '6_1']).argv.slice(-2), ['-j', '5,6_1']);
});

const eff: JobEfficiency = { id: '59', state: 'COMPLETED', elapsedSeconds: 20, timeLimitSeconds: 180, cpus: 1, cpuSeconds: 3.98, requestedMemoryBytes: 400 * MiB, maxRssBytes: 208 * MiB };

test('seff figures as text: CPU efficiency, memory of the request, time of the limit', () => {
  assert.deepEqual(efficiencyFields(eff), {
    'CPU efficiency': '20 % (0:03 CPU time of 0:20 × 1 CPU)',
    'Memory efficiency': '52 % (208 MB of 400 MB requested)',
    'Time used': '11 % (0:20 of 3:00 limit)',
  });
  assert.equal(efficiencySummary(eff), 'used 52 % of requested memory, 20 % CPU efficiency');
  assert.equal(efficiencySummary({ ...eff, maxRssBytes: 2 * MiB }), 'used 0.5 % of requested memory, 20 % CPU efficiency');
  assert.equal(efficiencySummary({ ...eff, elapsedSeconds: 0, maxRssBytes: undefined }), '');
  const unlimited = efficiencyFields({ ...eff, timeLimitSeconds: undefined, requestedMemoryBytes: undefined });
  assert.equal(unlimited['Time used'], '0:20 (no limit)');
  assert.equal(unlimited['Memory efficiency'], '208 MB used (no memory request known)');
  assert.equal(usageLine({ id: '1', cpuSeconds: 65, memoryBytes: 3 * MiB, maxRssBytes: 2 * MiB }), 'CPU 1:05 · memory 3.0 MB (largest task 2.0 MB)');
});

test('live usage: one call per host for its running jobs, shared while fresh, array tasks by raw id', async () => {
  const calls: string[][] = [];
  let now = 0;
  const usage = async (ids: string[]): Promise<JobUsage[]> => (calls.push(ids), ids.map((id) => ({ id, cpuSeconds: 1, memoryBytes: 1, maxRssBytes: 1 })));
  const live = new LiveUsage(() => ({ usage }), 15_000, () => now);
  const jobs = [job({ id: '7' }), job({ id: '8_1', rawId: '9', arrayJobId: '8', arrayTaskId: '1' }), job({ id: '10', state: 'PENDING' })];
  const [m1, m2] = await Promise.all([live.forHost('h', jobs), live.forHost('h', jobs)]);
  assert.deepEqual(calls, [['7', '9']]);
  assert.deepEqual([...(m1?.keys() ?? [])], ['7', '8_1']);
  assert.equal(m1, m2);
  now = 20_000;
  await live.forHost('h', jobs);
  assert.equal(calls.length, 2, 'asked again once stale');
  assert.deepEqual(await new LiveUsage(() => ({})).forHost('h', jobs), new Map(), 'a scheduler without usage: nothing');
});

test('details section and end notices: live while running, seff once ended; a slow answer does not hold the notice', async () => {
  const s = { usage: async () => [{ id: '7', cpuSeconds: 30, memoryBytes: 5 * MiB, maxRssBytes: 5 * MiB }], efficiency: async () => [eff] };
  assert.equal((await usageSection(s, { id: '7', elapsed: '1:00', state: 'RUNNING' }, 1))?.fields['CPU time so far'], '0:30 (50 % of 1 CPU)');
  assert.equal((await usageSection(s, { id: '59', elapsed: '0:20', state: 'COMPLETED' }))?.title, 'Efficiency (as seff reports it)');
  assert.equal(await usageSection(s, { id: '1', elapsed: '', state: 'PENDING' }), undefined);
  const n = { host: 'h', id: '59', message: 'Job 59 completed', jobs: [job({ id: '59', state: 'COMPLETED' })] };
  assert.equal((await withEfficiency([n], () => s))[0]?.message, 'Job 59 completed — used 52 % of requested memory, 20 % CPU efficiency');
  const slow = { efficiency: () => new Promise<JobEfficiency[]>(() => undefined) };
  assert.equal((await withEfficiency([n], () => slow, 20))[0]?.message, 'Job 59 completed');
});
