/**
 * The sandbox's login node is found to run SLURM by the one-command probe, over the product's
 * RemoteOps (the agent), on both transports' first step: the same path a connect takes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxSkip } from '../support/prerequisites';
import { sandboxCountingOps } from '../support/countingOps';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';
import { HostSchedulers } from '../../src/core/jobs/schedulers';

const skip = sandboxSkip();
let close: () => void;
let ops: RemoteOps;
const ran: string[][] = [];

before(async () => {
  if (skip) return;
  ({ ops, close } = await sandboxCountingOps(ran));
});

after(() => {
  if (skip) return;
  close();
});

test('the sandbox is SLURM, found with one command and cached; its scheduler answers', { skip, timeout: 60_000 }, async () => {
  const schedulers = new HostSchedulers({ ops: async () => ops, onDidInvalidate: () => ({ dispose() {} }) }, silentLogger);
  const d = await schedulers.detect('sandbox');
  assert.equal(d.kind, 'slurm', d.evidence);
  assert.match(d.version ?? '', /^\d+\.\d+/);
  assert.match(d.evidence, /sbatch/);
  assert.equal(ran.length, 1, 'one round trip');
  await schedulers.detect('sandbox');
  assert.equal(ran.length, 1, 'cached');
  assert.equal((await schedulers.scheduler('sandbox').ping()).up, true);
  assert.equal(schedulers.scheduler('sandbox').kind, 'slurm');
  assert.deepEqual(ran.slice(1).map((a) => a[0]), ['scontrol']);
});
