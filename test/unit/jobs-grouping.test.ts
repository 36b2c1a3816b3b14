import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayParentOf, compareJobIdsDesc, entryJobs, groupJobs } from '../../src/core/jobs/grouping';
import { summariseFinished, outcomeText, severityOf, DEFAULT_NOTIFY_STATES } from '../../src/core/jobs/notices';
import { job, task } from '../support/jobs';

test('array tasks are grouped under their parent, newest job first, tasks by index', () => {
  const entries = groupJobs([job({ id: '90' }), task('95', '10'), task('95', '2'), job({ id: '101' }), task('95', '[11-20%2]', { state: 'PENDING' })]);
  assert.deepEqual(
    entries.map((e) => (e.kind === 'job' ? e.job.id : `${e.arrayJobId}[${e.tasks.map((t) => t.id).join(',')}]`)),
    ['101', '95[95_2,95_10,95_[11-20%2]]', '90'],
  );
  const arr = entries[1];
  assert.ok(arr && arr.kind === 'array');
  assert.equal(arr.name, 'sweep');
  assert.equal(entryJobs(entries).length, 5);
});

test('array parent from the field or from the id; id order is numeric', () => {
  assert.equal(arrayParentOf({ id: '7_3' }), '7');
  assert.equal(arrayParentOf({ id: '7_[1-3]' }), '7');
  assert.equal(arrayParentOf({ id: '7' }), undefined);
  assert.equal(arrayParentOf({ id: '8', arrayJobId: '5' }), '5');
  assert.deepEqual(['9', '100', '10', 'x'].sort(compareJobIdsDesc), ['100', '10', '9', 'x']);
});

test('a single task of an array is still shown under its parent', () => {
  const entries = groupJobs([task('5', '0')]);
  assert.equal(entries[0]?.kind, 'array');
});

test('finished notices: one per job, one per array, filtered by notifyStates', () => {
  const notices = summariseFinished(
    'hpc',
    [
      job({ id: '1', state: 'COMPLETED', exitCode: 0 }),
      job({ id: '2', state: 'FAILED', exitCode: 2 }),
      task('3', '0', { state: 'COMPLETED' }),
      task('3', '1', { state: 'FAILED' }),
      task('3', '2', { state: 'COMPLETED' }),
      job({ id: '4', state: 'NODE_FAIL' }),
    ],
    DEFAULT_NOTIFY_STATES,
  );
  assert.deepEqual(
    notices.map((n) => [n.id, n.severity, n.message]),
    [
      ['1', 'info', 'Job 1 (train) on hpc completed after 0:05.'],
      ['2', 'error', 'Job 2 (train) on hpc failed (exit 2) after 0:05.'],
      ['3', 'error', 'Array job 3 (sweep) on hpc: 3 tasks ended — 1 failed · 2 completed.'],
    ],
  );
  assert.deepEqual(summariseFinished('h', [job({ state: 'COMPLETED' })], ['FAILED']), []);
  assert.deepEqual(summariseFinished('h', [job({ state: 'COMPLETED', tags: ['remote-hpc-preview'] })], DEFAULT_NOTIFY_STATES), [], "a preview's batch job is reported by the preview");
  const one = summariseFinished('h', [task('9', '4', { state: 'TIMEOUT' })], DEFAULT_NOTIFY_STATES);
  assert.equal(one[0]?.id, '9_4');
  assert.equal(one[0]?.severity, 'warning');
  assert.equal(one[0]?.message, 'Job 9_4 (sweep) on h timed out after 0:05.');
  // Durations in the one format (sacct prints 00:03:01); who cancelled it by name; nothing for no time.
  const [cancelled] = summariseFinished('h', [job({ state: 'CANCELLED', elapsed: '00:03:01', cancelledBy: '0' })], DEFAULT_NOTIFY_STATES, new Map([['0', 'root']]));
  assert.equal(cancelled?.message, 'Job 100 (train) on h was cancelled by root after 3:01.');
  const [never] = summariseFinished('h', [job({ state: 'CANCELLED', elapsed: '0:00', cancelledBy: '1001' })], DEFAULT_NOTIFY_STATES);
  assert.equal(never?.message, 'Job 100 (train) on h was cancelled by 1001.', 'an unknown uid as it is; a job that never ran has no time');
});

test('outcome words and severities', () => {
  assert.equal(outcomeText({ state: 'OUT_OF_MEMORY', rawState: '' }), 'ran out of memory');
  assert.equal(outcomeText({ state: 'CANCELLED', rawState: 'CANCELLED by 0' }), 'was cancelled');
  assert.equal(outcomeText({ state: 'FAILED', rawState: '', exitCode: 1, signal: 9 }), 'failed (signal 9)');
  assert.equal(severityOf(['COMPLETED']), 'info');
  assert.equal(severityOf(['COMPLETED', 'CANCELLED']), 'warning');
  assert.equal(severityOf(['TIMEOUT', 'OUT_OF_MEMORY']), 'error');
});
