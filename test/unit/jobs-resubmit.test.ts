/**
 * Resubmit and Clone and Edit: SLURM's batch script read back (controller, then accounting),
 * the options kept in a job's record, our own submits recorded, and the clone's text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optionsFromAccounting, optionsFromController, parseSacctBatchScript, sacctBatchScriptCommand, scontrolBatchScriptCommand } from '../../src/core/scheduler/slurm/batchScript';
import { parseScontrolJobs } from '../../src/core/scheduler/slurm/scontrol';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { ParseError, SchedulerError, SpecError } from '../../src/core/scheduler/command';
import { answeringRunner, type CommandAnswer } from '../support/answeringRunner';
import { MAX_SCRIPT_BYTES, type JobSubmitSpec, type SubmittedScript } from '../../src/core/scheduler/types';
import { cloneFileName, cloneText, resubmission, resubmissionSummary, SubmitLog } from '../../src/core/jobs/resubmit';
import { LazyScheduler } from '../../src/core/jobs/lazyScheduler';
import { HostSchedulers } from '../../src/core/jobs/schedulers';
import { silentLogger } from '../../src/core/log';
import type { RemoteOpsProvider } from '../../src/core/remote/types';

const fx = (p: string) => readFileSync(join(__dirname, '..', 'fixtures', 'slurm', p), 'utf8');
const SCRIPT = '#!/bin/bash\n#SBATCH --job-name=sim\n#SBATCH --time=10\necho "it\'s $(hostname)"\n';

/** Answers by program and subcommand; records every argv. */
const runner = (answers: Record<string, CommandAnswer>) => answeringRunner(answers, (line) => ({ code: 1, stderr: `no answer for ${line}` }));

const memory = () => {
  const m = new Map<string, unknown>();
  return { get: <T>(k: string, d: T) => (m.has(k) ? (m.get(k) as T) : d), update: async (k: string, v: unknown) => void m.set(k, v) };
};

test('commands are argv with checked ids; sacct\'s copy is read from under its header, NONE is none, size capped', () => {
  assert.deepEqual(scontrolBatchScriptCommand('12_3').argv, ['scontrol', 'write', 'batch_script', '12_3', '-']);
  assert.deepEqual(sacctBatchScriptCommand('7').argv, ['sacct', '-j', '7', '--batch-script']);
  assert.throws(() => scontrolBatchScriptCommand('1; rm -rf ~'), SpecError);
  const rule = '-'.repeat(80);
  assert.equal(parseSacctBatchScript(`Batch Script for 7\n${rule}\n${SCRIPT}\n`), SCRIPT);
  assert.equal(parseSacctBatchScript(`Batch Script for 7\n${rule}\n${SCRIPT}`), SCRIPT);
  assert.equal(parseSacctBatchScript(`Batch Script for 7\n${rule}\nNONE\n`), undefined);
  assert.equal(parseSacctBatchScript(''), undefined);
  assert.equal(parseSacctBatchScript(`Batch Script for 7\n${rule}\n${SCRIPT}Batch Script for 7\n${rule}\nold\n`), SCRIPT);
  assert.throws(() => parseSacctBatchScript('sacct: error: bad\n'), ParseError);
  assert.throws(() => scontrolBatchScriptCommand('1').parse('x'.repeat(MAX_SCRIPT_BYTES + 1), ''), /larger than 1 MiB/);
});

test('options from a controller record (recorded on 22.05): name, partition, account, comment; no limits SLURM filled in', () => {
  const [held, running] = parseScontrolJobs(fx('22.05/scontrol-show-job.txt'));
  assert.deepEqual(optionsFromController(held!), { name: 'held|pipe name', partition: 'debug', account: 'hpc', comment: 'tags=fixture,held' });
  assert.equal(optionsFromController(running!).time, undefined, 'UNLIMITED is the partition\'s, not asked for');
  const [task] = parseScontrolJobs(fx('22.05/scontrol-show-job-array-task.txt'));
  assert.equal(optionsFromController(task!).array, '1', 'a task resubmits as itself');
  const whole = parseScontrolJobs(fx('22.05/scontrol-show-job-array.txt')).find((r) => r.ArrayTaskId?.includes('-'));
  assert.equal(optionsFromController(whole!).array, '1-3%2', 'the tasks still queued, the throttle printed once');
  const rec = { JobName: 'mpi', Partition: 'cpu', TimeLimit: '02:00:00', NumNodes: '4-4', NumTasks: '128', 'CPUs/Task': '2', MinMemoryCPU: '2000M', TresPerNode: 'gres:gpu:a100:2', MinMemoryNode: '0' };
  assert.deepEqual(optionsFromController(rec), { name: 'mpi', partition: 'cpu', time: '02:00:00', nodes: '4', ntasks: 128, cpusPerTask: 2, extraArgs: ['--mem-per-cpu=2000M', '--gres=gpu:a100:2'] });
});

