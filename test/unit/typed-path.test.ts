/** Open Remote Path… accepts ~ and ~/x (issue 15: "Enter an absolute path" refused them). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTypedPath, expandTypedPath } from '../../src/core/remote/paths';

test('~ and ~/x are accepted and expanded with the remote home folder', () => {
  assert.equal(checkTypedPath('~'), undefined);
  assert.equal(checkTypedPath(' ~/runs/step2 '), undefined);
  assert.equal(checkTypedPath('/scratch/x'), undefined);
  assert.equal(expandTypedPath('~', '/home/ana'), '/home/ana');
  assert.equal(expandTypedPath('~/', '/home/ana'), '/home/ana');
  assert.equal(expandTypedPath('~/runs/../data/', '/home/ana'), '/home/ana/data');
  assert.equal(expandTypedPath('/tmp/~x', '/home/ana'), '/tmp/~x', 'a ~ inside a path is a plain character');
});

test('what cannot be used is said plainly', () => {
  assert.match(checkTypedPath('~bob/x') ?? '', /Only your own home folder/);
  assert.match(checkTypedPath('runs/x') ?? '', /absolute path \(\/…\) or one in your home folder \(~\/…\)/);
});
