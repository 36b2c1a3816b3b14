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
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { USER_SHELL } from '../../src/core/compute/nodeShell';

const skip = sandboxSkip();
let conn: DirectConnection;
let sched: SlurmScheduler;
let jobId: string | undefined;

before(async () => {
  if (skip) return;
  conn = await connectDirect();
  sched = new SlurmScheduler(sessionRunner(conn.session));
});
after(async () => {
  if (skip) return;
  if (jobId) await sched.cancel([jobId]).catch(() => undefined);
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
