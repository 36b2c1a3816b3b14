/** Rename checks while typing (issue 15), as VS Code's explorer does: empty, "/", and a name already taken. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRename } from '../../src/core/remote/paths';

test('empty and slash are errors; a taken name is a warning that leads to the Overwrite question', () => {
  const siblings = ['step1.out', 'step2.out', 'runs'];
  assert.deepEqual(checkRename('  ', 'step1.out', siblings), { message: 'A file or folder name must be provided.', warning: false });
  assert.match(checkRename('a/b', 'step1.out', siblings)?.message ?? '', /cannot contain "\/"/);
  assert.equal(checkRename('a/b', 'step1.out', siblings)?.warning, false);
  assert.deepEqual(checkRename('step2.out', 'step1.out', siblings), {
    message: 'A file or folder named step2.out already exists here. Press Enter to choose whether to overwrite it.',
    warning: true,
  });
  assert.equal(checkRename('step1.out', 'step1.out', siblings), undefined, 'its own name is fine');
  assert.equal(checkRename('step3.out', 'step1.out', siblings), undefined);
});