test('options from accounting (recorded): no memory (the default looks the same), GPUs from ReqTRES', () => {
  const text = fx('22.05/sacct-details.txt').split('\n');
  const header = (text[0] as string).split('\x1f');
  const row = (text[1] as string).split('\x1f');
  const rec = Object.fromEntries(header.map((k, i) => [k, row[i] ?? '']));
  assert.deepEqual(optionsFromAccounting(rec), { name: 'fails with 3', partition: 'debug', account: 'hpc' });
  assert.deepEqual(optionsFromAccounting({ Partition: 'gpu', Timelimit: '01:00:00', ReqNodes: '2', ReqTRES: 'billing=1,cpu=8,gres/gpu:h100=2,mem=8G,node=2' }), { partition: 'gpu', time: '01:00:00', nodes: 2, extraArgs: ['--gres=gpu:h100:2'] });
});

test('SlurmScheduler.batchScript: the controller\'s text; accounting\'s once it let go; interactive and purged jobs say why', async () => {
  const [held] = parseScontrolJobs(fx('22.05/scontrol-show-job.txt'));
  const showJob = fx('22.05/scontrol-show-job.txt').split('\n')[0] + '\n';
  const r1 = runner({ 'scontrol show job': { stdout: showJob }, 'scontrol write batch_script': { stdout: SCRIPT } });
  const got = await new SlurmScheduler(r1).batchScript('10');
  assert.deepEqual(got, { text: SCRIPT, options: optionsFromController(held!), cwd: '/home/hpcuser/fixture-rec/dir with space', path: '/home/hpcuser/fixture-rec/dir with space/ok.sh', source: 'controller' });
  assert.deepEqual(r1.calls.map((c) => c.slice(0, 3)), [['scontrol', 'show', 'job'], ['scontrol', 'write', 'batch_script']]);

  const rule = '-'.repeat(80);
  const acct = fx('22.05/sacct-details.txt');
  const r2 = runner({ 'scontrol show job': { code: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' }, 'sacct -j 66 --batch-script': { stdout: `Batch Script for 66\n${rule}\n${SCRIPT}` }, sacct: { stdout: acct } });
  const old = await new SlurmScheduler(r2).batchScript('66');
  assert.equal(old.source, 'accounting');
  assert.equal(old.text, SCRIPT);
  assert.equal(old.cwd, '/home/hpcuser/fixture-rec/dir with space');

  const r3 = runner({ 'scontrol show job': { code: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' }, 'sacct -j 66 --batch-script': { stdout: `Batch Script for 66\n${rule}\nNONE\n` }, sacct: { stdout: acct } });
  await assert.rejects(new SlurmScheduler(r3).batchScript('66'), (e: unknown) => e instanceof SchedulerError && e.kind === 'invalid-job' && /no longer available: .*keeps no copy/.test(e.message));
  const r4 = runner({ 'scontrol show job': { code: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' }, 'sacct -j 66 --batch-script': { stdout: '' }, sacct: { stdout: acct.split('\n')[0] + '\n' } });
  await assert.rejects(new SlurmScheduler(r4).batchScript('66'), /neither the controller nor accounting knows the job/);
  const r5 = runner({ 'scontrol show job': { stdout: showJob.replace('BatchFlag=1', 'BatchFlag=0') } });
  await assert.rejects(new SlurmScheduler(r5).batchScript('10'), /interactive allocation/);
  assert.equal(r5.calls.length, 1, 'no script asked for an allocation');
});

test('resubmission: ours as recorded (no old dependency), a recorded path with the scheduler\'s text, else the scheduler\'s', async () => {
  const kept: SubmittedScript = { text: SCRIPT, options: { partition: 'debug', name: 'sim' }, cwd: '/w', source: 'controller' };
  let asked = 0;
  const sched = { batchScript: async () => (asked++, kept) };
  const text: JobSubmitSpec = { scriptText: 'echo hi\n', cwd: '/a', partition: 'p', dependency: 'afterok:5', env: { K: 'v' } };
  assert.deepEqual(await resubmission(sched, { host: 'h', id: '1', spec: text, at: 0 }, '1'), { spec: { scriptText: 'echo hi\n', cwd: '/a', partition: 'p', env: { K: 'v' } }, text: 'echo hi\n', from: 'recorded' });
  assert.equal(asked, 0);
  const path: JobSubmitSpec = { script: '/a/run.sh', cwd: '/a', time: '5' };
  assert.deepEqual(await resubmission(sched, { host: 'h', id: '1', spec: path, at: 0 }, '1'), { spec: { scriptText: SCRIPT, cwd: '/a', time: '5' }, text: SCRIPT, from: 'recorded' });
  const withArgs: JobSubmitSpec = { script: '/a/run.sh', scriptArgs: ['x y'] };
  assert.deepEqual((await resubmission(sched, { host: 'h', id: '1', spec: withArgs, at: 0 }, '1')).spec, withArgs, 'arguments need the file');
  const theirs = await resubmission(sched, undefined, '1');
  assert.deepEqual(theirs, { spec: { partition: 'debug', name: 'sim', scriptText: SCRIPT, cwd: '/w' }, text: SCRIPT, from: 'controller' });
  assert.equal(resubmissionSummary(theirs), 'partition debug · in /w (as the controller kept it)');
  await assert.rejects(resubmission({}, undefined, '1'), /does not give scripts back, and the job was not submitted from here/);
});

test('clone: the options the script does not set go under its #! line; the script itself unchanged', () => {
  const slurm = new SlurmScheduler(runner({}));
  const out = cloneText(slurm, SCRIPT, { scriptText: SCRIPT, name: 'sim', time: '10', partition: 'gpu', ntasks: 4, cwd: '/w' }, 'job 5 on h');
  assert.equal(out, `#!/bin/bash\n# Cloned from job 5 on h; the options it was submitted with:\n#SBATCH --partition=gpu\n#SBATCH --ntasks=4\n${SCRIPT.slice('#!/bin/bash\n'.length)}`);
  assert.deepEqual(slurm.readDirectives(out), { ...slurm.readDirectives(SCRIPT), partition: 'gpu' });
  assert.equal(cloneText(slurm, 'echo x', {}, 'job 6 on h'), '# Cloned from job 6 on h.\necho x\n');
  assert.equal(cloneFileName({ script: '/a/run.sbatch' }, '5'), 'run-clone.sbatch');
  assert.equal(cloneFileName({ name: '../my sim $(x)' }, '5'), 'my_sim_x_-clone.sh');
  assert.equal(cloneFileName({}, '5'), 'job-5-clone.sh');
  assert.equal(cloneFileName({ name: 'x' }, '5', '/d/ok.sh'), 'ok-clone.sh', 'the file the scheduler names');
});

test('our submits are recorded by host and id (array tasks find their array), newest first, huge texts not kept', async () => {
  const state = memory();
  const log = new SubmitLog(state, () => 42);
  await log.add('h', '5', { scriptText: 'a' });
  await log.add('h', '5', { scriptText: 'b' });
  await log.add('h', '9', { scriptText: 'x'.repeat(300 * 1024) });
  assert.deepEqual(log.get('h', '5'), { host: 'h', id: '5', spec: { scriptText: 'b' }, at: 42 });
  assert.equal(log.get('h', '5_3')?.id, '5');
  assert.equal(log.get('h', '9'), undefined);
  assert.equal(log.get('other', '5'), undefined);
  await state.update('remoteHpc.jobs.submitted', [{ junk: 1 }, 'x']);
  assert.equal(log.get('h', '5'), undefined, 'a bad store reads as empty');
});

test('every submit through a host\'s scheduler reaches onSubmitted with its spec and id', async () => {
  const ops = { run: async (argv: string[]) => ({ code: 0, stdout: Buffer.from(argv[0] === 'sbatch' ? '77\n' : ''), stderr: Buffer.alloc(0) }) };
  const schedulers = new HostSchedulers({ ops: async () => ops } as unknown as RemoteOpsProvider, silentLogger, { choice: () => 'slurm' });
  const seen: [string, string, JobSubmitSpec][] = [];
  const sub = schedulers.onSubmitted((h, id, spec) => seen.push([h, id, spec]));
  const spec = { scriptText: 'echo\n', cwd: '/tmp' };
  assert.equal((await schedulers.scheduler('h').submit(spec)).id, '77');
  sub.dispose();
  await schedulers.scheduler('h').submit(spec);
  assert.deepEqual(seen, [['h', '77', spec]]);
  const lazy = new LazyScheduler(async () => ({}) as never, () => ({ kind: 'x' }) as never);
  await assert.rejects(lazy.batchScript('1'), /does not give batch scripts back/);
});
