/**
 * Filter Remote Explorer… and Clear Filter with the vscode fake over the real FilterStore
 * (issue 15): picking an active pattern edits it (prefilled, emptied removes it), a glob is
 * accepted, and clearing asks first instead of wiping every pattern in one click.
 */
import '../support/vscode/register';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { answers, setSetting, type QuickPickItem } from '../support/vscode/fake';
import { FilterStore } from '../../src/explorer/filterStore';
import { clearFilters, editFilter } from '../../src/explorer/filterUi';
import { silentLogger } from '../../src/core/log';

afterEach(() => {
  setSetting('remoteHpc.filters', undefined);
  answers.pick = answers.input = answers.message = undefined;
});

const pickLabel = (label: RegExp) => (items: readonly QuickPickItem[]) => items.find((i) => label.test(i.label));

test('picking an active pattern edits it, prefilled; a glob is accepted; emptied it is removed', async () => {
  const store = new FilterStore(silentLogger);
  await store.set('h', { fileReject: ['\\.log$', '\\.o$'] });
  answers.pick = pickLabel(/\\\.log\$$/);
  answers.input = (opts) => {
    assert.equal(opts.value, '\\.log$', 'the input box starts with the pattern');
    assert.equal(opts.validateInput?.('*.csv'), undefined, 'a glob is fine');
    assert.equal(opts.validateInput?.(''), undefined, 'empty means remove');
    assert.match(String(opts.validateInput?.('+x')), /regular expressions on the full path, or globs on the name/);
    return '*.log';
  };
  await editFilter(store, 'h');
  assert.deepEqual(store.get('h'), { fileReject: ['*.log', '\\.o$'] }, 'edited in place, the other pattern kept');
  answers.pick = pickLabel(/\\\.o\$$/);
  answers.input = () => '';
  await editFilter(store, 'h');
  assert.deepEqual(store.get('h'), { fileReject: ['*.log'] });
  store.dispose();
});

test('Clear Filter asks (modal) and keeps the patterns when not confirmed', async () => {
  const store = new FilterStore(silentLogger);
  await store.set('h', { fileReject: ['*.log'], dirReject: ['/\\.git$'] });
  const questions: string[] = [];
  answers.message = (_kind, message, _actions, options) => {
    questions.push(`${options?.modal ? 'modal' : 'toast'} ${message}`);
    return undefined;
  };
  await assert.rejects(clearFilters(store, ['h']), { name: 'CancelledError' });
  assert.deepEqual(questions, ['modal Remove all 2 filter patterns of h?']);
  assert.deepEqual(store.get('h'), { fileReject: ['*.log'], dirReject: ['/\\.git$'] }, 'nothing removed without a yes');
  answers.message = (_kind, _message, actions) => actions.find((a) => a === 'Clear Filter');
  await clearFilters(store, ['h']);
  assert.equal(store.get('h'), undefined);
  // "Clear all patterns…" inside Filter… goes through the same question.
  await store.set('h', { fileReject: ['*.log'] });
  answers.pick = pickLabel(/Clear all patterns/);
  answers.message = () => undefined;
  await assert.rejects(editFilter(store, 'h'), { name: 'CancelledError' });
  assert.deepEqual(store.get('h'), { fileReject: ['*.log'] });
  store.dispose();
});
