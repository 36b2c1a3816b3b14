/**
 * sandbox-turn: fault-cluster (stops the fault cluster's slurmctld for 2 minutes; the main cluster, and every other test, is untouched).
 * slurmctld stopped for 2 minutes, then started (issue 14), under the product's own Jobs pieces —
 * HostSchedulers, JobsController and JobsModel with the default settings (10 s poll, 6 commands a
 * minute, ±10 % jitter) over a real agent session, the view visible and a held job listed:
 * - the model says degraded, once, with the controller's own words as the reason;
 * - no error storm: every command sent to the host while the controller is down is counted, and
 *   stays within what the watcher's back-off allows (printed beside the bound);
 * - after slurmctld answers again, the job is listed from a fresh poll within one poll interval.
 * The controller is the fault cluster's (scripts/sandbox/faults-cluster.sh), reached through its own
 * sshd, whose sessions' SLURM_CONF names it. It is stopped with a guard that starts it again
 * 3 minutes later should this process die, and is started in a `finally` whatever happens
 * (scripts/sandbox/slurmctld.sh).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { waitUntil } from '../support/wait';
import { sandboxCountingOps } from '../support/countingOps';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';
import { HostSchedulers } from '../../src/core/jobs/schedulers';
import { JobsController } from '../../src/core/jobs/controller';
import { JobsModel } from '../../src/core/jobs/model';
import { DEFAULT_NOTIFY_STATES } from '../../src/core/jobs/notices';

const skip = sandboxSkip();
const HOST = 'sandbox';
const DOWN_MS = 120_000;
/** The product's defaults: remoteHpc.jobs.pollIntervalSeconds, and the watcher's longest interval while a watched job is active. */
const POLL_S = 10;
const WATCHED_MAX_MS = 20_000;
const JITTER = 0.1;
/** What one poll may take on a controller that just started (its first RPCs are slow). */
const SQUEUE_MS = 5_000;

let close: () => void;
let ops: RemoteOps;
/** Every command sent to the host, and when. */
const ran: string[][] = [];
const at: number[] = [];
let held: string | undefined;

const slurmctld = (...args: string[]) =>
  execFileSync('bash', [join(repoRoot, 'scripts', 'sandbox', 'slurmctld.sh'), ...args], { stdio: 'ignore', timeout: 120_000 });

before(async () => {
  if (skip) return;
  const faults = sandbox().faultsCluster;
  if (!faults) throw new Error('the sandbox has no fault cluster: run scripts/sandbox/start.sh again');
  ({ ops, close } = await sandboxCountingOps(ran, { at, port: faults.port }));
  const cluster = (await ops.run(['scontrol', 'show', 'config'])).stdout.toString().match(/^ClusterName\s*=\s*(\S+)/m)?.[1];
  assert.equal(cluster, faults.clusterName, "the session talks to the fault cluster's controller");
  ran.length = 0;
  at.length = 0;
});

after(async () => {
  if (skip) return;
  if (held) await ops.run(['scancel', held]).catch(() => undefined);
  close();
});

