/**
 * SLURM parsers on output recorded from the sandbox's real SLURM 22.05.8
 * (test/fixtures/slurm/22.05, made by test/fixtures/slurm/record.ts), plus the argv the
 * command builders produce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSqueue, squeueCommand, SQUEUE_FORMAT } from '../../src/core/scheduler/slurm/squeue';
import { parseSacct, sacctJobsCommand, sacctHistoryCommand, sacctDetailsCommand } from '../../src/core/scheduler/slurm/sacct';
import { parseScontrolJobs, parseKeyValueLine, pickJobRecord, scontrolPingCommand, scontrolShowJobCommand, scontrolHoldCommand } from '../../src/core/scheduler/slurm/scontrol';
import { parseSbatch, sbatchCommand, scancelCommand, SpecError } from '../../src/core/scheduler/slurm/sbatch';
import { ParseError, runCommand, SchedulerError, type CommandRunner } from '../../src/core/scheduler/command';
import { classifySlurmFailure as classifyFailure } from '../../src/core/scheduler/slurm/errors';
import { normaliseState } from '../../src/core/scheduler/slurm/states';
import { checkJobIds, sinceArg } from '../../src/core/scheduler/slurm/fields';
import { taskInSet } from '../../src/core/scheduler/formats';
import { expandOutputPattern } from '../../src/core/scheduler/slurm/outputPattern';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { isTerminal, PARTITION_TIME_LIMIT } from '../../src/core/scheduler/types';
import { parseDependency } from '../../src/core/scheduler/slurm/dependency';
import { groupByArray } from '../../src/core/scheduler/group';

const dir = join(__dirname, '..', 'fixtures', 'slurm', '22.05');
const fx = (name: string) => readFileSync(join(dir, name), 'utf8');
const ids = JSON.parse(fx('ids.json')) as Record<string, string>;
const WD = ids.workDir as string;
const HOSTILE = `it's "q" $(touch x) | 名前 ✓`;

test('squeue (recorded): held, dependency, running, array tasks one by one, hostile names', () => {
  const jobs = parseSqueue(fx('squeue.txt'));
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const held = byId.get(ids.held as string);
  assert.ok(held);
  assert.equal(held.name, 'held|pipe name');
  assert.equal(held.state, 'PENDING');
  assert.equal(held.reason, 'JobHeldUser');
  assert.deepEqual(held.tags, ['fixture', 'held']);
  assert.equal(held.workDir, WD);
  assert.equal(held.priority, 0);
  assert.equal(held.nodes, '');
  assert.equal(held.startTime, undefined);
  assert.equal(held.arrayJobId, undefined);

  assert.equal(byId.get(ids.dependent as string)?.reason, 'Dependency');
  assert.deepEqual(byId.get(ids.dependent as string)?.dependencies, [{ kind: 'afterok', jobId: ids.held }], 'which job it waits for (%E)');
  assert.equal(held.dependencies, undefined, '(null): none');
  assert.equal(byId.get(ids.newline as string)?.name, 'line1\nline2', 'a newline inside a name stays in its record');
  assert.equal(byId.get(ids.hostileHeld as string)?.name, HOSTILE);
  assert.equal(byId.get(ids.hostileHeld as string)?.comment, 'free text; tags=x,y');
  assert.deepEqual(byId.get(ids.hostileHeld as string)?.tags, ['x', 'y']);

  const running = byId.get(ids.running as string);
  assert.equal(running?.state, 'RUNNING');
  assert.equal(running?.nodes, 'vm');
  assert.equal(running?.nodeCount, 1);
  assert.match(running?.startTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.equal(running?.endTime, undefined, 'NONE for an unlimited job');
  assert.equal(running?.timeLimit, 'UNLIMITED');
  assert.equal(running?.comment, 'tags=a,b');

  const tasks = jobs.filter((j) => j.arrayJobId === ids.array);
  assert.deepEqual(tasks.map((t) => t.id).sort(), ['0', '1', '2', '3'].map((t) => `${ids.array}_${t}`));
  assert.deepEqual(tasks.map((t) => t.arrayTaskId).sort(), ['0', '1', '2', '3']);
  assert.ok(tasks.every((t) => t.name === 'arr' && t.comment === '' && t.tags.length === 0));
  assert.ok(jobs.every((j) => j.user === 'hpcuser' && j.partition === 'debug'));
});

test('squeue (recorded): dependencies — several, alternatives, one never met', () => {
  const byId = new Map(parseSqueue(fx('squeue.txt')).map((j) => [j.id, j]));
  const all = byId.get(ids.dependentAll as string);
  assert.deepEqual(all?.dependencies, [
    { kind: 'afterany', jobId: ids.held },
    { kind: 'afterany', jobId: ids.running },
    { kind: 'afternotok', jobId: ids.held },
  ]);
  assert.equal(all?.dependencyAny, undefined);
  const any = byId.get(ids.dependentAny as string);
  assert.deepEqual(any?.dependencies, [
    { kind: 'afterok', jobId: ids.held },
    { kind: 'afterok', jobId: ids.running },
  ]);
  assert.equal(any?.dependencyAny, true);
  const never = byId.get(ids.dependentNever as string);
  assert.equal(never?.reason, 'DependencyNeverSatisfied');
  assert.deepEqual(never?.dependencies, [{ kind: 'afterok', jobId: ids.failed, never: true }]);
});

test('dependency field forms: (null), singleton, +delay, array tasks, several ids in one entry, unknown entries left out', () => {
  assert.equal(parseDependency('(null)'), undefined);
  assert.equal(parseDependency(''), undefined);
  assert.deepEqual(parseDependency('singleton(unfulfilled)'), { dependencies: [{ kind: 'singleton' }], any: false });
  assert.deepEqual(parseDependency('after:41+5(unfulfilled)'), { dependencies: [{ kind: 'after', jobId: '41' }], any: false });
  assert.deepEqual(parseDependency('aftercorr:41_*(unfulfilled)?afterok:42_3(failed)'), {
    dependencies: [
      { kind: 'aftercorr', jobId: '41_*' },
      { kind: 'afterok', jobId: '42_3', never: true },
    ],
    any: true,
  });
  assert.deepEqual(parseDependency('afterany:1:2'), { dependencies: [{ kind: 'afterany', jobId: '1' }, { kind: 'afterany', jobId: '2' }], any: false });
  assert.deepEqual(parseDependency('afterok:$(x)(unfulfilled),afterok:7(unfulfilled)'), { dependencies: [{ kind: 'afterok', jobId: '7' }], any: false });
});

test('squeue (recorded): a started array task gets its own raw id', () => {
  const jobs = parseSqueue(fx('squeue-array-running.txt'));
  const t0 = jobs.find((j) => j.id === `${ids.array}_0`);
  assert.equal(t0?.state, 'RUNNING');
  assert.notEqual(t0?.rawId, ids.array);
  assert.equal(jobs.find((j) => j.id === `${ids.array}_1`)?.rawId, ids.array, 'pending tasks share the parent id');
});

test('sacct (recorded): final states, exit codes, CANCELLED by uid, TIMEOUT, unsplit array tasks, lossy names', () => {
  const jobs = parseSacct(fx('sacct.txt'));
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const done = byId.get(ids.completed as string);
  assert.deepEqual([done?.state, done?.exitCode, done?.signal, done?.name], ['COMPLETED', 0, 0, 'done ok']);
  const failed = byId.get(ids.failed as string);
  assert.deepEqual([failed?.state, failed?.exitCode, failed?.signal], ['FAILED', 3, 0]);
  const timeout = byId.get(ids.timeout as string);
  assert.deepEqual([timeout?.state, timeout?.timeLimit], ['TIMEOUT', '1:00'], 'sacct prints 00:01:00: the one duration format');
  assert.match(timeout?.elapsed ?? '', /^1:\d\d$/);
  const cancelled = byId.get(ids.cancelled as string);
  assert.equal(cancelled?.state, 'CANCELLED');
  assert.match(cancelled?.rawState ?? '', /^CANCELLED by \d+$/);
  assert.equal(cancelled?.cancelledBy, '1001', 'the uid that cancelled it (the sandbox user)');
  assert.equal(byId.get(ids.dependentNever as string)?.timeLimit, PARTITION_TIME_LIMIT, 'Partition_Limit: no limit of its own');
  const held = byId.get(ids.held as string);
  assert.equal(held?.nodes, '', '"None assigned" is no node');
  assert.equal(held?.startTime, undefined);
  assert.equal(held?.name, 'held|pipe name');
  assert.deepEqual(held?.tags, ['fixture', 'held']);
  assert.equal(byId.get(ids.newline as string)?.name, 'line1\nline2');
  // slurmdbd stores `"` as a backquote and (latin1 database) non-ASCII as '?'.
  assert.equal(byId.get(ids.hostile as string)?.name, "it's `q` $(touch x) | ?? ?");
  const group = jobs.find((j) => j.id.startsWith(`${ids.array}_[`));
  assert.equal(group?.arrayJobId, ids.array);
  assert.match(group?.arrayTaskId ?? '', /^\[\d-3%2\]$/);
  assert.ok(group && taskInSet(group.arrayTaskId as string, '3') && taskInSet(group.arrayTaskId as string, '1') && !taskInSet(group.arrayTaskId as string, '4'));
  assert.ok(jobs.every((j) => isTerminal(j.state) && j.workDir === WD));
});

test('sacct details (recorded): header names as keys', () => {
  const cmd = sacctDetailsCommand(ids.failed as string);
  const rec = cmd.parse(fx('sacct-details.txt'), '');
  assert.equal(rec?.JobID, ids.failed);
  assert.equal(rec?.State, 'FAILED');
  assert.equal(rec?.ExitCode, '3:0');
  assert.equal(rec?.WorkDir, WD);
  assert.equal(rec?.JobName, 'fails with 3');
  assert.equal(cmd.parse('JobID\x1fJobIDRaw\x1f' + 'x\x1f'.repeat(31) + '\n', ''), null);
});

test('scontrol show job -o (recorded): every key, values with spaces, |, quotes, unicode and a newline', () => {
  const recs = parseScontrolJobs(fx('scontrol-show-job.txt'));
  assert.equal(recs.length, 8);
  const byId = new Map(recs.map((r) => [r.JobId, r]));
  const held = byId.get(ids.held as string) as Record<string, string>;
  assert.equal(held.JobName, 'held|pipe name');
  assert.equal(held.UserId, 'hpcuser(1001)');
  assert.equal(held.JobState, 'PENDING');
  assert.equal(held.Reason, 'JobHeldUser');
  assert.equal(held.Dependency, '');
  assert.equal(held.WorkDir, WD);
  assert.equal(held.Command, `${WD}/ok.sh`);
  assert.equal(held.Comment, 'tags=fixture,held', 'the trailing pad space is not part of the comment');
  assert.equal(held.StdOut, `${WD}/slurm-${ids.held}.out`);
  assert.equal(held.StdErr, held.StdOut);
  assert.equal(held.TRES, 'cpu=1,mem=23849M,node=1,billing=1');
  assert.equal(held['AllocNode:Sid']?.includes(':'), true);
  assert.equal(held['CPUs/Task'], '1');
  assert.equal(held.Power, '');
  assert.equal(byId.get(ids.hostile as string)?.JobName, HOSTILE);
  assert.equal(byId.get(ids.hostile as string)?.Comment, 'free text; tags=x,y');
  assert.equal(byId.get(ids.hostile as string)?.Command, `${WD}/it's "q" $(x) ✓.sh`);
  assert.equal(byId.get(ids.newline as string)?.JobName, 'line1\nline2');
  assert.equal(byId.get(ids.output as string)?.StdOut, `${WD}/out-named out-${ids.output}.txt`);
  assert.equal(byId.get(ids.output as string)?.StdErr, `${WD}/err-${ids.output}.txt`);
  assert.equal(byId.get(ids.failed as string)?.ExitCode, '3:0');
  assert.equal(byId.get(ids.failed as string)?.Reason, 'NonZeroExitCode');
  const arr = byId.get(ids.array as string) as Record<string, string>;
  assert.equal(arr.ArrayTaskId, '0-3%2');
  assert.equal(arr.ArrayTaskThrottle, '2');
  for (const r of recs) assert.ok(Object.keys(r).length >= 55, `${r.JobId}: ${Object.keys(r).length} keys`);
});

test('scontrol show job (recorded): array task records; pick the one asked for', () => {
  const task = parseScontrolJobs(fx('scontrol-show-job-array-task.txt'));
  assert.equal(task.length, 1);
  assert.equal(task[0]?.ArrayTaskId, '1');
  assert.equal(task[0]?.StdOut, `${WD}/slurm-${ids.array}_1.out`);
  const all = parseScontrolJobs(fx('scontrol-show-job-array.txt'));
  assert.equal(all.length, 2);
  assert.equal(pickJobRecord(all, `${ids.array}_0`)?.ArrayTaskId, '0');
  assert.equal(pickJobRecord(all, ids.array as string)?.ArrayTaskId, '1-3%2');
  assert.match(pickJobRecord(all, ids.array as string)?.StdOut ?? '', /_4294967294\.out$/, 'the whole array prints task NO_VAL');
  assert.deepEqual(parseScontrolJobs('No jobs in the system\n'), []);
  assert.throws(() => parseScontrolJobs('garbage\n'), ParseError);
});

test('scontrol key/value parsing: fake keys inside free text do not split values', () => {
  const line =
    'JobId=5 JobName=a UserId=evil Comment=x UserId=hpcuser(1001) GroupId=g(1) MCS_label=N/A Priority=1 Nice=0 Account=a QOS=normal JobState=RUNNING Reason=None Dependency=(null) ' +
    'Command=/p/run StdOut=/fake JobName=z WorkDir=/home/u/a b Comment=tags=a,b StdErr=/x  StdErr=/e StdIn=/dev/null StdOut=/o Power= ';
  const r = parseKeyValueLine(line);
  assert.equal(r.JobName, 'a UserId=evil Comment=x');
  assert.equal(r.UserId, 'hpcuser(1001)');
  assert.equal(r.Command, '/p/run StdOut=/fake JobName=z');
  assert.equal(r.WorkDir, '/home/u/a b');
  assert.equal(r.Comment, 'tags=a,b StdErr=/x');
  assert.equal(r.StdErr, '/e');
  assert.equal(r.StdOut, '/o');
  assert.equal(r.Power, '');
  assert.throws(() => parseKeyValueLine(' no key'), ParseError);
});

test('scontrol show job -o in 23.x–25.x layout (synthesised from the sources): new keys, ReqTRES/AllocTRES, no Power', () => {
  const recs = parseScontrolJobs(readFileSync(join(dir, '..', 'synthesised', 'scontrol-show-job-24.11.txt'), 'utf8'));
  assert.equal(recs.length, 2);
  const [a, b] = recs as [Record<string, string>, Record<string, string>];
  assert.equal(a.JobName, 'train model v2');
  assert.equal(a.ReqTRES, 'cpu=4,mem=16G,node=1,billing=4,gres/gpu=1');
  assert.equal(a.AllocTRES, 'cpu=4,mem=16G,node=1,billing=4,gres/gpu=1');
  assert.equal(a.Comment, 'tags=ml,v2');
  assert.equal(a.Extra, 'k=v');
  assert.equal(a.StdOut, '/scratch/u/run one/train-1001.out');
  assert.equal(a.TresPerNode, 'gres/gpu:1');
  assert.equal(a.MailUser, 'u@example.org');
  assert.equal(a.JOB_GRES, 'gpu:a100:1');
  assert.equal(a.Nodes, 'gpu01');
  assert.equal(a.GRES, 'gpu:a100:1(IDX:0)');
  assert.equal(a.Power, undefined);
  assert.equal(b.CrontabSpec, '"*/5 * * * *"');
  assert.equal(b.CronJob, 'Yes');
  assert.equal(b.OOMKillStep, '0');
});

