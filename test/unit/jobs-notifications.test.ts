/** Completion notifications (showFinishedNotices) through the vscode fake. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answers, shown } from '../support/vscode/fake';
import { showFinishedNotices } from '../../src/jobs/notifications';
import { DEFAULT_NOTIFY_STATES, summariseFinished } from '../../src/core/jobs/notices';
import { job } from '../support/jobs';

test('notifications: many ends in one batch are one notification with the counts and Show; two stay separate', () => {
  shown.length = 0;
  const offered: string[][] = [];
  answers.message = (_kind, _message, actions) => {
    offered.push(actions);
    return undefined;
  };
  try {
    const ended = ['COMPLETED', 'COMPLETED', 'FAILED', 'COMPLETED', 'COMPLETED'].map((state, i) => job({ id: String(20 + i), state: state as 'COMPLETED' }));
    showFinishedNotices(summariseFinished('hpc', ended, DEFAULT_NOTIFY_STATES));
    assert.deepEqual(shown, ['error 5 jobs ended on hpc: 4 COMPLETED, 1 FAILED']);
    assert.deepEqual(offered, [['Show']]);
    shown.length = 0;
    showFinishedNotices(summariseFinished('hpc', ended.slice(0, 2), DEFAULT_NOTIFY_STATES));
    assert.deepEqual(shown, ['info Job 20 (train) on hpc completed after 0:05.', 'info Job 21 (train) on hpc completed after 0:05.']);
  } finally {
    answers.message = undefined;
  }
});
