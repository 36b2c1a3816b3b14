/**
 * The pure pieces behind `remote-hpc` tasks, the API and cluster settings: a job's end as an
 * exit code, hand-written submit options checked, local defaults over the cluster's with their
 * origin, the cluster file parsed, and job mail from defaults onto the submit spec (never over
 * the script's own #SBATCH mail lines). Job records are synthesised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobEndText, jobExitCode } from '../../src/core/jobs/followJob';
import { readJobOptions } from '../../src/core/jobs/jobOptions';
import { defaultsFor, mergeDefaults, resolveSubmit, scriptSubmitSpec } from '../../src/core/jobs/submitOptions';
import { parseClusterSettings } from '../../src/core/jobs/clusterSettings';
import { parseSbatchDirectives } from '../../src/core/scheduler/slurm/directives';
import { job } from '../support/jobs';
import { EMPTY_FORM, fieldOfSubmitOption, formToSpec } from '../../src/core/jobs/newJobForm';

test('jobExitCode: the job\'s own code, else one per way of ending', () => {
  assert.equal(jobExitCode(job({ state: 'COMPLETED', exitCode: 0 })), 0);
  assert.equal(jobExitCode(job({ state: 'COMPLETED' })), 0);
  assert.equal(jobExitCode(job({ state: 'FAILED', exitCode: 3 })), 3);
  assert.equal(jobExitCode(job({ state: 'FAILED', exitCode: 0 })), 1, 'failed without a code still fails');
  assert.equal(jobExitCode(job({ state: 'CANCELLED', exitCode: 0, signal: 15 })), 130);
  assert.equal(jobExitCode(job({ state: 'TIMEOUT' })), 124);
  assert.equal(jobExitCode(job({ state: 'OUT_OF_MEMORY', exitCode: 0 })), 137);
  assert.equal(jobExitCode(job({ state: 'NODE_FAIL' })), 1);
  assert.equal(jobExitCode(job({ state: 'COMPLETED', exitCode: 0, signal: 9 })), 137);
  assert.equal(jobEndText(job({ id: '7', state: 'FAILED', rawState: 'FAILED', exitCode: 3, reason: 'NonZeroExitCode' })), 'Job 7 FAILED (exit code 3) — NonZeroExitCode');
});

test('readJobOptions: every option checked, every problem named', () => {
  assert.deepEqual(readJobOptions({ partition: 'debug', time: '1:00:00', extraArgs: ['--qos=x'], tags: ['a', 'a'], mailType: ['end'], mailUser: 'me@x', hold: true, nice: 5, dependency: 'afterok:1' }), {
    overrides: { partition: 'debug', time: '1:00:00', extraArgs: ['--qos=x'], tags: ['a'], mailType: ['end'], mailUser: 'me@x', hold: true, nice: 5, dependency: 'afterok:1' },
    errors: [],
  });
  const { errors } = readJobOptions({ partition: 'a b', time: 'soon', extraArgs: ['qos'], mailType: ['never'], nice: 1.5, dependency: 'after:x', colour: 'red' });
  assert.equal(errors.length, 7, errors.join('\n'));
  assert.match(errors.join('\n'), /unknown option "colour"/);
  assert.deepEqual(readJobOptions(undefined), { overrides: {}, errors: [] });
  assert.deepEqual(readJobOptions('x').errors, ['"options" must be an object']);
});

test('mergeDefaults: local wins key by key; the origin of each value is kept', () => {
  const local = defaultsFor({ '*': { account: 'mine' }, hpc: { time: '5' } }, 'hpc');
  const { defaults, origin } = mergeDefaults(local, { partition: 'debug', account: 'theirs', mailType: ['fail'] });
  assert.deepEqual(defaults, { partition: 'debug', account: 'mine', time: '5', mailType: ['fail'] });
  assert.deepEqual(origin, { partition: 'cluster', account: 'local', time: 'local', mailType: 'cluster' });
});

test('parseClusterSettings: defaults read, bad values named, unusable files said why', () => {
  const ok = parseClusterSettings('/h/s.json', JSON.stringify({ version: 1, jobs: { defaults: { partition: 'debug', mailType: 'END,fail', colour: 'red', time: 5, extraArgs: ['--qos=x', 'other.sh'] } }, pools: {} }));
  assert.equal(ok.kind, 'ok');
  if (ok.kind === 'ok') {
    assert.deepEqual(ok.defaults, { partition: 'debug', mailType: ['end', 'fail'], extraArgs: ['--qos=x'] }, 'a bare word is not passed on (sbatch would take it for the script)');
    assert.deepEqual(ok.ignored, ['colour', 'time']);
  }
  for (const [text, why] of [
    ['{', /not valid JSON/],
    ['[]', /not a JSON object/],
    ['{"version": 2}', /version 2/],
    ['{"jobs": []}', /"jobs" is not an object/],
    ['{"jobs": {"defaults": "x"}}', /"jobs.defaults" is not an object/],
  ] as const) {
    const r = parseClusterSettings('/h/s.json', text);
    assert.equal(r.kind, 'invalid', text);
    assert.match(r.kind === 'invalid' ? r.message : '', why);
  }
});

test('job mail: host defaults go on the command line, unless the script asks for its own', () => {
  const defaults = { mailUser: 'me@lab', mailType: ['end', 'fail'] as ('end' | 'fail')[] };
  const plain = parseSbatchDirectives('#!/bin/bash\necho hi\n');
  const spec = scriptSubmitSpec('/s.sh', '/', resolveSubmit(defaults, plain, {}), plain);
  assert.equal(spec.mailUser, 'me@lab');
  assert.deepEqual(spec.mailEvents, ['end', 'fail']);
  const own = parseSbatchDirectives('#!/bin/bash\n#SBATCH --mail-type=BEGIN\n#SBATCH --mail-user=other@lab\n');
  assert.deepEqual(own, { mailType: 'BEGIN', mailUser: 'other@lab' });
  const r = resolveSubmit(defaults, own, {});
  assert.equal(r.mailType.source, 'script');
  const fromScript = scriptSubmitSpec('/s.sh', '/', r, own);
  assert.equal(fromScript.mailUser, undefined);
  assert.equal(fromScript.mailEvents, undefined);
  const none = scriptSubmitSpec('/s.sh', '/', resolveSubmit(defaults, plain, { mailType: [] }), plain);
  assert.equal(none.mailEvents, undefined, 'picking no events drops the default');
});

test('New Job form: mail fields become the job file\'s "mail"; bad events are marked on their field', () => {
  const base = { ...EMPTY_FORM, host: 'h', folder: '/w', name: 'j', command: 'echo' };
  assert.deepEqual(formToSpec({ ...base, mailType: 'END, fail', mailUser: 'me@lab' }).spec.mail, { to: 'me@lab', on: ['end', 'fail'] });
  assert.equal(formToSpec({ ...base }).spec.mail, undefined);
  assert.deepEqual(formToSpec({ ...base, mailType: 'later' }).errors, [{ field: 'mailType', message: '"later" is none of begin, end, fail' }]);
  assert.deepEqual(formToSpec({ ...base, mailUser: 'me@lab' }).errors.map((e) => e.field), ['mailType']);
  assert.equal(fieldOfSubmitOption('mailEvents'), 'mailType');
});
