/**
 * Resubmit on the sandbox's SLURM: a script submitted with command-line options comes back from
 * `scontrol write batch_script` byte for byte, with its options from the job's record; submitting
 * that again runs the same script (the same output); accounting's copy (`sacct --batch-script`)
 * is the same text; an interactive allocation has none and says so; a clone carries the options.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { sh } from '../support/shell';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { runCommand } from '../../src/core/scheduler/command';
import { classifySlurmFailure } from '../../src/core/scheduler/slurm/errors';
import { sacctBatchScriptCommand } from '../../src/core/scheduler/slurm/batchScript';
import { cloneText, resubmission } from '../../src/core/jobs/resubmit';

const skip = sandboxSkip();

let session: Awaited<ReturnType<typeof reconnectingSession>>['session'];
let close: () => void;
let sched: SlurmScheduler;
let dir: string;
const ids: string[] = [];

// Quotes, $(), a non-ASCII name and a #SBATCH line of its own: all must come back unchanged.
const SCRIPT = '#!/bin/bash\n#SBATCH --comment="keep; tags=re"\n# naïve café $(not run)\necho "ran $SLURM_JOB_NAME in $PWD with $SLURM_NTASKS tasks: it\'s ok"\n';

before(async () => {
  if (skip) return;
  ({ session, close } = await reconnectingSession());
  sched = new SlurmScheduler(sessionRunner(session));
  const home = await sh(session, 'printf %s "$HOME"');
  dir = `${home}/rhpc-resubmit ${process.pid}`;
  await session.exec(['mkdir', '-p', dir]);
});

after(async () => {
  if (skip) return;
  await sched.cancel(ids).catch(() => undefined);
  await session.exec(['rm', '-rf', dir]);
  close();
});

const output = (id: string) => `${dir}/out-${id}.txt`;
const read = async (path: string) => (await session.exec(['cat', path])).stdout.toString('utf8');

test('scontrol write batch_script round trip; Resubmit runs the same script with the same options', { skip }, async () => {
  const { id } = await sched.submit({ scriptText: SCRIPT, cwd: dir, name: 'rhpc re ü', partition: sandbox().partition, time: '3', ntasks: 2, output: `${dir}/out-%j.txt` });
  ids.push(id);
  const t0 = Date.now();
  const kept = await sched.batchScript(id);
  const ms = Date.now() - t0;
  assert.equal(kept.source, 'controller');
  assert.equal(kept.text, SCRIPT, 'the script byte for byte');
  assert.equal(kept.cwd, dir);
  // The account is the user's default one, as the record names it.
  assert.deepEqual(kept.options, { name: 'rhpc re ü', partition: sandbox().partition, account: 'hpc', time: '00:03:00', ntasks: 2, comment: 'keep; tags=re' });
  console.log(`# batch script and options of job ${id}: ${ms} ms (scontrol show job + write batch_script)`);

  const r = await resubmission(sched, undefined, id);
  assert.equal(r.from, 'controller');
  const again = await sched.submit(r.spec);
  ids.push(again.id);
  assert.notEqual(again.id, id);
  const copy = await sched.batchScript(again.id);
  assert.equal(copy.text, SCRIPT);
  assert.deepEqual(copy.options, kept.options);
  // The new job writes its own output (SLURM's default name in the same folder), not over the old one.
  const first = await waitUntil('the first job\'s output', () => read(output(id)).then((t) => t || undefined, () => undefined), 60_000, 300);
  const second = await waitUntil('the resubmitted job\'s output', () => read(`${dir}/slurm-${again.id}.out`).then((t) => t || undefined, () => undefined), 60_000, 300);
  assert.equal(first, `ran rhpc re ü in ${dir} with 2 tasks: it's ok\n`);
  assert.equal(second, first, 'the same script, name, folder and task count');

  // Accounting's copy is the same text (what Resubmit uses once the controller let the job go).
  const acct = await waitUntil('accounting\'s copy', () => runCommand(sessionRunner(session), sacctBatchScriptCommand(id), { classify: classifySlurmFailure }), 30_000, 300);
  assert.equal(acct, SCRIPT);

  // A clone: the options as directive lines, read back by the same parser.
  const clone = cloneText(sched, kept.text, r.spec, `job ${id}`);
  assert.deepEqual(sched.readDirectives(clone), { name: 'rhpc re ü', partition: sandbox().partition, account: 'hpc', time: '00:03:00', comment: 'keep; tags=re' });
  assert.match(clone, /^#!\/bin\/bash\n# Cloned from job \d+; the options it was submitted with:\n#SBATCH --job-name="rhpc re ü"\n/);
});

test('an interactive allocation has no batch script: a clear message, not an empty file', { skip }, async () => {
  await assert.rejects(sched.batchScript('999999'), /no longer available: neither the controller nor accounting knows the job/);
  // salloc's job: BatchFlag=0.
  const alloc = await sh(session, `salloc --no-shell --time=1 --job-name=rhpc-alloc -p ${sandbox().partition} 2>&1 | sed -n 's/.*Granted job allocation \\([0-9]*\\).*/\\1/p'`);
  assert.match(alloc.trim(), /^\d+$/, alloc);
  ids.push(alloc.trim());
  await assert.rejects(sched.batchScript(alloc.trim()), /interactive allocation/);
});
