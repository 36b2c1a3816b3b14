import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkDependency,
  checkExtraArgs,
  checkTime,
  commentWithoutTags,
  defaultsFor,
  parseNice,
  parseTags,
  resolveSubmit,
  scriptOnlyText,
  scriptSubmitSpec,
  timeLimitText,
  submitWords,
} from '../../src/core/jobs/submitOptions';
import { sbatchCommand } from '../../src/core/scheduler/slurm/sbatch';
import { parseSbatchDirectives } from '../../src/core/scheduler/slurm/directives';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { splitShellWords } from '../../src/core/scheduler/shellWords';

const slurm = new SlurmScheduler({ run: () => Promise.reject(new Error('no commands in these tests')) });

test('defaults: "*" for every host, overlaid by the host entry; extra args add up; junk ignored', () => {
  const setting = {
    '*': { account: 'proj', extraArgs: ['--qos=normal'] },
    hpc: { partition: 'debug', time: '1:00:00', extraArgs: '--mail-type=END --exclusive' },
    other: 'nonsense',
  };
  assert.deepEqual(defaultsFor(setting, 'hpc'), {
    account: 'proj',
    partition: 'debug',
    time: '1:00:00',
    extraArgs: ['--qos=normal', '--mail-type=END', '--exclusive'],
  });
  assert.deepEqual(defaultsFor(setting, 'other'), { account: 'proj', extraArgs: ['--qos=normal'] });
  assert.deepEqual(defaultsFor(undefined, 'hpc'), {});
  assert.deepEqual(defaultsFor({ hpc: { partition: '  ', time: 5 } }, 'hpc'), {});
});

test('shell words: quotes, escapes, comments', () => {
  assert.deepEqual(splitShellWords(`--a=1 "b c" 'd "e"' f\\ g # comment`), ['--a=1', 'b c', 'd "e"', 'f g']);
  assert.deepEqual(splitShellWords('--x="a#b"'), ['--x=a#b']);
  assert.deepEqual(splitShellWords('   '), []);
});

test('#SBATCH directives: long, short, separate values; stops at the first command', () => {
  const script = [
    '#!/bin/bash',
    '#SBATCH --job-name="my job"',
    '#SBATCH -p gpu',
    '#SBATCH --account proj1  # the grant',
    '#SBATCH -t1:00:00',
    '#SBATCH --comment="note; tags=a,b"',
    '#SBATCH --nice',
    '',
    '# plain comment',
    'echo hi',
    '#SBATCH --partition=ignored',
  ].join('\n');
  assert.deepEqual(parseSbatchDirectives(script), {
    name: 'my job',
    partition: 'gpu',
    account: 'proj1',
    time: '1:00:00',
    comment: 'note; tags=a,b',
    nice: 100,
  });
});

test('precedence: you > script > defaults; script-set options are not repeated', () => {
  const defaults = { partition: 'debug', account: 'proj', time: '30', extraArgs: ['--qos=low'] };
  const directives = parseSbatchDirectives('#!/bin/bash\n#SBATCH -p gpu\n#SBATCH --comment="x; tags=old"\n');
  const r = resolveSubmit(defaults, directives, {});
  assert.deepEqual([r.partition, r.account, r.time, r.tags], [
    { value: 'gpu', source: 'script' },
    { value: 'proj', source: 'default' },
    { value: '30', source: 'default' },
    { value: ['old'], source: 'script' },
  ]);
  const spec = scriptSubmitSpec('/home/a/run.sh', '/home/a', r, directives);
  assert.deepEqual(spec, { script: '/home/a/run.sh', cwd: '/home/a', account: 'proj', time: '30', extraArgs: ['--qos=low'] });

  const r2 = resolveSubmit(defaults, directives, { partition: 'long', tags: ['new', 'x2'], nice: 10, extraArgs: [] });
  const spec2 = scriptSubmitSpec('/home/a/run.sh', '/home/a', r2, directives);
  assert.equal(spec2.partition, 'long');
  assert.equal(spec2.comment, 'x; tags=new,x2');
  assert.equal(spec2.nice, 10);
  assert.equal(spec2.extraArgs, undefined);
  assert.deepEqual(sbatchCommand(spec2).argv, [
    'sbatch',
    '--parsable',
    '--partition=long',
    '--account=proj',
    '--time=30',
    '--comment=x; tags=new,x2',
    '--nice=10',
    '/home/a/run.sh',
  ]);
});

