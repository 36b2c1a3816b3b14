/**
 * JobWatcher on the real scheduler (fast intervals): finished events with exit codes from
 * accounting, one squeue per cycle, degraded/recovered on a real "controller unreachable".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { JobWatcher } from '../../src/core/scheduler/watcher';
import { whenJobFinished } from '../../src/core/scheduler/tail';
import type { CommandRunner } from '../../src/core/scheduler/command';
import type { Job } from '../../src/core/scheduler/types';

const skip = sandboxSkip();
let conn: Awaited<ReturnType<typeof reconnectingSession>>;

before(async () => {
  if (!skip) conn = await reconnectingSession();
});
after(() => {
  if (!skip) conn.close();
});

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((_, rej) => {
    t = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

test('finished events carry final state and exit code; one squeue per cycle, batched sacct', { skip }, async () => {
  const runner = sessionRunner(conn.session);
  const sched = new SlurmScheduler(runner);
  const user = sandbox().user;
  const w = new JobWatcher({ intervalMs: 300, maxIntervalMs: 1000, jitter: 0, maxQueriesPerMinute: Infinity }); // fast cycles: the cap has its own unit tests
  const changes: Job[][] = [];
  w.on('changed', (_h, jobs) => changes.push(jobs));
  w.setVisible(true);
  w.addHost('sandbox', sched, user);
  try {
    const ok = await sched.submit({ scriptText: '#!/bin/bash\nsleep 2\n', name: 'watch ok', cwd: '/tmp' });
    const bad = await sched.submit({ scriptText: '#!/bin/bash\nexit 7\n', name: 'watch bad', cwd: '/tmp' });
    const a = whenJobFinished(w, 'sandbox', ok.id);
    const b = whenJobFinished(w, 'sandbox', bad.id);
    await w.track('sandbox', [ok.id, bad.id]);
    const [jo, jb] = await withTimeout(Promise.all([a.promise, b.promise]), 60_000, 'finished events');
    assert.deepEqual([jo.state, jo.exitCode, jo.name], ['COMPLETED', 0, 'watch ok']);
    assert.deepEqual([jb.state, jb.exitCode, jb.name], ['FAILED', 7, 'watch bad']);
    assert.ok(changes.some((jobs) => jobs.some((j) => j.id === ok.id)), 'the running job was listed');

    const squeues = runner.calls.filter((c) => c[0] === 'squeue');
    const saccts = runner.calls.filter((c) => c[0] === 'sacct');
    assert.ok(squeues.every((c) => c.includes('-u') && c.includes(user) && !c.includes('-j')), 'always the one batched user query');
    // sacct only for jobs that left the queue: one batched call per cycle at most (slurmdbd may
    // answer with a placeholder for a second or two, and the job is asked for again next cycle).
    assert.ok(saccts.length >= 1 && saccts.length <= squeues.length, `sacct ${saccts.length}×, squeue ${squeues.length}×`);
    assert.ok(saccts.every((c) => c.includes('-j')), 'sacct asks for the jobs by id');
    assert.equal(runner.calls.filter((c) => c[0] === 'scontrol').length, 0);
  } finally {
    w.dispose();
  }
});

test('degraded once while the controller is unreachable, recovered once after', { skip }, async () => {
  const conf = (await conn.session.exec(['cat', sandbox().slurmConf])).stdout.toString().replace(/^(SlurmctldPort|MessageTimeout)=.*$/gm, '') + '\nSlurmctldPort=1\nMessageTimeout=1\n';
  const confPath = `/tmp/rhpc-deadctl-w-${process.pid}.conf`;
  await conn.session.exec(['sh', '-c', 'cat > "$1"', 'sh', confPath], { stdin: conf });
  const base = sessionRunner(conn.session);
  let down = true;
  let failingCalls = 0;
  const runner: CommandRunner = {
    run: (argv, opts = {}) => {
      if (down) failingCalls++;
      return base.run(argv, down ? { ...opts, env: { ...opts.env, SLURM_CONF: confPath } } : opts);
    },
  };
  const w = new JobWatcher({ intervalMs: 200, maxIntervalMs: 800, jitter: 0, maxQueriesPerMinute: Infinity }); // fast cycles: no per-minute cap here
  const events: string[] = [];
  w.on('degraded', (_h, e) => events.push(`degraded: ${e.message}`));
  w.on('recovered', () => events.push('recovered'));
  w.setVisible(true);
  try {
    const degraded = new Promise<void>((r) => w.on('degraded', () => r()));
    w.addHost('sandbox', new SlurmScheduler(runner), sandbox().user);
    await withTimeout(degraded, 20_000, 'degraded');
    const seen = failingCalls;
    await waitUntil('three more failing cycles', () => failingCalls >= seen + 3, 20_000); // still one event
    const recovered = new Promise<void>((r) => w.on('recovered', () => r()));
    down = false;
    await withTimeout(recovered, 20_000, 'recovered');
    assert.deepEqual(events, ['degraded: squeue: slurm_load_jobs error: Unable to contact slurm controller (connect failure)', 'recovered']);
  } finally {
    w.dispose();
    await conn.session.exec(['rm', '-f', confPath]);
  }
});
