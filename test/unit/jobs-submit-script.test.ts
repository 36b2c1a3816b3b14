/** "Submit Job" on a batch script, through the vscode fake: the real options pick over a submit sandbox. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { answers, shown, statusMessages, type QuickPickItem } from '../support/vscode/fake';
import { submitSandbox as sandbox } from '../support/submitSandbox';
import { submitScript } from '../../src/jobs/submitScript';

/** The answers the test gives, in order; each pick answer names the item by its label's words. */
function script(steps: (string | ((items: readonly QuickPickItem[]) => void))[]) {
  const queue = [...steps];
  const next = () => {
    const s = queue.shift();
    if (s === undefined) throw new Error('the code asked more than the test answers');
    return s;
  };
  answers.pick = (items) => {
    let s = next();
    while (typeof s === 'function') {
      s(items);
      s = next();
    }
    const want = s;
    const item = items.find((i) => i.label.replace(/\$\([^)]*\)\s*/g, '') === want);
    if (!item) throw new Error(`no "${want}" in the pick: ${items.map((i) => i.label).join(', ')}`);
    return item;
  };
  answers.input = () => {
    const s = next();
    if (typeof s !== 'string') throw new Error('an input box where the test expected a pick');
    return s;
  };
  return { left: () => queue.length };
}

test('submit: a refused submit says sbatch once and offers Edit and Retry, which keeps every choice', async () => {
  const sb = sandbox('#!/bin/bash\n#SBATCH --time=5\nhostname\n');
  shown.length = 0;
  const offered: string[][] = [];
  answers.message = (kind, _message, actions) => {
    if (kind === 'error') {
      offered.push(actions);
      return actions.includes('Edit and Retry') ? 'Edit and Retry' : undefined;
    }
    return undefined;
  };
  const descOf = (items: readonly QuickPickItem[], label: string) => items.find((i) => i.label.endsWith(label))?.description ?? '';
  const steps = script([
    'Partition', 'nosuch',
    'Job name', 'mine',
    'Submit held',
    'Submit',
    // Back after Edit and Retry: the partition, name and hold are as the user left them.
    (items) => {
      assert.match(descOf(items, 'Partition'), /^nosuch\s+changed$/);
      assert.match(descOf(items, 'Job name'), /^mine\s+changed$/);
      assert.ok(items.some((i) => i.label.endsWith('Submit held') && i.description === 'on'), 'still held');
    },
    'Partition', 'debug',
    'Submit',
  ]);
  try {
    const id = await submitScript(sb.ctx, { host: 'h', path: sb.path });
    assert.equal(id, '4242');
    assert.equal(steps.left(), 0);
    const [first, second] = sb.argv();
    assert.match(first ?? '', /--job-name=mine --partition=nosuch --hold/);
    assert.match(second ?? '', /--job-name=mine --partition=debug --hold/);
    const error = shown.find((s) => s.startsWith('error '));
    assert.equal(error, 'error run.sh was not submitted: sbatch: error: Batch job submission failed: Invalid partition name specified');
    assert.deepEqual(offered, [['Edit and Retry']]);
    assert.ok(shown.includes('info Submitted job 4242 (held): mine on h. Release it from the Jobs view.'), shown.join('\n'));
    assert.equal(statusMessages.at(-1), '$(rocket) Submitted job 4242 (held) on h', 'also in the status bar, where end notices cannot bury it');
    assert.deepEqual(sb.tracked, ['4242']);
  } finally {
    answers.pick = answers.input = answers.message = undefined;
    sb.done();
  }
});

test('submit: the pick shows what the script sets (array, output, time in units) and takes a dependency', async () => {
  const sb = sandbox('#!/bin/bash\n#SBATCH --time=2 --array=0-9\n#SBATCH -o logs/%A_%a.out\nhostname\n');
  shown.length = 0;
  const seen: QuickPickItem[][] = [];
  const steps = script([(items) => void seen.push([...items]), 'Dependency', 'afterok:41', (items) => void seen.push([...items]), 'Submit']);
  try {
    assert.equal(await submitScript(sb.ctx, { host: 'h', path: sb.path }), '4242');
    assert.equal(steps.left(), 0);
    const [before, after] = seen;
    const desc = (items: QuickPickItem[] | undefined, label: string) => items?.find((i) => i.label.endsWith(label))?.description;
    assert.match(desc(before, 'Time limit') ?? '', /^2 min\s+from the script$/);
    assert.match(desc(before, 'Submit') ?? '', /2 min/);
    assert.equal(before?.find((i) => i.label.endsWith('Submit'))?.detail, 'the script also sets array 0-9 · output logs/%A_%a.out');
    assert.match(desc(before, 'Dependency') ?? '', /^—/);
    assert.match(desc(after, 'Dependency') ?? '', /^afterok:41\s+changed$/);
    assert.match(sb.argv()[0] ?? '', /--dependency=afterok:41/);
    assert.doesNotMatch(sb.argv()[0] ?? '', /--time|--array|--output/, 'what the script sets is not repeated');
  } finally {
    answers.pick = answers.input = answers.message = undefined;
    sb.done();
  }
});

test('submit: dismissing the refusal ends the command without a second error', async () => {
  const sb = sandbox('#!/bin/bash\nhostname\n');
  shown.length = 0;
  answers.message = () => undefined;
  script(['Partition', 'nosuch', 'Submit']);
  try {
    await assert.rejects(submitScript(sb.ctx, { host: 'h', path: sb.path }), (e: unknown) => e instanceof Error && e.name === 'CancelledError');
    assert.equal(shown.filter((s) => s.startsWith('error ')).length, 1);
    assert.equal(vscode.workspace.textDocuments.length, 0);
  } finally {
    answers.pick = answers.input = answers.message = undefined;
    sb.done();
  }
});
