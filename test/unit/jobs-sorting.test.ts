/** The order of the Jobs view's rows: running first by default, or by submit time, name, id. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupJobs, type JobEntry } from '../../src/core/jobs/grouping';
import { DEFAULT_JOB_SORT, sortEntries, toSortKey } from '../../src/core/jobs/sorting';
import { JobsModel } from '../../src/core/jobs/model';
import { JobsTreeProvider } from '../../src/jobs/tree';
import { job, task } from '../support/jobs';

const ids = (entries: JobEntry[]) => entries.map((e) => (e.kind === 'job' ? e.job.id : `${e.arrayJobId}[]`));

const jobs = [
  job({ id: '10', name: 'step10', state: 'PENDING', submitTime: '2024-05-01T09:00:00' }),
  job({ id: '11', name: 'Alpha', state: 'COMPLETED', submitTime: '2024-05-01T08:00:00' }),
  job({ id: '12', name: 'step2', state: 'RUNNING', submitTime: '2024-05-01T07:00:00' }),
  job({ id: '13', name: 'beta', state: 'PENDING', reason: 'JobHeldUser', submitTime: '2024-05-01T10:00:00' }),
  job({ id: '9', name: 'old', state: 'RUNNING', submitTime: '2024-04-30T23:00:00' }),
  job({ id: '14', name: 'leaving', state: 'FAILED' }),
  // An array with one running task counts as running.
  task('8', '0', { state: 'RUNNING', submitTime: '2024-04-30T22:00:00' }),
  task('8', '1', { state: 'PENDING', submitTime: '2024-04-30T22:00:00' }),
];

test('by state (the default): running, then pending, then the rest; newest id first in each', () => {
  assert.equal(DEFAULT_JOB_SORT, 'state');
  assert.deepEqual(ids(sortEntries(groupJobs(jobs), 'state')), ['12', '9', '8[]', '13', '10', '14', '11']);
});

test('by submit time (newest first, none last), by name (natural, any case), by id (newest first)', () => {
  assert.deepEqual(ids(sortEntries(groupJobs(jobs), 'submitTime')), ['13', '10', '11', '12', '9', '8[]', '14']);
  // Alpha, beta, leaving, old, step2, step10, sweep (the array's name).
  assert.deepEqual(ids(sortEntries(groupJobs(jobs), 'name')), ['11', '13', '14', '9', '12', '10', '8[]']);
  assert.deepEqual(ids(sortEntries(groupJobs(jobs), 'id')), ['14', '13', '12', '11', '10', '9', '8[]']);
  assert.equal(toSortKey('name'), 'name');
  assert.equal(toSortKey('bogus'), 'state');
  assert.equal(toSortKey(undefined), 'state');
});

test('the tree shows running jobs first under a host, and follows the sort setting', () => {
  const model = new JobsModel();
  model.setHosts(['h']);
  model.setActive('h', [job({ id: '30', state: 'PENDING', name: 'queued' }), job({ id: '20', name: 'runs' }), job({ id: '31', state: 'PENDING', name: 'also queued' })]);
  let sortBy: 'state' | 'id' = 'state';
  const tree = new JobsTreeProvider(model, () => 0, { sortBy: () => sortBy });
  const [host] = tree.getChildren();
  const labels = () => tree.getChildren(host).map((n) => tree.getTreeItem(n).label);
  assert.deepEqual(labels(), ['20 runs', '31 also queued', '30 queued']);
  sortBy = 'id';
  assert.deepEqual(labels(), ['31 also queued', '30 queued', '20 runs']);
  tree.dispose();
  model.dispose();
});