test('an override equal to the script value is not passed', () => {
  const d = parseSbatchDirectives('#SBATCH -p gpu\n');
  const spec = scriptSubmitSpec('/s.sh', '/', resolveSubmit({}, d, { partition: 'gpu' }), d);
  assert.equal(spec.partition, undefined);
});

test('input checks', () => {
  assert.equal(checkTime('1:00:00', slurm), undefined);
  assert.equal(checkTime('2-00', slurm), undefined);
  assert.equal(checkTime('', slurm), undefined);
  assert.match(checkTime('1h', slurm) ?? '', /minutes/);
  assert.deepEqual(parseTags('#a, b  c,a'), { tags: ['a', 'b', 'c'] });
  assert.match(parseTags('x=1').error ?? '', /must not/);
  assert.equal(checkExtraArgs('--qos=x -N 2'), '"2" must start with \'-\' (write --option=value as one word)');
  assert.equal(checkExtraArgs('--qos=x --exclusive'), undefined);
  assert.deepEqual(parseNice('-5'), { nice: -5 });
  assert.deepEqual(parseNice(''), {});
  assert.ok(parseNice('x').error);
  assert.equal(commentWithoutTags('note; tags=a,b'), 'note');
  assert.equal(commentWithoutTags('tags=a'), '');
  assert.equal(commentWithoutTags('plain tags=a'), 'plain');
});

test('time limits read as durations; what only the script sets; a dependency from the script or the pick', () => {
  assert.deepEqual(
    ['2', '90', '30:00', '1:30:00', '2-00', '1-12:00', '0-00:00:30', 'UNLIMITED', '0', 'soon'].map(timeLimitText),
    ['2 min', '1 h 30 min', '30 min', '1 h 30 min', '2 days', '1 day 12 h', '30 s', 'no limit', '0 min', 'soon'],
  );
  const d = parseSbatchDirectives('#!/bin/bash\n#SBATCH --array=0-9%2 -o logs/%A_%a.out\n#SBATCH -d afterok:41\n#SBATCH --time=2\n');
  assert.deepEqual(d, { array: '0-9%2', output: 'logs/%A_%a.out', dependency: 'afterok:41', time: '2' });
  assert.equal(scriptOnlyText(d), 'array 0-9%2 · output logs/%A_%a.out');
  assert.equal(scriptOnlyText({ time: '2' }), undefined);
  const fromScript = resolveSubmit({}, d, {});
  assert.deepEqual(fromScript.dependency, { value: 'afterok:41', source: 'script' });
  assert.equal(scriptSubmitSpec('/s.sh', '/', fromScript, d).dependency, undefined, 'the script says it already');
  assert.equal(scriptSubmitSpec('/s.sh', '/', resolveSubmit({}, d, { dependency: 'afterany:41:42' }), d).dependency, 'afterany:41:42');
  assert.equal(checkDependency('afterok:1'), undefined);
  assert.equal(checkDependency(''), undefined);
  assert.match(checkDependency('after 1') ?? '', /afterok:123/);
});

test('the submit pick speaks the host scheduler\'s words: sbatch and partitions, qsub and queues', () => {
  assert.deepEqual(submitWords('slurm'), { program: 'sbatch', queue: 'Partition', example: '--qos=debug --mail-type=END' });
  assert.equal(submitWords('pbs').program, 'qsub');
  assert.equal(submitWords('torque').queue, 'Queue');
});
