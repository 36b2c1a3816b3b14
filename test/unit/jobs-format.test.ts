import { test } from 'node:test';
import assert from 'node:assert/strict';
import { job } from '../support/jobs';
import {
  arrayContextValue,
  arrayState,
  arraySummary,
  escapeMarkdown,
  hostSummary,
  isHeld,
  jobContextValue,
  jobDescription,
  jobLabel,
  jobTooltip,
  stateClass,
  stateIcon,
  stateText,
  timeText,
} from '../../src/core/jobs/format';
import { collectTags, describeFilter, EMPTY_FILTER, filterJobs, isEmptyFilter, sanitizeFilter } from '../../src/core/jobs/filter';
import { JOB_STATES } from '../../src/core/scheduler/types';


test('state classes: pending, running, finished', () => {
  assert.equal(stateClass('PENDING'), 'pending');
  assert.equal(stateClass('REQUEUED'), 'pending');
  assert.equal(stateClass('RUNNING'), 'running');
  assert.equal(stateClass('COMPLETING'), 'running');
  assert.equal(stateClass('SUSPENDED'), 'running');
  for (const s of ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY'] as const) assert.equal(stateClass(s), 'finished');
});

test('held jobs: reason JobHeldUser/Admin, not once finished', () => {
  assert.equal(isHeld(job({ state: 'PENDING', reason: 'JobHeldUser' })), true);
  assert.equal(isHeld(job({ state: 'PENDING', reason: 'JobHeldAdmin' })), true);
  assert.equal(isHeld(job({ state: 'PENDING', reason: 'Priority' })), false);
  assert.equal(isHeld(job({ state: 'CANCELLED', reason: 'JobHeldUser' })), false);
  assert.deepEqual(stateIcon(job({ state: 'PENDING', reason: 'JobHeldUser' })), { id: 'debug-pause', color: 'charts.yellow' });
});

test('every state has an icon, finished ones coloured by outcome', () => {
  for (const s of JOB_STATES) assert.ok(stateIcon(job({ state: s })).id, s);
  assert.deepEqual(stateIcon(job({ state: 'COMPLETED' })), { id: 'pass', color: 'testing.iconPassed' });
  assert.equal(stateIcon(job({ state: 'FAILED' })).color, 'testing.iconFailed');
  assert.equal(stateIcon(job({ state: 'RUNNING' })).id, 'sync~spin');
});

test('state text: pending reason, exit code and signal of failures, "by" of cancellations', () => {
  assert.equal(stateText(job({ state: 'PENDING', reason: 'Resources' })), 'PENDING (Resources)');
  assert.equal(stateText(job({ state: 'RUNNING' })), 'RUNNING');
  assert.equal(stateText(job({ state: 'FAILED', exitCode: 3 })), 'FAILED (exit 3)');
  assert.equal(stateText(job({ state: 'FAILED', exitCode: 0, signal: 9 })), 'FAILED (signal 9)');
  assert.equal(stateText(job({ state: 'COMPLETED', exitCode: 0 })), 'COMPLETED');
  assert.equal(stateText(job({ state: 'CANCELLED', rawState: 'CANCELLED by 1000' })), 'CANCELLED by 1000');
});

test('time text: elapsed / limit; limit only while pending; no UNLIMITED', () => {
  assert.equal(timeText(job()), '0:05 / 1:00:00');
  assert.equal(timeText(job({ state: 'PENDING', elapsed: '0:00' })), 'limit 1:00:00');
  assert.equal(timeText(job({ timeLimit: 'UNLIMITED' })), '0:05');
  assert.equal(timeText(job({ elapsed: '', timeLimit: '' })), '');
});

test('label, description, context values', () => {
  assert.equal(jobLabel(job()), '100 train');
  assert.equal(jobLabel(job({ name: '' })), '100');
  assert.equal(jobDescription(job({ tags: ['a', 'b'] })), 'RUNNING · debug · 0:05 / 1:00:00 · c1 · #a #b');
  assert.equal(jobDescription(job({ state: 'PENDING', reason: 'Priority', elapsed: '0:00', nodes: '' })), 'PENDING (Priority) · debug · limit 1:00:00');
  assert.equal(jobContextValue(job()), 'job.running');
  assert.equal(jobContextValue(job({ state: 'PENDING', reason: 'JobHeldUser' })), 'job.pending.held');
  assert.equal(jobContextValue(job({ id: '7_1', arrayJobId: '7', arrayTaskId: '1', state: 'COMPLETED' })), 'job.finished.task');
  assert.equal(arrayContextValue([job({ state: 'COMPLETED' }), job({ state: 'PENDING' })]), 'job.array.active');
  assert.equal(arrayContextValue([job({ state: 'COMPLETED' }), job({ state: 'FAILED' })]), 'job.array.finished');
});

test('tooltip: submit time and work dir, markdown escaped', () => {
  const tip = jobTooltip(job({ name: 'a*b_[x]', submitTime: '2024-05-01T10:11:12', workDir: '/scratch/run_1' }), 'hpc');
  assert.match(tip, /\*\*Submitted:\*\* 2024-05-01 10:11:12/);
  assert.match(tip, /\*\*Work dir:\*\* \/scratch\/run\\_1/);
  assert.match(tip, /a\\\*b\\_\\\[x\\\]/);
  assert.match(tip, /^\$\(sync\) /);
  assert.equal(escapeMarkdown('$(x)'), '\\$\\(x\\)');
});

test('host and array summaries; array state is the most alive task, else the worst outcome', () => {
  assert.equal(hostSummary([job(), job({ state: 'PENDING' }), job({ state: 'PENDING' })]), '1 running · 2 pending');
  assert.equal(hostSummary([]), undefined);
  const tasks = [job({ state: 'PENDING' }), job({ state: 'RUNNING' }), job({ state: 'COMPLETED' }), job({ state: 'PENDING' })];
  assert.equal(arraySummary(tasks), '1 running · 2 pending · 1 completed');
  assert.equal(arrayState(tasks), 'RUNNING');
  assert.equal(arrayState([job({ state: 'COMPLETED' }), job({ state: 'CANCELLED' }), job({ state: 'FAILED' })]), 'FAILED');
  assert.equal(arrayState([job({ state: 'COMPLETED' })]), 'COMPLETED');
});

test('filter by state and tag', () => {
  const jobs = [job({ id: '1', tags: ['exp1'] }), job({ id: '2', state: 'PENDING', tags: ['exp2'] }), job({ id: '3', state: 'FAILED' })];
  assert.equal(isEmptyFilter(EMPTY_FILTER), true);
  assert.deepEqual(filterJobs(jobs, EMPTY_FILTER).map((j) => j.id), ['1', '2', '3']);
  assert.deepEqual(filterJobs(jobs, { states: ['PENDING', 'FAILED'], tags: [] }).map((j) => j.id), ['2', '3']);
  assert.deepEqual(filterJobs(jobs, { states: [], tags: ['exp1', 'exp2'] }).map((j) => j.id), ['1', '2']);
  assert.deepEqual(filterJobs(jobs, { states: ['RUNNING'], tags: ['exp2'] }).map((j) => j.id), []);
  assert.equal(describeFilter({ states: ['RUNNING'], tags: ['a', 'b'] }), 'state: RUNNING · tag: a, b');
  assert.deepEqual(collectTags(jobs), ['exp1', 'exp2']);
  assert.deepEqual(sanitizeFilter({ states: ['RUNNING', 'BOGUS', 3], tags: ['x', ''] }, JOB_STATES), { states: ['RUNNING'], tags: ['x'] });
  assert.deepEqual(sanitizeFilter(null, JOB_STATES), EMPTY_FILTER);
});
