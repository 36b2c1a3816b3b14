/**
 * New Interactive Session on the sandbox: the scheduler's interactive command (srun --pty with
 * allocation options) on a pty through the product's ShellTerminal: the shell runs inside a new
 * job on the node; exit ends the terminal with its code and the allocation with it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectDirect, sandbox, type DirectConnection } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sessionRunner } from '../support/schedulerRunner';
import { TerminalDriver } from '../support/terminal';
import { waitUntil } from '../support/wait';
import { isTerminal } from '../../src/core/scheduler/types';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { SESSION_SHELL, USER_SHELL } from '../../src/core/compute/nodeShell';
import { AllocationScanner, queueStatusText } from '../../src/core/compute/allocationStatus';

const skip = sandboxSkip();
let conn: DirectConnection;
let sched: SlurmScheduler;
let jobId: string | undefined;
let queuedId: string | undefined;

before(async () => {
  if (skip) return;
  conn = await connectDirect();
  sched = new SlurmScheduler(sessionRunner(conn.session));
});
after(async () => {
  if (skip) return;
  for (const id of [jobId, queuedId]) if (id) await sched.cancel([id]).catch(() => undefined);
  conn.close();
});

test('an interactive allocation: a shell in a new job on the node; exit ends the terminal and the job', { skip }, async () => {
  const argv = sched.interactiveCommand({ name: `rhpc it's $(x)`, time: '5', cpusPerTask: 1, partition: sandbox().partition }, USER_SHELL);
  const t = new TerminalDriver(conn.session, { start: (s, pty) => s.spawn(argv, { pty }) });
  await t.open(24, 90);
  t.type('printf "<%s|%s>\\n" "$SLURM_JOB_ID" "$SLURM_JOB_NAME"\n');
  const m = await t.expect(/<(\d+)\|([^>]*)>/, 30_000);
  jobId = m[1];
  assert.equal(m[2], `rhpc it's $(x)`, 'the name reached the job as given');
  const listed = (await sched.list(sandbox().user)).find((j) => j.id === jobId);
  assert.equal(listed?.state, 'RUNNING', 'the allocation is a job like any other');
  t.type('exit 4\n');
  assert.equal(await t.ended(), 4);
  await waitUntil('the allocation to end', async () => !(await sched.list(sandbox().user)).some((j) => j.id === jobId && j.state === 'RUNNING'), 15_000);
});

test('a queued allocation: its id from srun, the queue line from squeue, granted, then closing the view ends it', { skip }, async () => {
  const argv = sched.interactiveCommand({ name: 'rhpc-queued', time: '5', cpusPerTask: 1, partition: sandbox().partition }, SESSION_SHELL);
  // Test only: a begin time makes it wait in the queue the way a busy cluster would.
  argv.splice(1, 0, '--begin=now+6');
  const scanner = new AllocationScanner();
  const events: { id: string; granted: boolean }[] = [];
  const t = new TerminalDriver(conn.session, { start: (s, pty) => s.spawn(argv, { pty }) });
  await t.open(24, 90);
  await t.expect(/queued and waiting for resources/, 20_000);
  let fed = 0;
  const seen = () => {
    const e = scanner.feed(t.output.slice(fed));
    fed = t.output.length;
    if (e) events.push(e);
  };
  seen();
  queuedId = events[0]?.id;
  assert.ok(queuedId && events[0]?.granted === false, `the pending id: ${JSON.stringify(t.output)}`);
  const pending = (await sched.list(sandbox().user)).find((j) => j.id === queuedId);
  const line = queueStatusText(pending, Date.now()) ?? '';
  assert.match(line, new RegExp(`^Job ${queuedId} is waiting in the queue \\(BeginTime\\); (estimated start \\d\\d:\\d\\d \\(in less than a minute\\)|the scheduler expects it to start now)\\.$`));
  await t.expect(/Interactive session: job \d+ on \S+/, 30_000);
  seen();
  assert.deepEqual(events.at(-1), { id: queuedId, granted: true });
  t.type('echo "<$SLURM_JOB_ID>"\n');
  await t.expect(new RegExp(`<${queuedId}>`), 10_000);
  t.close();
  await waitUntil('the closed allocation to end', async () => !(await sched.list(sandbox().user)).some((j) => j.id === queuedId && !isTerminal(j.state)), 20_000, 500);
});
