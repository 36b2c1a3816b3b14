/**
 * Open Terminal on Node on the sandbox: a batch job runs; the product's node shell (srun
 * --overlap --pty through ShellTerminal, over each transport) lands inside the job on its node,
 * follows resizes, passes Ctrl-C to the node's foreground program and ends with the shell's code.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectDirect, sandbox, TRANSPORTS } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sessionRunner } from '../support/schedulerRunner';
import { TerminalDriver } from '../support/terminal';
import { waitUntil } from '../support/wait';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { jobNodes, nodeShell } from '../../src/core/compute/nodeShell';
import type { Job } from '../../src/core/scheduler/types';
import type { DirectConnection } from '../support/sandbox';

const skip = sandboxSkip();

for (const transport of TRANSPORTS) {
  describe(`terminal on a job's node (${transport})`, { skip }, () => {
    let conn: DirectConnection;
    let sched: SlurmScheduler;
    let job: Job;
    before(async () => {
      conn = await connectDirect({ transport });
      sched = new SlurmScheduler(sessionRunner(conn.session));
      const { id } = await sched.submit({ scriptText: '#!/bin/bash\nsleep 120\n', name: 'rhpc node terminal', time: '5', cwd: '/tmp' });
      job = await waitUntil('the job to run', async () => (await sched.list(sandbox().user)).find((j) => j.id === id && j.state === 'RUNNING'), 60_000);
    });
    after(async () => {
      if (job) await sched.cancel([job.id]).catch(() => undefined);
      conn?.close();
    });

    test('the shell runs inside the job on its node; resize, Ctrl-C and the exit code behave as locally', async () => {
      const [node] = jobNodes(sched, job);
      assert.equal(node, sandbox().nodeName);
      const t = new TerminalDriver(conn.session, { start: nodeShell(sched, job, node) });
      await t.open(30, 100);
      t.type('printf "<%s|%s|%s>\\n" "$(hostname)" "$SLURM_JOB_ID" "$(stty size)"\n');
      const [, host, jobId, size] = await t.expect(/<([^|<>]+)\|(\d+)\|(\d+ \d+)>/);
      assert.equal(jobId, job.id, 'inside the job');
      assert.ok(host);
      assert.equal(size, '30 100');
      // srun passes the window change on to the node's pty. Its pty thread sleeps in poll() until a
      // signal wakes it (src/srun/srun_pty.c); a SIGWINCH the kernel hands to another srun thread
      // sets the flag without waking it, so a resize can wait for the next one. Under load that
      // happened once in CI: a second, different resize is then given its own 15 s.
      const nodeSizeBecomes = (rows: number, columns: number) => {
        t.term.resize({ rows, columns });
        return waitUntil(`the resize to ${rows}×${columns} on the node`, async () => {
          const at = t.output.length;
          t.type('printf "[%s]\\n" "$(stty size)"\n');
          const m = await t.expect(/\[(\d+ \d+)\]/, 5_000, at);
          return m[1] === `${rows} ${columns}`;
        }, 15_000, 300).then(() => true, () => false);
      };
      if (!(await nodeSizeBecomes(40, 123))) {
        console.log('the first resize did not reach the node within 15 s; resizing once more');
        assert.ok(await nodeSizeBecomes(41, 124), 'a resize reached the node');
      }
      const mark = t.output.length;
      t.type('echo started; sleep 60\n');
      await t.expect(/started\r?\n/, 30_000, mark);
      t.type('\x03');
      await t.expect(/\^C/, 30_000, mark);
      t.type('echo "rc=$?"\n');
      assert.equal((await t.expect(/rc=(\d+)/, 30_000, mark))[1], '130', 'Ctrl-C interrupted the node\'s sleep, not srun');
      t.type('exit 3\n');
      assert.equal(await t.ended(), 3, "the terminal ends with the node shell's exit code");
      assert.ok(t.released, 'the session lease is released');
      const steps = await conn.session.exec(['squeue', '-h', '-s', '-j', job.id, '-o', '%i']);
      assert.doesNotMatch(steps.stdout.toString(), new RegExp(`^${job.id}\\.0$`, 'm'), 'the srun step ended with the terminal');
    });
  });
}
