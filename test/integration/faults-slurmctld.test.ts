/**
 * sandbox-turn: exclusive (stops the sandbox's slurmctld for ~45 s; every other test's squeue fails meanwhile).
 * The controller down, then back (issue 14 asks for 2 minutes; 45 s here to keep the suite short:
 * squeue itself takes ~18 s to give up on a stopped controller, so the first failure shows after
 * up to 20 + 18 s): the Jobs view model says
 * degraded, the watcher makes no more calls than it would healthy (counted), and the host
 * recovers at the first poll after the controller answers again. slurmctld is restarted in a
 * `finally` through scripts/sandbox/slurmctld.sh whatever happens.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { JobsController } from '../../src/core/jobs/controller';
import { JobsModel } from '../../src/core/jobs/model';

const skip = sandboxSkip();
const DOWN_MS = 45_000;
const POLL_S = 5;

let session: Awaited<ReturnType<typeof reconnectingSession>>['session'];
let close: () => void;
let sched: SlurmScheduler;
let user: string;

const slurmctld = (what: 'stop' | 'start' | 'ensure') =>
  execFileSync('bash', [join(repoRoot, 'scripts', 'sandbox', 'slurmctld.sh'), what], { stdio: 'ignore', timeout: 120_000 });

before(async () => {
  if (skip) return;
  ({ session, close } = await reconnectingSession());
  sched = new SlurmScheduler(sessionRunner(session));
  user = sandbox().user;
});

after(() => {
  if (skip) return;
  close();
});

test(`slurmctld down ${DOWN_MS / 1000} s: degraded once, no error storm, recovered at the next poll after it answers`, { skip, timeout: 180_000 }, async () => {
  const { id } = await sched.submit({ scriptText: '#!/bin/bash\nsleep 1\n', name: 'faults-ctld', cwd: '/tmp', extraArgs: ['--hold'] });
  const model = new JobsModel();
  const calls: { at: number; ok: boolean }[] = [];
  const counted = {
    list: async (u: string) => {
      try {
        const jobs = await sched.list(u);
        calls.push({ at: Date.now(), ok: true });
        return jobs;
      } catch (e) {
        calls.push({ at: Date.now(), ok: false });
        throw e;
      }
    },
    finalState: (ids: string[], days?: number) => sched.finalState(ids, days),
    history: () => sched.history(1, user),
  };
  const degradedChanges: (string | undefined)[] = [];
  model.onDidChange(() => {
    const now = model.get('sandbox')?.degraded;
    if (degradedChanges[degradedChanges.length - 1] !== now) degradedChanges.push(now);
  });
  const controller = new JobsController({
    hosts: { list: () => [{ alias: 'sandbox', status: 'connected' }], onDidChange: () => ({ dispose() {} }) },
    schedulers: { scheduler: () => counted, user: async () => user, userNames: async () => new Map(), forget: () => undefined },
    model,
    log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    settings: () => ({ pollIntervalSeconds: POLL_S, historyDays: 0, notifyStates: [] }),
    onNotices: () => undefined,
    maxQueriesPerMinute: Infinity,
  });
  try {
    controller.setVisible(true);
    await waitUntil('the held job listed', () => model.get('sandbox')?.active.some((j) => j.id === id), 30_000);
    const stoppedAt = Date.now();
    try {
      slurmctld('stop');
      await waitUntil('degraded', () => model.get('sandbox')?.degraded, DOWN_MS, 100);
      const degradedMs = Date.now() - stoppedAt;
      await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - stoppedAt))));
      const downCalls = calls.filter((c) => c.at >= stoppedAt).length;
      slurmctld('start');
      const upAt = Date.now();
      await waitUntil('recovered', () => model.get('sandbox')?.degraded === undefined, 60_000, 100);
      const recoveredMs = Date.now() - upAt;
      const downS = (upAt - stoppedAt) / 1000;
      console.log(
        `slurmctld down ${downS.toFixed(1)} s: degraded shown after ${degradedMs} ms ("${degradedChanges.find(Boolean)}"); ${downCalls} squeue calls while down (${(downCalls / downS * 60).toFixed(1)} a minute); recovered ${recoveredMs} ms after the controller answered (healthy poll interval here ≤ 20 s); the job still listed: ${model.get('sandbox')?.active.some((j) => j.id === id)}`,
      );
      assert.equal(degradedChanges.filter(Boolean).length, 1, `degraded reported once: ${JSON.stringify(degradedChanges)}`);
      assert.ok(downCalls <= Math.ceil(downS / POLL_S) + 1, `${downCalls} calls in ${downS} s: an error storm`);
      assert.ok(recoveredMs <= 20_000 + 5_000, `recovered ${recoveredMs} ms after the controller was back`);
      assert.ok(model.get('sandbox')?.active.some((j) => j.id === id), 'the job is listed again');
    } finally {
      slurmctld('ensure');
    }
  } finally {
    controller.dispose();
    await sched.cancel([id]).catch(() => undefined);
  }
});
