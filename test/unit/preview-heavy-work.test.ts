/**
 * The heavy-work setting as each host reads it (`*` overlaid key by key, jobs.defaults as the
 * fallback for partition and account), and the runner choice for a host without a scheduler.
 * The runners themselves run against the sandbox's SLURM in test/integration/preview-batch.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRunner, heavyWorkFor } from '../../src/core/preview/heavyWork';
import { SchedulerError } from '../../src/core/scheduler/command';
import type { Scheduler } from '../../src/core/scheduler/types';

test('heavy work: login by default; batch per host with the 10-minute, 2-CPU defaults; "*" overlaid key by key', () => {
  assert.deepEqual(heavyWorkFor(undefined, 'hpc'), { runOn: 'login' });
  assert.deepEqual(heavyWorkFor({ '*': { runOn: 'login' } }, 'hpc'), { runOn: 'login' });
  assert.deepEqual(heavyWorkFor({ hpc: { runOn: 'batch' } }, 'hpc'), { runOn: 'batch', batch: { time: '10', cpus: 2 } });
  assert.deepEqual(heavyWorkFor({ hpc: { runOn: 'batch' } }, 'other'), { runOn: 'login' });
  const setting = { '*': { runOn: 'batch', partition: 'debug', memory: '2G' }, hpc: { time: '0:05:00', cpus: 4, extraArgs: ['--qos=short', 7] }, laptop: { runOn: 'login' } };
  assert.deepEqual(heavyWorkFor(setting, 'hpc'), { runOn: 'batch', batch: { time: '0:05:00', cpus: 4, partition: 'debug', mem: '2G', extraArgs: ['--qos=short'] } });
  assert.deepEqual(heavyWorkFor(setting, 'laptop'), { runOn: 'login' });
  // Partition and account come from jobs.defaults unless the heavy-work entry names its own.
  assert.deepEqual(heavyWorkFor({ hpc: { runOn: 'batch' } }, 'hpc', { partition: 'work', account: 'proj' }), { runOn: 'batch', batch: { time: '10', cpus: 2, partition: 'work', account: 'proj' } });
  assert.deepEqual(heavyWorkFor(setting, 'hpc', { partition: 'work', account: 'proj' }), {
    runOn: 'batch',
    batch: { time: '0:05:00', cpus: 4, partition: 'debug', account: 'proj', mem: '2G', extraArgs: ['--qos=short'] },
  });
  // Unusable values fall back to the defaults rather than reaching sbatch.
  assert.deepEqual(heavyWorkFor({ hpc: { runOn: 'batch', cpus: 0, time: ' ', partition: 3 } }, 'hpc'), { runOn: 'batch', batch: { time: '10', cpus: 2, partition: '3' } });
  assert.deepEqual(heavyWorkFor([], 'hpc'), { runOn: 'login' });
});

function fakeScheduler(ping: Scheduler['ping']): Scheduler {
  return { ping } as Scheduler;
}

test('heavy work: a host without a scheduler runs on the login node and says so; a down controller is an error', async () => {
  const notices: string[] = [];
  const notFound = fakeScheduler(() => Promise.reject(new SchedulerError('scontrol: command not found', 'not-found', 'scontrol', null, '')));
  const choice = { runOn: 'batch', batch: { time: '10', cpus: 2 } } as const;
  const r = await chooseRunner({ choice, nice: 7, host: 'hpc', scheduler: () => notFound, user: async () => 'u', onFallback: (m) => notices.push(m) });
  assert.deepEqual([r.where, r.nice], ['login', 7]);
  assert.deepEqual(notices, ['hpc has no batch scheduler (scontrol not found): preview work runs on the login node, under nice 7.']);
  const down = fakeScheduler(async () => ({ up: false, message: 'Slurmctld(primary) at ctl is DOWN' }));
  await assert.rejects(chooseRunner({ choice, nice: 7, host: 'hpc', scheduler: () => down, user: async () => 'u' }), /not answering \(Slurmctld\(primary\) at ctl is DOWN\)/);
  const up = fakeScheduler(async () => ({ up: true, message: 'UP' }));
  const b = await chooseRunner({ choice, nice: 7, host: 'hpc', scheduler: () => up, user: async () => 'u' });
  assert.deepEqual([b.where, b.nice], ['batch', 0]);
  const login = await chooseRunner({ choice: { runOn: 'login' }, nice: 7, host: 'hpc', scheduler: () => assert.fail('no scheduler asked for the login node'), user: async () => 'u' });
  assert.equal(login.where, 'login');
});
