/** Open Terminal on Node without a cluster: host lists, the srun argv, which jobs can be attached. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandHostlist } from '../../src/core/scheduler/slurm/hostlist';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { SpecError } from '../../src/core/scheduler/command';
import { cannotReach, jobNodes, nodeShell, USER_SHELL } from '../../src/core/compute/nodeShell';
import { job as baseJob } from '../support/jobs';
import type { Session } from '../../src/core/ssh/session';

const sched = new SlurmScheduler({ run: async () => assert.fail('no command runs') });

test('host lists expand as SLURM prints them: ranges, padding, several groups, plain names', () => {
  assert.deepEqual(expandHostlist('vm'), ['vm']);
  assert.deepEqual(expandHostlist('c[1-3,7]'), ['c1', 'c2', 'c3', 'c7']);
  assert.deepEqual(expandHostlist('gpu[08-10]-ib'), ['gpu08', 'gpu09', 'gpu10'].map((n) => `${n}-ib`));
  assert.deepEqual(expandHostlist('r[1-2]n[1-2]'), ['r1n1', 'r1n2', 'r2n1', 'r2n2']);
  assert.deepEqual(expandHostlist('login1,c[01-02],big'), ['login1', 'c01', 'c02', 'big']);
  assert.deepEqual(expandHostlist(''), []);
  // Not well formed: kept as one name rather than dropped.
  assert.deepEqual(expandHostlist('c[1-'), ['c[1-']);
  assert.deepEqual(expandHostlist('c[3-1]'), ['c[3-1]']);
});

test('the attach argv: one word per option, the node named, hostile ids and names refused', () => {
  assert.deepEqual(sched.attachCommand('42', ['bash']), ['srun', '--jobid=42', '--overlap', '--pty', '--nodes=1', '--ntasks=1', '--', 'bash']);
  assert.deepEqual(sched.attachCommand('42', USER_SHELL, { node: 'c07' }).slice(6), ['--nodelist=c07', '--', ...USER_SHELL]);
  for (const id of ['42; rm -rf ~', '$(id)', '-1', '42_3', '']) assert.throws(() => sched.attachCommand(id, ['sh']), SpecError, id);
  for (const node of ['c1,c2', '-w', 'a b', '$(id)', 'x\nTERM']) assert.throws(() => sched.attachCommand('42', ['sh'], { node }), SpecError, node);
});

const job = (over: Parameters<typeof baseJob>[0]) => baseJob({ id: '42', nodes: 'c[1-2]', ...over });

test('only a running job with nodes is attached; an array task by its own raw id', async () => {
  assert.equal(cannotReach(job({})), undefined);
  assert.match(cannotReach(job({ state: 'PENDING', nodes: '' })) ?? '', /pending/);
  assert.match(cannotReach(job({ state: 'COMPLETED' })) ?? '', /completed/);
  assert.match(cannotReach(undefined) ?? '', /not in the Jobs view/);
  assert.deepEqual(jobNodes(sched, job({})), ['c1', 'c2']);
  const spawned: { argv: readonly string[]; pty: unknown }[] = [];
  const session = { spawn: async (argv: readonly string[], o: { pty?: unknown }) => (spawned.push({ argv, pty: o.pty }), {}) } as unknown as Session;
  await nodeShell(sched, job({ id: '40_3', rawId: '44' }), 'c2')(session, { rows: 5, cols: 7 });
  assert.deepEqual(spawned[0]?.argv.slice(0, 2), ['srun', '--jobid=44']);
  assert.ok(spawned[0]?.argv.includes('--nodelist=c2'));
  assert.deepEqual(spawned[0]?.pty, { rows: 5, cols: 7 });
});

test('the interactive allocation argv: options one word each, one task on one node, the command after --', () => {
  const argv = sched.interactiveCommand({ partition: 'gpu', time: '1:00:00', cpusPerTask: 4, mem: '8G', gpus: 1, name: `it's $(x)` }, USER_SHELL);
  assert.deepEqual(argv, ['srun', `--job-name=it's $(x)`, '--partition=gpu', '--time=1:00:00', '--cpus-per-task=4', '--mem=8G', '--gres=gpu:1', '--nodes=1', '--ntasks=1', '--pty', '--', ...USER_SHELL]);
  assert.throws(() => sched.interactiveCommand({ time: 'soon' }, USER_SHELL), SpecError);
  assert.throws(() => sched.interactiveCommand({ mem: '8 GB' }, USER_SHELL), SpecError);
});