test('ping (recorded): UP exits 0; DOWN exits 1 and is an answer, not an error', () => {
  const cmd = scontrolPingCommand();
  assert.deepEqual(cmd.argv, ['scontrol', 'ping']);
  assert.deepEqual(cmd.parse(fx('scontrol-ping.txt'), ''), { up: true, message: 'Slurmctld(primary) at vm is UP' });
  assert.deepEqual(cmd.parse(fx('scontrol-ping-down.txt'), ''), { up: false, message: 'Slurmctld(primary) at vm is DOWN' });
  assert.deepEqual(cmd.acceptCodes, [1]);
  assert.deepEqual(cmd.parse('Slurmctld(primary) at a is DOWN\nSlurmctld(backup) at b is UP\n', ''), {
    up: true,
    message: 'Slurmctld(primary) at a is DOWN; Slurmctld(backup) at b is UP',
  });
  assert.throws(() => cmd.parse('what?\n', ''), ParseError);
});

test('errors (recorded stderr) map to kinds', () => {
  const unreachable = fx('squeue-unreachable.stderr').replace(/^#.*\n/, '');
  const e1 = classifyFailure('squeue', 1, unreachable);
  assert.equal(e1.kind, 'unreachable');
  assert.equal(e1.message, 'squeue: slurm_load_jobs error: Unable to contact slurm controller (connect failure)');
  assert.equal(classifyFailure('scontrol', 1, fx('scontrol-show-job-invalid.stderr')).kind, 'invalid-job');
  assert.equal(classifyFailure('scontrol', 1, 'Job 44_1 not found\n').kind, 'invalid-job');
  const rejected = classifyFailure('sbatch', 1, 'sbatch: error: Batch job submission failed: Invalid partition name specified\n');
  assert.equal(rejected.kind, 'rejected');
  assert.equal(rejected.message, 'sbatch: error: Batch job submission failed: Invalid partition name specified', 'the command is named once');
  // slurm_strerror texts sbatch prints after "Batch job submission failed: " (22.05), and the option each is about.
  const refusedOption = (text: string) => classifyFailure('sbatch', 1, `sbatch: error: Batch job submission failed: ${text}\n`).option;
  assert.deepEqual(
    [
      'Invalid partition name specified',
      'Invalid account or account/partition combination specified',
      'Requested time limit is invalid (missing or exceeds some limit)',
      'Job dependency problem',
      'Invalid job array specification',
      'Invalid generic resource (gres) specification',
      'Invalid qos specification',
      "Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)",
      'Requested node configuration is not available',
    ].map(refusedOption),
    ['partition', 'account', 'time', 'dependency', 'array', 'gpus', 'extraArgs', undefined, undefined],
  );
  assert.equal(classifyFailure('scontrol', 1, 'scontrol: error: Invalid partition name specified\n').option, undefined, 'only submits name options');
  assert.equal(classifyFailure('squeue', 127, 'bash: squeue: command not found\n').kind, 'not-found');
  assert.equal(fx('scancel-finished.stderr'), '# exit code 0\n', 'scancel of a finished job: silent success in 22.05');
});

test('sbatch --parsable (recorded) and the submit argv', () => {
  assert.deepEqual(parseSbatch(fx('sbatch-parsable.txt')), { id: ids.held });
  assert.deepEqual(parseSbatch('123;cluster2\n'), { id: '123', cluster: 'cluster2' });
  assert.deepEqual(parseSbatch('note from a job_submit plugin\n77\n'), { id: '77' });
  assert.throws(() => parseSbatch('Submitted batch job 5\n'), ParseError);

  const cmd = sbatchCommand({
    script: '/home/u/my dir/run.sh',
    scriptArgs: ['--x', 'a b'],
    name: 'n|m "q"',
    partition: 'debug',
    account: 'acct',
    time: '1-02:00:00',
    nodes: 2,
    ntasks: 4,
    cpusPerTask: 2,
    mem: '4G',
    gpus: 'a100:2',
    array: '0-9%2',
    output: '%x-%A_%a.out',
    error: '%x-%A_%a.err',
    comment: 'hello',
    tags: ['a', 'b'],
    nice: 5,
    dependency: 'afterok:12:13',
    chdir: '/w',
    hold: true,
    env: { FOO: 'x,y z' },
    extraArgs: ['--qos=high', '--exclusive'],
    cwd: '/w',
  });
  assert.deepEqual(cmd.argv, [
    'sbatch',
    '--parsable',
    '--job-name=n|m "q"',
    '--partition=debug',
    '--account=acct',
    '--time=1-02:00:00',
    '--nodes=2',
    '--ntasks=4',
    '--cpus-per-task=2',
    '--mem=4G',
    '--gres=gpu:a100:2',
    '--array=0-9%2',
    '--output=%x-%A_%a.out',
    '--error=%x-%A_%a.err',
    '--comment=hello; tags=a,b',
    '--nice=5',
    '--dependency=afterok:12:13',
    '--chdir=/w',
    '--hold',
    '--qos=high',
    '--exclusive',
    '/home/u/my dir/run.sh',
    '--x',
    'a b',
  ]);
  assert.deepEqual(cmd.env, { FOO: 'x,y z' });
  assert.equal(cmd.cwd, '/w');
  assert.deepEqual(sbatchCommand({ scriptText: '#!/bin/bash\ntrue\n', gpus: 1, gpuFlag: 'gpus' }).argv, ['sbatch', '--parsable', '--gpus=1']);
  assert.equal(sbatchCommand({ scriptText: 'x' }).stdin, 'x');
  for (const bad of [
    {},
    { script: 'a', scriptText: 'b' },
    { scriptText: 'x', scriptArgs: ['a'] },
    { scriptText: 'x', time: '1 hour' },
    { scriptText: 'x', mem: 'lots' },
    { scriptText: 'x', array: '1-' },
    { scriptText: 'x', dependency: 'after 1' },
    { scriptText: 'x', nodes: 0 },
    { scriptText: 'x', tags: ['a,b'] },
    { scriptText: 'x', extraArgs: ['qos=1'] },
    { scriptText: 'x', name: 'a\nb' },
    { scriptText: 'x', env: { 'A-B': '1' } },
  ]) {
    assert.throws(() => sbatchCommand(bad), SpecError, JSON.stringify(bad));
  }
});

test('command argv: -u not --me, -r for array tasks, -S always, ids validated', () => {
  assert.deepEqual(squeueCommand('hpcuser').argv, ['squeue', '-h', '-r', '--local', '-u', 'hpcuser', '-o', SQUEUE_FORMAT]);
  assert.deepEqual(squeueCommand('hpcuser', { federation: true }).argv, ['squeue', '-h', '-r', '-u', 'hpcuser', '-o', SQUEUE_FORMAT]);
  assert.deepEqual(squeueCommand('u').env, { SLURM_TIME_FORMAT: 'standard' });
  assert.ok(!squeueCommand('u').argv.includes('--me') && !squeueCommand('u').argv.includes('--json'));
  const sacct = sacctJobsCommand(['1', '2_3'], 2).argv;
  assert.deepEqual(sacct.slice(0, 7), ['sacct', '-n', '-X', '-p', '--delimiter=\x1f', '-S', 'now-2days']);
  assert.deepEqual(sacct.slice(-2), ['-j', '1,2_3']);
  assert.deepEqual(sacctHistoryCommand(0.5, 'bob').argv.slice(5, 7), ['-S', 'now-12hours']);
  assert.deepEqual(sacctHistoryCommand(1, 'bob').argv.slice(-2), ['-u', 'bob']);
  assert.deepEqual(scontrolShowJobCommand('12_3').argv, ['scontrol', 'show', 'job', '-o', '12_3']);
  assert.deepEqual(scontrolHoldCommand(['1', '2']).argv, ['scontrol', 'hold', '1,2']);
  assert.deepEqual(scancelCommand(['5', '6_1'], { arrayTask: 2 }).argv, ['scancel', '5_2', '6_1']);
  for (const bad of ['', '-1', '1;rm', '1 2', '$(x)', 'abc']) assert.throws(() => checkJobIds([bad]), /job id/, bad);
  assert.throws(() => checkJobIds([]), /No job ids/);
  assert.throws(() => squeueCommand('-x'), /user/);
  assert.throws(() => sinceArg(-1));
});

test('parsers refuse malformed output with the offending line', () => {
  assert.throws(() => parseSqueue('1\x1fRUNNING\x1e\n'), (e: unknown) => e instanceof ParseError && e.line === '1\x1fRUNNING' && /expected 21 fields/.test(e.message));
  const good = fx('squeue.txt').split('\x1e\n')[0] as string;
  assert.throws(() => parseSqueue(`${good.replace('PENDING', 'DANCING')}\x1e\n`), /unknown job state "DANCING"/);
  assert.throws(() => parseSqueue(`${good}`), /not terminated/);
  assert.throws(() => parseSacct('x\x1f'.repeat(18) + '\n'), /job id expected/);
  const acct = fx('sacct.txt').split('\x1f\n')[0] as string;
  assert.throws(() => parseSacct(`${acct.replace('0:0', '0-0')}\x1f\n`), /ExitCode is not code:signal/);
  assert.deepEqual(parseSqueue(''), []);
  assert.deepEqual(parseSacct(''), []);
});

test('state normalisation: long, compact, "by uid", truncated, unknown', () => {
  assert.equal(normaliseState('CANCELLED by 1000'), 'CANCELLED');
  assert.equal(normaliseState('OUT_OF_MEMORY'), 'OUT_OF_MEMORY');
  assert.equal(normaliseState('OUT_OF_ME+'), 'OUT_OF_MEMORY');
  assert.equal(normaliseState('PD'), 'PENDING');
  assert.equal(normaliseState('CG'), 'COMPLETING');
  assert.equal(normaliseState('REQUEUE_HOLD'), 'REQUEUED');
  assert.equal(normaliseState('NODE_FAIL'), 'NODE_FAIL');
  assert.equal(normaliseState('PREEMPTED'), 'PREEMPTED');
  assert.equal(normaliseState('BOOT_FAIL'), 'BOOT_FAIL');
  assert.equal(normaliseState('DEADLINE'), 'DEADLINE');
  assert.equal(normaliseState('sleepy'), 'UNKNOWN');
  assert.ok(isTerminal('TIMEOUT') && !isTerminal('COMPLETING') && !isTerminal('REQUEUED'));
});

test('output patterns expand like sbatch does', () => {
  const ctx = { jobId: '128', user: 'u', name: 'my job', node: 'c1', workDir: '/w' };
  assert.equal(expandOutputPattern('job%j.out', ctx), '/w/job128.out');
  assert.equal(expandOutputPattern('job%4j.out', ctx), '/w/job0128.out');
  assert.equal(expandOutputPattern('/abs/%x-%u-%N-%%.txt', ctx), '/abs/my job-u-c1-%.txt');
  assert.equal(expandOutputPattern('slurm-%A_%a.out', { ...ctx, jobId: '130', arrayJobId: '128', arrayTaskId: '2' }), '/w/slurm-128_2.out');
  assert.equal(expandOutputPattern('\\%j.out', ctx), '/w/%j.out');
});

test('SlurmScheduler on canned output: one command per call; outputPaths falls back to what it saw, then to defaults', async () => {
  const calls: string[][] = [];
  const replies = new Map<string, { code: number; stdout: string; stderr?: string }>();
  const runner: CommandRunner = {
    run: async (argv) => {
      calls.push(argv);
      const key = argv.slice(0, 2).join(' ');
      const r = replies.get(key) ?? { code: 1, stdout: '', stderr: `no reply for ${key}` };
      return { code: r.code, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr ?? '') };
    },
  };
  const s = new SlurmScheduler(runner);
  replies.set('squeue -h', { code: 0, stdout: fx('squeue.txt') });
  assert.equal((await s.list('hpcuser')).length, parseSqueue(fx('squeue.txt')).length);
  replies.set('sacct -n', { code: 0, stdout: fx('sacct.txt') });
  assert.equal((await s.finalState(['1', '2'])).length, parseSacct(fx('sacct.txt')).length);
  assert.deepEqual(await s.finalState([]), []);
  replies.set('scontrol show', { code: 0, stdout: fx('scontrol-show-job.txt') });
  assert.deepEqual(await s.outputPaths(ids.output as string), { stdout: `${WD}/out-named out-${ids.output}.txt`, stderr: `${WD}/err-${ids.output}.txt` });
  replies.set('scontrol show', { code: 1, stdout: '', stderr: fx('scontrol-show-job-invalid.stderr') });
  assert.deepEqual(await s.outputPaths(ids.output as string), { stdout: `${WD}/out-named out-${ids.output}.txt`, stderr: `${WD}/err-${ids.output}.txt` }, 'remembered');
  replies.set('sacct -X', { code: 0, stdout: fx('sacct-details.txt') });
  assert.deepEqual(await s.outputPaths(ids.failed as string), { stdout: `${WD}/slurm-${ids.failed}.out`, guessed: true });
  assert.equal((await s.details(ids.failed as string)).sections[0]?.fields.State, 'FAILED');
  replies.set('squeue -h', { code: 1, stdout: '', stderr: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n' });
  await assert.rejects(s.list('hpcuser'), (e: unknown) => e instanceof SchedulerError && e.kind === 'unreachable');
  await assert.rejects(s.submit({ scriptText: 'x', time: 'never' }), SpecError);
  const n = calls.length;
  await assert.rejects(s.cancel(['$(x)']));
  assert.equal(calls.length, n, 'nothing ran');
  const timeoutRunner: CommandRunner = { run: async () => Promise.reject(new Error('Command timed out after 5 ms: squeue')) };
  await assert.rejects(runCommand(timeoutRunner, squeueCommand('u'), { classify: classifyFailure }), (e: unknown) => e instanceof SchedulerError && e.kind === 'timeout');
  // The agent runs programs without a shell: a host without SLURM answers ENOENT, not exit 127.
  const noSlurm: CommandRunner = { run: async () => Promise.reject(Object.assign(new Error('run: No such file or directory: squeue'), { code: 'ENOENT' })) };
  await assert.rejects(runCommand(noSlurm, squeueCommand('u'), { classify: classifyFailure }), (e: unknown) => e instanceof SchedulerError && e.kind === 'not-found' && e.command === 'squeue');
});

test('synthesised (not recorded) sacct/squeue with states the sandbox cannot produce', () => {
  const syn = (n: string) => readFileSync(join(dir, '..', 'synthesised', n), 'utf8');
  const acct = parseSacct(syn('sacct-20.11.txt'));
  assert.deepEqual(
    acct.map((j) => `${j.id}:${j.state}:${j.exitCode}:${j.signal}`),
    ['501:CANCELLED:0:15', '502:OUT_OF_MEMORY:0:125', '503:NODE_FAIL:1:0', '504:PREEMPTED:0:15', '505:BOOT_FAIL:0:0', '506:DEADLINE:0:0', '507_2:REQUEUED:0:0', '510:SUSPENDED:0:0'],
  );
  assert.equal(acct[2]?.nodes, 'n[3-4]');
  assert.equal(acct[2]?.nodeCount, 2);
  assert.equal(acct[5]?.nodes, '');
  assert.deepEqual([acct[6]?.arrayJobId, acct[6]?.arrayTaskId, acct[6]?.rawId], ['507', '2', '509']);
  const q = parseSqueue(syn('squeue-20.11.txt'));
  assert.deepEqual(q.map((j) => j.state), ['COMPLETING', 'SUSPENDED', 'CONFIGURING', 'PENDING', 'PENDING']);
  assert.equal(q[3]?.reason, 'launch_failed_requeued_held');
  assert.equal(q[4]?.nice, -100);
  assert.equal(q[4]?.priority, 5000);
  assert.equal(q[4]?.timeLimit, '1-00:00:00');
});

test('array tasks from the recorded squeue group under their parent', () => {
  const groups = groupByArray(parseSqueue(fx('squeue-array-running.txt')));
  const arr = groups.find((g) => g.id === ids.array);
  assert.ok(arr?.tasks);
  assert.deepEqual(arr.tasks.map((t) => t.arrayTaskId), ['0', '1', '2', '3']);
  assert.equal(arr.state, 'RUNNING');
  assert.deepEqual(arr.counts, { RUNNING: 1, PENDING: 3 });
  assert.equal(arr.name, 'arr');
  const held = groups.find((g) => g.id === ids.held);
  assert.equal(held?.job?.name, 'held|pipe name');
  assert.equal(groups.length, parseSqueue(fx('squeue-array-running.txt')).length - 3);
});

test('sacct (recorded): a placeholder record (name "allocation", no partition or work dir) is left out until the real one exists', () => {
  const placeholder = fx('sacct-placeholder.txt');
  const first = fx('sacct.txt').split('\n')[0] + '\n';
  // eslint-disable-next-line no-control-regex -- \x1f is sacct's field separator here
  assert.match(placeholder, /\x1fhpcuser\x1f.*\x1fallocation\x1f\n$/, 'the recording has a user and the name "allocation"');
  assert.equal(parseSacct(first).length, 1);
  assert.deepEqual(parseSacct(placeholder), []);
  assert.deepEqual(parseSacct(placeholder + first).map((j) => j.name), [parseSacct(first)[0]?.name]);
});
