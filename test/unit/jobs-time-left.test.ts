/** Time left warnings on a fake clock over the real JobsModel, and the Jobs view row that says how long is left. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { JobsModel } from '../../src/core/jobs/model';
import { TimeLeftWatch, timeLeftSeconds, timeLeftText, type TimeLeftWarning } from '../../src/core/jobs/timeLeft';
import { JobsTreeProvider } from '../../src/jobs/tree';
import { jobTooltip } from '../../src/core/jobs/format';
import { FakeClock, job } from '../support/jobs';

test('time left: limit minus elapsed as of the poll, ticking on; none without a limit or when not running', () => {
  const j = job({ elapsed: '50:00', timeLimit: '1:00:00' });
  assert.equal(timeLeftSeconds(j, 1000, 1000), 600);
  assert.equal(timeLeftSeconds(j, 1000, 61_000), 540);
  assert.equal(timeLeftSeconds(j, 1000, 10_000_000), 0);
  assert.equal(timeLeftSeconds(job({ timeLimit: 'UNLIMITED' }), 0, 0), undefined);
  assert.equal(timeLeftSeconds(job({ state: 'PENDING' }), 0, 0), undefined);
  assert.deepEqual([45, 540, 3900, 200_000].map(timeLeftText), ['45 s', '9 min', '1 h 05 min', '2 days 7 h']);
});

test('one warning per job at the set minutes before its limit, from a timer between polls; 0 is off', async () => {
  const clock = new FakeClock();
  const model = new JobsModel();
  model.setHosts(['h']);
  let minutes = 10;
  const warned: TimeLeftWarning[] = [];
  const watch = new TimeLeftWatch(model, { clock, minutes: () => minutes, warn: (w) => warned.push(w) });
  // 15 min left at the poll: the warning 5 min later, with no poll in between.
  model.setActive('h', [job({ id: '1', elapsed: '45:00', timeLimit: '1:00:00' }), job({ id: '2', elapsed: '5:00', timeLimit: 'UNLIMITED' }), job({ id: '3', state: 'PENDING', elapsed: '0:00' })], clock.now());
  await clock.advance(4 * 60_000 + 59_000);
  assert.equal(warned.length, 0);
  await clock.advance(2_000);
  assert.deepEqual(warned.map((w) => [w.host, w.job.id, Math.round(w.leftSeconds)]), [['h', '1', 600]]);
  // The next polls (its elapsed time moving) do not warn again.
  model.setActive('h', [job({ id: '1', elapsed: '52:00', timeLimit: '1:00:00' })], clock.now());
  await clock.advance(60_000);
  assert.equal(warned.length, 1);
  // A job already inside the window when first seen is warned at once; gone jobs are forgotten.
  model.setActive('h', [job({ id: '4', elapsed: '58:00', timeLimit: '1:00:00' })], clock.now());
  assert.deepEqual(warned.map((w) => w.job.id), ['1', '4']);
  model.setActive('h', [job({ id: '1', elapsed: '59:00', timeLimit: '1:00:00' })], clock.now());
  assert.deepEqual(warned.map((w) => w.job.id), ['1', '4', '1'], 'a job listed again after it left counts as new');
  minutes = 0;
  model.setActive('h', [job({ id: '5', elapsed: '59:59', timeLimit: '1:00:00' })], clock.now());
  await clock.advance(3600_000);
  assert.equal(warned.length, 3, 'off at 0');
  assert.equal(clock.timers.size, 0, 'no timer while off');
  minutes = 10;
  model.setActive('h', [job({ id: '6', elapsed: '1:00', timeLimit: '3:00:00' })], clock.now());
  assert.equal(clock.timers.size, 1, 'one timer for the next moment');
  watch.dispose();
  assert.equal(clock.timers.size, 0, 'disposed: no timer left');
  model.dispose();
});

test('the Jobs view row says how long is left once inside the window; the tooltip always; a pending job\'s start is an estimate', () => {
  const clock = new FakeClock();
  const model = new JobsModel();
  model.setHosts(['h']);
  model.setActive('h', [job({ id: '1', elapsed: '55:00', timeLimit: '1:00:00' }), job({ id: '2', elapsed: '5:00', timeLimit: '1:00:00' })], clock.now());
  const tree = new JobsTreeProvider(model, () => 0, { clock, timeLeftWarning: () => 10 });
  const [host] = tree.getChildren();
  const items = tree.getChildren(host).map((n) => tree.getTreeItem(n));
  const near = items.find((i) => String(i.label).startsWith('1 '));
  const far = items.find((i) => String(i.label).startsWith('2 '));
  assert.match(String(near?.description), / · 5 min left$/);
  assert.doesNotMatch(String(far?.description), /left/);
  const tip = (i: vscode.TreeItem | undefined) => (i?.tooltip instanceof vscode.MarkdownString ? i.tooltip.value : '');
  assert.match(tip(near), /\$\(warning\) \*\*Time left:\*\* 5 min/);
  assert.match(tip(far), /\*\*Time left:\*\* 55 min/);
  assert.match(jobTooltip(job({ state: 'PENDING', startTime: '2026-12-03T09:30:00' }), 'h'), /\*\*Estimated start:\*\* 2026-12-03 09:30:00/);
  assert.match(jobTooltip(job({ startTime: '2026-12-03T09:30:00' }), 'h'), /\*\*Started:\*\* 2026-12-03 09:30:00/);
  tree.dispose();
  model.dispose();
});
