import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultFormFields, EMPTY_FORM, fieldOfSubmitOption, formToSpec, jobFilePath, sanitizeForm, specToJson } from '../../src/core/jobs/newJobForm';
import { classifySlurmFailure } from '../../src/core/scheduler/slurm/errors';
import { renderBatchScript, validateJobSpec } from '../../src/core/scheduler/jobSpec';
import { slurmScriptFormat } from '../../src/core/scheduler/slurm/slurmScheduler';
import type { NewJobForm } from '../../src/shared/protocol';
import { mergeDefaults } from '../../src/core/jobs/submitOptions';

const form = (over: Partial<NewJobForm>): NewJobForm => ({ ...EMPTY_FORM, host: 'hpc', folder: '~/jobs', name: 'demo', command: 'echo hi', ...over });

test('a filled form becomes a valid job description', () => {
  const { spec, errors } = formToSpec(
    form({
      walltime: '90',
      partition: 'debug',
      nodes: '2',
      tasks: '4',
      cpusPerTask: '2',
      memory: '4G',
      gpus: '1',
      array: '0-9%2',
      tags: 'exp1, exp2',
      nice: '10',
      outputs: 'results/*.csv\n\nmodel.pt\n',
      inputs: 'data.csv\n/shared/ref.fa',
      env: 'OMP_NUM_THREADS=4\nMSG=a=b',
      extraSbatchArgs: '--qos=debug --exclusive',
    }),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(spec, {
    name: 'demo',
    command: 'echo hi',
    inputs: [
      { from: 'data.csv', remote: true },
      { from: '/shared/ref.fa', remote: true },
    ],
    outputs: ['results/*.csv', 'model.pt'],
    walltime: 90,
    partition: 'debug',
    nodes: 2,
    tasks: 4,
    cpusPerTask: 2,
    memory: '4G',
    gpus: 1,
    array: '0-9%2',
    tags: ['exp1', 'exp2'],
    nice: 10,
    env: { OMP_NUM_THREADS: '4', MSG: 'a=b' },
    extraSbatchArgs: ['--qos=debug', '--exclusive'],
  });
  assert.deepEqual(validateJobSpec(spec), []);
  assert.match(renderBatchScript(spec, slurmScriptFormat), /#SBATCH --array=0-9%2/);
  assert.ok(specToJson(spec).endsWith('}\n'));
});

test('errors are reported on the field they belong to, once per field', () => {
  const { errors } = formToSpec(
    form({ host: '', folder: 'relative', name: 'bad name', command: '', walltime: '1h', nodes: 'two', memory: 'lots', array: 'x', repeat: '3', env: 'NOEQUALS', extraSbatchArgs: 'qos' }),
  );
  const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
  assert.deepEqual(Object.keys(byField).sort(), ['array', 'command', 'env', 'extraSbatchArgs', 'folder', 'host', 'memory', 'name', 'nodes', 'repeat', 'walltime'].sort());
  assert.equal(byField.command, 'Enter the command to run');
  assert.match(byField.walltime ?? '', /HH:MM:SS/);
  assert.equal(byField.nodes, 'A whole number');
  assert.match(byField.repeat ?? '', /either "array" or "repeat"/);
});

test('script mode: script and args; the command field is ignored', () => {
  const { spec, errors } = formToSpec(form({ mode: 'script', script: 'run.sh', args: `--lr 0.1 "a b"`, command: 'ignored' }));
  assert.deepEqual(errors, []);
  assert.equal(spec.command, undefined);
  assert.equal(spec.script, 'run.sh');
  assert.deepEqual(spec.args, ['--lr', '0.1', 'a b']);
  assert.equal(formToSpec(form({ mode: 'script', script: '' })).errors[0]?.field, 'script');
});

test('untrusted input is sanitised; file path resolves ~', () => {
  const f = sanitizeForm({ name: 'x', mode: 'evil', nodes: 3, extra: 'y' });
  assert.equal(f.name, 'x');
  assert.equal(f.mode, 'command');
  assert.equal(f.nodes, '');
  assert.equal((f as unknown as Record<string, unknown>).extra, undefined);
  assert.equal(jobFilePath('~/jobs', 'demo', '/home/a'), '/home/a/jobs/demo.job.json');
  assert.equal(jobFilePath('/scratch/x/', 'demo', '/home/a'), '/scratch/x/demo.job.json');
});

test('a refused submit shows at the form field of the option it names', () => {
  const field = (stderr: string) => fieldOfSubmitOption(classifySlurmFailure('sbatch', 1, stderr).option);
  assert.equal(field('sbatch: error: Batch job submission failed: Invalid partition name specified\n'), 'partition');
  assert.equal(field('sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or exceeds some limit)\n'), 'walltime');
  assert.equal(field('sbatch: error: Batch job submission failed: Invalid qos specification\n'), 'extraSbatchArgs');
  assert.equal(field('sbatch: error: Batch job submission failed: Requested node configuration is not available\n'), '', 'no one field: the form as a whole');
  assert.equal(fieldOfSubmitOption(undefined), '');
});

test('host defaults fill the form, each marked local or from the cluster (local wins)', () => {
  const { defaults, origin } = mergeDefaults({ partition: 'debug', mailUser: 'me@lab' }, { partition: 'nope', time: '7', mailType: ['end', 'fail'], extraArgs: ['--qos=x'] });
  assert.deepEqual(defaultFormFields(defaults, origin), {
    fields: { partition: 'debug', account: '', walltime: '7', mailUser: 'me@lab', mailType: 'end, fail' },
    sources: { partition: 'local', walltime: 'cluster', mailUser: 'local', mailType: 'cluster' },
  });
  assert.deepEqual(defaultFormFields({}), { fields: { partition: '', account: '', walltime: '', mailUser: '', mailType: '' }, sources: {} });
});
