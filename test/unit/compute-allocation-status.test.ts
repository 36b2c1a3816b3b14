/**
 * An interactive allocation's terminal: the job id read from srun's first words (recorded on the
 * sandbox, SLURM 22.05: a `--begin=now+8` srun --pty, so it queued first) and the queue line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllocationScanner, queueStatusText } from '../../src/core/compute/allocationStatus';
import { job } from '../support/jobs';

const RECORDED = ['srun: job 100 queued and waiting for resources\r\n', 'srun: job 100 has been allocated resources\r\n', 'Interactive session: job 100 on vm\r\n'];

test('the id comes from srun while queued, then granted; nothing the node prints later names another job', () => {
  const s = new AllocationScanner();
  assert.equal(s.feed('\x1b[2mConnecting to a new allocation on sb…\x1b[0m\r\n'), undefined);
  assert.deepEqual(s.feed(RECORDED[0] ?? ''), { id: '100', granted: false });
  assert.equal(s.feed('more waiting\r\n'), undefined, 'the same pending id is not told twice');
  assert.deepEqual(s.feed(RECORDED[1] ?? ''), { id: '100', granted: true });
  assert.equal(s.feed('Interactive session: job 7 on vm\r\nsrun: job 8 has been allocated resources\r\n'), undefined, 'read no further once granted');
  assert.equal(s.id, '100');
});

test('granted at once (srun says nothing): the session line names the job; a split chunk still matches', () => {
  const s = new AllocationScanner();
  assert.equal(s.feed('Interactive session: jo'), undefined);
  assert.deepEqual(s.feed('b 100 on vm\r\n$ '), { id: '100', granted: true });
});

test('a different id after the first one is not believed; salloc words count too; huge output stops the scan', () => {
  const s = new AllocationScanner();
  s.feed('salloc: Pending job allocation 55\n');
  assert.equal(s.feed('srun: job 56 has been allocated resources\n'), undefined);
  assert.deepEqual(s.feed('salloc: Granted job allocation 55\n'), { id: '55', granted: true });
  const big = new AllocationScanner();
  big.feed('x'.repeat(9000));
  assert.equal(big.feed('srun: job 1 queued and waiting for resources\n'), undefined);
  assert.equal(new AllocationScanner().feed('srun: job 1234567890123 queued and waiting for resources\n'), undefined, 'an id past 12 digits is no id');
});

test('the queue line: reason and estimate, control characters dropped, nothing once running', () => {
  const now = new Date('2026-12-02T21:00:00').getTime();
  assert.equal(queueStatusText(job({ id: '100', state: 'PENDING', reason: 'Priority', startTime: '2026-12-02T21:12:00' }), now), 'Job 100 is waiting in the queue (Priority); estimated start 21:12 (in 12 min).');
  assert.equal(queueStatusText(job({ id: '100', state: 'PENDING', reason: 'Resources', startTime: '2026-12-04T09:00:00' }), now), 'Job 100 is waiting in the queue (Resources); estimated start 2026-12-04 09:00 (in about 36 h).');
  assert.equal(queueStatusText(job({ id: '100', state: 'PENDING', reason: 'Bad\x1b]0;x\x07' }), now), 'Job 100 is waiting in the queue (Bad?]0;x?); no start estimate yet.');
  assert.equal(queueStatusText(job({ id: '100', state: 'PENDING', reason: 'BeginTime', startTime: '2026-12-02T20:59:00' }), now), 'Job 100 is waiting in the queue (BeginTime); the scheduler expects it to start now.');
  assert.equal(queueStatusText(job({ state: 'RUNNING' }), now), undefined);
  assert.equal(queueStatusText(undefined, now), undefined);
});
