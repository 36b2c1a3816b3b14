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
import { sandbox } from '../support/sandbox';

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

const geSkip = skip || (sandbox().gridEngine ? false : 'the sandbox has no Grid Engine cluster (restart it: scripts/sandbox/start.sh)');
if (geSkip && !skip && process.env.REMOTE_HPC_REQUIRE_ALL === '1') throw new Error(`Grid Engine detection cannot run: ${geSkip}`);

test('the Grid Engine host (sshd 2230) is Grid Engine with one probe; its list costs one qstat per poll once a job is known', { skip: geSkip, timeout: 60_000 }, async () => {
  const geRan: string[][] = [];
  const ge = await sandboxCountingOps(geRan, { port: sandbox().gridEngine?.port as number });
  try {
    const schedulers = new HostSchedulers({ ops: async () => ge.ops, onDidInvalidate: () => ({ dispose() {} }) }, silentLogger);
    const d = await schedulers.detect('ge');
    assert.equal(d.kind, 'gridengine', d.evidence);
    assert.equal(d.version, '8.1.9');
    assert.doesNotMatch(d.evidence, /sbatch/, 'SLURM is not on that PATH');
    const s = schedulers.scheduler('ge');
    assert.equal(s.kind, 'gridengine');
    assert.equal((await s.ping()).up, true);
    const { id } = await s.submit({ scriptText: '#!/bin/sh\ntrue\n', name: 'detect-poll', hold: true });
    try {
      geRan.length = 0;
      assert.ok((await s.list(sandbox().user)).some((j) => j.id === id));
      assert.deepEqual(geRan.map((a) => a.slice(0, 2).join(' ')), ['qstat -xml', 'qstat -j'], 'the first cycle learns the new job once');
      geRan.length = 0;
      await s.list(sandbox().user);
      assert.deepEqual(geRan.map((a) => a.slice(0, 2).join(' ')), ['qstat -xml'], 'then one qstat per cycle');
    } finally {
      await s.cancel([id]);
    }
  } finally {
    ge.close();
  }
});