test(`slurmctld down ${DOWN_MS / 1000} s: degraded once, no error storm, the job current within one poll after it answers`, { skip, timeout: 300_000 }, async () => {
  const schedulers = new HostSchedulers({ ops: async () => ops, onDidInvalidate: () => ({ dispose() {} }) }, silentLogger);
  held = (await schedulers.scheduler(HOST).submit({ scriptText: '#!/bin/bash\nsleep 1\n', name: 'rhpc-faults-ctld', hold: true, cwd: await ops.home(), output: '/dev/null', partition: 'debug', time: '5' })).id;
  const id = held;
  const model = new JobsModel();
  const degradedChanges: (string | undefined)[] = [];
  model.onDidChange(() => {
    const now = model.get(HOST)?.degraded;
    if (degradedChanges[degradedChanges.length - 1] !== now) degradedChanges.push(now);
  });
  const controller = new JobsController({
    hosts: { list: () => [{ alias: HOST, status: 'connected' }], onDidChange: () => ({ dispose() {} }) },
    schedulers,
    model,
    log: silentLogger,
    settings: () => ({ pollIntervalSeconds: POLL_S, historyDays: 3, notifyStates: [...DEFAULT_NOTIFY_STATES] }),
    onNotices: () => undefined,
  });
  const listed = () => model.get(HOST)?.active.find((j) => j.id === id);
  try {
    controller.setVisible(true);
    await waitUntil('the held job listed', listed, 30_000);
    // The Recent group's sacct (and its user-name lookup) done: what follows is the job list's own.
    await controller.loadHistory(HOST, false);
    const stopAsked = Date.now();
    const fromStop = ran.length;
    try {
      // The guard starts it again after 3 min should this process die before the finally.
      slurmctld('stop', String((DOWN_MS + 60_000) / 1000));
      const stoppedAt = Date.now();
      const reason = await waitUntil('degraded', () => model.get(HOST)?.degraded, DOWN_MS, 100);
      const degradedMs = Date.now() - stoppedAt;
      await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - stoppedAt))));
      const downEnd = Date.now();
      const downMs = downEnd - stoppedAt;
      const upTo = ran.length;
      slurmctld('start');
      const upAt = Date.now();
      const current = await waitUntil('the job listed from a poll after the controller answered', () => model.get(HOST)?.degraded === undefined && (model.get(HOST)?.polledAt ?? 0) >= upAt - SQUEUE_MS && listed(), 60_000, 100);
      const recoveredMs = Date.now() - upAt;

      // Calls from the stop request until the controller was asked to start again.
      const down = ran.slice(fromStop, upTo);
      const starts = at.slice(fromStop, upTo);
      const kinds = [...new Set(down.map((a) => a[0]))].map((k) => `${down.filter((a) => a[0] === k).length} ${k}`).join(', ');
      const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
      // The back-off: a failed poll's next one starts min(cap, 10 s × 2^(n−1)) after it started (±10 %), the cap
      // being 20 s with a watched job; plus one healthy poll under way at the stop.
      const windowMs = downEnd - stopAsked;
      const bound = 2 + Math.floor((windowMs - POLL_S * 1000 * (1 - JITTER)) / (WATCHED_MAX_MS * (1 - JITTER)));
      const recoveryBound = WATCHED_MAX_MS * (1 + JITTER) + SQUEUE_MS;
      console.log(
        [
          `slurmctld down ${(downMs / 1000).toFixed(1)} s (stop ${((stoppedAt - stopAsked) / 1000).toFixed(1)} s, start ${((upAt - stoppedAt - downMs) / 1000).toFixed(1)} s)`,
          `degraded after ${(degradedMs / 1000).toFixed(1)} s: "${reason}" (changes: ${JSON.stringify(degradedChanges)})`,
          `${down.length} commands in ${(windowMs / 1000).toFixed(1)} s (${kinds}; ${((down.length / windowMs) * 60_000).toFixed(1)} a minute), bound ${bound}; gaps ${gaps.map((g) => (g / 1000).toFixed(1)).join(' ')} s`,
          `recovered ${(recoveredMs / 1000).toFixed(1)} s after the controller answered (bound ${(recoveryBound / 1000).toFixed(1)} s: one ${WATCHED_MAX_MS / 1000} s poll + jitter + the squeue), job ${current.state}`,
        ].join('\n'),
      );
      assert.match(reason, /slurm controller|slurmctld|connect/i, 'the reason names the controller');
      assert.equal(degradedChanges.filter(Boolean).length, 1, `degraded reported once: ${JSON.stringify(degradedChanges)}`);
      assert.ok(down.every((a) => a[0] === 'squeue'), `only the job list is retried while the controller is down: ${kinds}`);
      assert.ok(down.length <= bound, `${down.length} commands in ${windowMs} ms: more than the back-off's ${bound}`);
      assert.ok(gaps.slice(1).every((g) => g >= POLL_S * 1000 * (1 - JITTER)), `polls closer than the interval: ${gaps.join(', ')} ms`);
      assert.ok(recoveredMs <= recoveryBound, `recovered ${recoveredMs} ms after the controller was back (bound ${recoveryBound})`);
      assert.equal(current.state, 'PENDING', 'the held job, as the controller has it');
    } finally {
      slurmctld('ensure');
    }
  } finally {
    controller.dispose();
  }
});
