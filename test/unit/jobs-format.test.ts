import { test } from 'node:test';
import assert from 'node:assert/strict';
import { job } from '../support/jobs';
import {
  arrayContextValue,
  arrayState,
  arraySummary,
  dependencyText,
  durationText,
  endedText,
  escapeMarkdown,
  hostSummary,
  isHeld,
  jobContextValue,
  jobDescription,
  jobLabel,
  jobTooltip,
  stateClass,
  stateIcon,
  shortStateText,
  stateText,
  timeText,
} from '../../src/core/jobs/format';
import { collectTags, describeFilter, EMPTY_FILTER, filterJobs, isEmptyFilter, sanitizeFilter } from '../../src/core/jobs/filter';
import { JOB_STATES, NO_TIME_LIMIT, PARTITION_TIME_LIMIT, type Job } from '../../src/core/scheduler/types';
import { renderDetails } from '../../src/core/jobs/detailsText';


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
  assert.equal(stateText(job({ state: 'CANCELLED', rawState: 'CANCELLED by 1000', cancelledBy: '1000' })), 'CANCELLED by 1000', 'an unknown uid as it is');
  assert.equal(stateText(job({ state: 'CANCELLED', rawState: 'CANCELLED by 1000', cancelledBy: '1000' }), new Map([['1000', 'alice']])), 'CANCELLED by alice');
  assert.equal(stateText(job({ state: 'CANCELLED' }), new Map([['1000', 'alice']])), 'CANCELLED');
});

test('dependencies: which job a pending job waits for, alternatives, and one that can never be met', () => {
  const dep = (over: Partial<Job>) => job({ state: 'PENDING', reason: 'Dependency', elapsed: '0:00', ...over });
  assert.equal(stateText(dep({ dependencies: [{ kind: 'afterok', jobId: '41' }] })), 'PENDING · waits for 41 (afterok)');
  assert.equal(dependencyText({ dependencies: [{ kind: 'afterany', jobId: '1' }, { kind: 'afterany', jobId: '2' }, { kind: 'afternotok', jobId: '1' }] }), 'waits for 1, 2 (afterany), 1 (afternotok)');
  assert.equal(dependencyText({ dependencies: [{ kind: 'afterok', jobId: '1' }, { kind: 'singleton' }], dependencyAny: true }), 'waits for 1 (afterok) or singleton');
  assert.equal(
    stateText(dep({ reason: 'DependencyNeverSatisfied', dependencies: [{ kind: 'afterok', jobId: '7', never: true }, { kind: 'afterany', jobId: '8' }] })),
    'PENDING · never starts: 7 (afterok) not met',
  );
  assert.equal(dependencyText({ dependencies: [{ kind: 'afterok', jobId: '7', never: true }, { kind: 'afterok', jobId: '8' }], dependencyAny: true }), 'waits for 7, 8 (afterok)', 'an alternative is still open');
  assert.equal(dependencyText({}), undefined);
  assert.equal(stateText(dep({ reason: 'Dependency' })), 'PENDING (Dependency)', 'without the field: the reason');
  assert.equal(jobDescription(dep({ dependencies: [{ kind: 'afterok', jobId: '41' }], nodes: '' })), 'waits for 41 (afterok) · limit 1:00:00 · debug');
  assert.match(jobTooltip(dep({ dependencies: [{ kind: 'afterok', jobId: '41' }] }), 'h'), /— PENDING · waits for 41 \\\(afterok\\\) /);
  assert.doesNotMatch(jobTooltip(job({ state: 'COMPLETED', dependencies: [{ kind: 'afterok', jobId: '41' }] }), 'h'), /waits/, 'only while pending');
});

