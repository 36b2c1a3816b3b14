/**
 * Polling stays as kind on PBS and Torque as on SLURM: the watcher's cycles against the PBS and
 * Torque schedulers on the simulated server (test/support/fakePbsCluster.ts, not a real one)
 * cost one batched qstat per host per cycle whatever the number of jobs, plus one qstat of the
 * ids of the jobs that just left the queue; nothing while nobody looks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobWatcher } from '../../src/core/scheduler/watcher';
import { FakeClock } from '../support/jobs';
import { flush, waitUntil } from '../support/wait';
import { FakePbsCluster } from '../support/fakePbsCluster';
import { PbsScheduler } from '../../src/core/scheduler/pbs/pbsScheduler';
import { TorqueScheduler } from '../../src/core/scheduler/torque/torqueScheduler';

for (const kind of ['pbs', 'torque'] as const) {
  test(`${kind}: one qstat per host per cycle for 5 jobs (an array of 3 among them), one more when a job ends, none while hidden`, async () => {
    const cluster = new FakePbsCluster(kind);
    try {
      const sched = kind === 'pbs' ? new PbsScheduler(cluster.runner) : new TorqueScheduler(cluster.runner);
      const cwd = cluster.home;
      const held = { cwd, hold: true, scriptText: '#!/bin/sh\ntrue\n' };
      const { id: array } = await sched.submit({ ...held, array: '0-2' });
      const { id: first } = await sched.submit(held);
      await sched.submit(held);
      const clock = new FakeClock();
      const watcher = new JobWatcher({ clock, jitter: 0 });
      let cycles = 0;
      watcher.on('polled', () => cycles++);
      const start = cluster.calls.length;
      watcher.setVisible(true);
      watcher.addHost('h', sched, cluster.user);
      await flush();
      await clock.advance(5 * 60_000);
      const qstats = () => cluster.calls.slice(start).filter((c) => c[0] === 'qstat');
      assert.ok(cycles >= 3, `several cycles in 5 min while visible (${cycles})`);
      assert.equal(cluster.calls.length - start, cycles, `one command per cycle: ${JSON.stringify(cluster.calls.slice(start))}`);
      assert.ok(qstats().every((c) => !c.slice(1).some((a) => /^\d/.test(a))), 'the cycle lists, it asks for no job by id');
      assert.equal(watcher.jobs('h').length, 5);

      await sched.release([first]);
      await waitUntil('the released job ended', () => ['F', 'C'].includes(cluster.jobState(first) ?? ''));
      const before = cluster.calls.length;
      const cyclesBefore = cycles;
      await clock.advance(2 * 60_000);
      const after = cluster.calls.slice(before);
      assert.equal(after.filter((c) => c[0] === 'qstat' && c.includes(first)).length, 1, `its final state in one query: ${JSON.stringify(after)}`);
      assert.equal(after.length, cycles - cyclesBefore + 1);
      assert.equal(watcher.jobs('h').length, 4);
      assert.ok(watcher.jobs('h').some((j) => j.arrayJobId === array));

      watcher.setVisible(false);
      watcher.setNotifying(false);
      await flush();
      const hidden = cluster.calls.length;
      await clock.advance(30 * 60_000);
      assert.ok(cluster.calls.length - hidden <= 1, 'at most the poll planned before the view was hidden');
      const quiet = cluster.calls.length;
      await clock.advance(60 * 60_000);
      assert.equal(cluster.calls.length, quiet, 'nothing while nobody looks');
      watcher.dispose();
    } finally {
      cluster.close();
    }
  });
}
