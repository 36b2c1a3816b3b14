/**
 * The Jobs view's model against the sandbox's real SLURM and RemoteOps: a job waiting on another
 * says which (`waits for <id> (afterok)`, from squeue `%E`), and once that one is cancelled, that it
 * never starts; the cancelled job names who cancelled it by user name (`getent passwd`, one lookup
 * per host for the session), in the tree's text and in the notice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { waitUntil } from '../support/wait';
import { sandboxCountingOps } from '../support/countingOps';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';
import { HostSchedulers } from '../../src/core/jobs/schedulers';
import { JobsController } from '../../src/core/jobs/controller';
import { JobsModel } from '../../src/core/jobs/model';
import { jobDescription } from '../../src/core/jobs/format';
import type { FinishedNotice } from '../../src/core/jobs/notices';

const skip = sandboxSkip();
const HOST = 'sandbox';
let close: () => void;
let ops: RemoteOps;
const submitted: string[] = [];
/** Every argv run on the host, to count the user-name lookups. */
const ran: string[][] = [];

before(async () => {
  if (skip) return;
  ({ ops, close } = await sandboxCountingOps(ran));
});

after(async () => {
  if (skip) return;
  if (submitted.length) await ops.run(['scancel', ...submitted]).catch(() => undefined);
  close();
});

test('a dependent job shows the job it waits for; a cancel names the user, not the uid', { skip, timeout: 300_000 }, async () => {
  const schedulers = new HostSchedulers({ ops: async () => ops, onDidInvalidate: () => ({ dispose() {} }) }, silentLogger);
  const sched = schedulers.scheduler(HOST);
  const home = await ops.home();
  const held = (await sched.submit({ scriptText: '#!/bin/bash\nsleep 1\n', name: 'rhpc-deps-held', hold: true, cwd: home, output: '/dev/null', partition: 'debug', time: '5' })).id;
  submitted.push(held);
  const waiting = (await sched.submit({ scriptText: '#!/bin/bash\nsleep 1\n', name: 'rhpc-deps-waits', dependency: `afterok:${held}`, cwd: home, output: '/dev/null', partition: 'debug', time: '5' })).id;
  submitted.push(waiting);

  const model = new JobsModel();
  const notices: FinishedNotice[][] = [];
  const controller = new JobsController({
    hosts: { list: () => [{ alias: HOST, status: 'connected' }], onDidChange: () => ({ dispose() {} }) },
    schedulers,
    model,
    log: silentLogger,
    settings: () => ({ pollIntervalSeconds: 5, historyDays: 1, notifyStates: ['CANCELLED'] }),
    onNotices: (n) => notices.push(n),
    noticeDelayMs: 100,
    maxQueriesPerMinute: Infinity, // refreshed every second below: the cap has its own unit tests
  });
  try {
    controller.setVisible(true);
    // SLURM may first say Resources (its scheduler has not looked at the dependency yet).
    const dependent = await waitUntil('the dependent job in the model, waiting on its dependency', async () => model.get(HOST)?.active.find((j) => j.id === waiting && j.reason === 'Dependency'), 60_000, 500);
    assert.equal(dependent.reason, 'Dependency');
    assert.deepEqual(dependent.dependencies, [{ kind: 'afterok', jobId: held }]);
    assert.match(jobDescription(dependent), new RegExp(`^waits for ${held} \\(afterok\\) · limit 5:00 · debug$`));

    // Cancelled in a shell (as a colleague or an admin would): named by user name.
    await ops.run(['scancel', held]);
    await controller.refreshNow(HOST);
    const ended = await waitUntil('the held job finished in the model', async () => model.get(HOST)?.recent.find((j) => j.id === held), 90_000, 500);
    assert.equal(ended.state, 'CANCELLED');
    assert.equal(ended.cancelledBy, String((await ops.run(['id', '-u'])).stdout).trim(), 'the uid SLURM printed');
    const users = await waitUntil('the uid resolved', async () => (model.get(HOST)?.users.size ? model.get(HOST)?.users : undefined), 30_000, 200);
    assert.equal(users.get(ended.cancelledBy as string), sandbox().user);
    assert.match(jobDescription(ended, { users }), new RegExp(`^cancelled by ${sandbox().user} · `));
    const notice = await waitUntil('the notice', async () => notices.flat().find((n) => n.id === held), 30_000, 200);
    assert.match(notice.message, new RegExp(`^Job ${held} \\(rhpc-deps-held\\) on ${HOST} was cancelled by ${sandbox().user}\\.$`));

    // What the dependent job waits for can no longer happen.
    await controller.refreshNow(HOST);
    const stuck = await waitUntil(
      'the dependent job never satisfied',
      async () => {
        await controller.refreshNow(HOST);
        const j = model.get(HOST)?.active.find((x) => x.id === waiting);
        return j?.reason === 'DependencyNeverSatisfied' ? j : undefined;
      },
      90_000,
      1000,
    );
    assert.match(jobDescription(stuck), new RegExp(`^never starts: ${held} \\(afterok\\) not met`));

    // The session's lookups: one getent for the uid (whether the history's cancelled jobs or this
    // end named it first), not one per job, poll or history load.
    await controller.loadHistory(HOST, true);
    const lookups = ran.filter((a) => a[0] === 'getent');
    assert.equal(lookups.length, 1, lookups.map((a) => a.join(' ')).join('\n'));
    assert.deepEqual(lookups[0]?.slice(0, 2), ['getent', 'passwd']);
    assert.ok(lookups[0]?.includes(ended.cancelledBy as string));
  } finally {
    controller.dispose();
    model.dispose();
  }
});