test('one time format everywhere: M:SS, H:MM:SS, D-HH:MM:SS; limits that are no time in words', () => {
  assert.deepEqual(
    ['00:03:01', '3:01', '01:02:03', '1-02:03:04', '365-00:00:00', '0:00', NO_TIME_LIMIT, PARTITION_TIME_LIMIT, 'INFINITE', ''].map(durationText),
    ['3:01', '3:01', '1:02:03', '1-02:03:04', '365-00:00:00', '0:00', 'no limit', 'partition limit', 'no limit', ''],
  );
  // What sacct prints for a finished job, as the tree and the tooltip show it.
  const done = job({ state: 'COMPLETED', elapsed: '00:03:01', timeLimit: '00:05:00' });
  assert.equal(timeText(done), '3:01 / 5:00');
  assert.equal(timeText(job({ state: 'CANCELLED', elapsed: '00:00:00', timeLimit: PARTITION_TIME_LIMIT })), '0:00 / partition limit');
  assert.equal(timeText(job({ state: 'PENDING', elapsed: '0:00', timeLimit: NO_TIME_LIMIT })), 'no limit');
  const tip = jobTooltip(job({ elapsed: '00:03:01', timeLimit: NO_TIME_LIMIT }), 'h');
  assert.match(tip, /\*\*Elapsed:\*\* 3:01/);
  assert.match(tip, /\*\*Time limit:\*\* no limit/);
  // The details tab: the keys the scheduler marks as durations, nothing else.
  const text = renderDetails({
    host: 'h',
    id: '5',
    fetchedAt: new Date(0),
    notes: [],
    sections: [{ source: 'controller', title: 'Controller', fields: { RunTime: '3:01', TimeLimit: NO_TIME_LIMIT, Comment: '00:03:01' }, durations: ['RunTime', 'TimeLimit'] }],
  });
  assert.match(text, /RunTime: +3:01\n/);
  assert.match(text, /TimeLimit: +no limit\n/);
  assert.match(text, /Comment: +00:03:01\n/, 'free text is left alone');
});

test('finished jobs say when they ended, on one short scale', () => {
  const now = new Date(2024, 4, 8, 16, 0, 0).getTime(); // Wed 8 May 2024, 16:00
  assert.equal(endedText('2024-05-08T14:03:59', now), 'ended 14:03');
  assert.equal(endedText('2024-05-07T23:10:00', now), 'ended yesterday 23:10');
  assert.equal(endedText('2024-05-04T09:05:00', now), 'ended Sat 09:05');
  assert.equal(endedText('2024-03-30T09:05:00', now), 'ended 30 Mar 09:05');
  assert.equal(endedText('2023-12-30T09:05:00', now), 'ended 30 Dec 2023');
  assert.equal(endedText(undefined, now), undefined);
  assert.equal(endedText('Unknown', now), undefined);
  const done = job({ state: 'COMPLETED', elapsed: '00:03:01', timeLimit: '00:05:00', endTime: '2024-05-08T14:03:59' });
  assert.equal(jobDescription(done, { now }), 'completed · ended 14:03 · 3:01 / 5:00 · debug · c1');
  assert.equal(jobDescription(job({ endTime: '2024-05-08T17:00:00' }), { now }), 'running · 0:05 / 1:00:00 · debug · c1', 'a running job has no end yet (its endTime is the expected one)');
});

test('time text: elapsed / limit; limit only while pending; UNLIMITED in words', () => {
  assert.equal(timeText(job()), '0:05 / 1:00:00');
  assert.equal(timeText(job({ state: 'PENDING', elapsed: '0:00' })), 'limit 1:00:00');
  assert.equal(timeText(job({ timeLimit: 'UNLIMITED' })), '0:05 / no limit');
  assert.equal(timeText(job({ elapsed: '', timeLimit: '' })), '');
});

test('label, description, context values', () => {
  assert.equal(jobLabel(job()), '100 train');
  assert.equal(jobLabel(job({ name: '' })), '100');
  assert.equal(jobDescription(job({ tags: ['a', 'b'] })), 'running · 0:05 / 1:00:00 · debug · c1 · #a #b');
  assert.equal(jobDescription(job({ state: 'PENDING', reason: 'Priority', elapsed: '0:00', nodes: '' })), 'pending (Priority) · limit 1:00:00 · debug');
  // The state first and short, so it stays readable beside a long name in a narrow sidebar.
  assert.deepEqual(
    [
      job({ state: 'PENDING', reason: 'JobHeldUser' }),
      job({ state: 'PENDING', reason: 'JobHeldAdmin' }),
      job({ state: 'FAILED', exitCode: 3 }),
      job({ state: 'OUT_OF_MEMORY', signal: 9 }),
      job({ state: 'CANCELLED', cancelledBy: '1001' }),
      job({ state: 'COMPLETED', exitCode: 0 }),
    ].map((j) => shortStateText(j, new Map([['1001', 'alice']]))),
    ['held', 'held by admin', 'failed (exit 3)', 'out of memory (signal 9)', 'cancelled by alice', 'completed'],
  );
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
