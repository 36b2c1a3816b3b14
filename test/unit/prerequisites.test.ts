/** The shared prerequisite check: a skip reason while developing, a loud failure under `npm test`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstSkip, requirePrereq } from '../support/prerequisites';

function withRequireAll<T>(value: string | undefined, fn: () => T): T {
  const old = process.env.REMOTE_HPC_REQUIRE_ALL;
  if (value === undefined) delete process.env.REMOTE_HPC_REQUIRE_ALL;
  else process.env.REMOTE_HPC_REQUIRE_ALL = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env.REMOTE_HPC_REQUIRE_ALL;
    else process.env.REMOTE_HPC_REQUIRE_ALL = old;
  }
}

test('a present prerequisite runs the test; the check is lazy', () => {
  let asked = 0;
  assert.equal(withRequireAll('1', () => requirePrereq('thing', () => ++asked > 0, 'install it')), false);
  assert.equal(asked, 1);
});

test('a missing prerequisite is a skip reason with its hint, unless REMOTE_HPC_REQUIRE_ALL=1 makes it an error', () => {
  assert.equal(withRequireAll(undefined, () => requirePrereq('ffmpeg', false, 'apt-get install ffmpeg')), 'ffmpeg missing (apt-get install ffmpeg)');
  assert.throws(() => withRequireAll('1', () => requirePrereq('ffmpeg', () => false, 'apt-get install ffmpeg')), /ffmpeg missing \(apt-get install ffmpeg\).*REMOTE_HPC_REQUIRE_ALL=1/);
});

test('firstSkip gives the first reason, or false when all are present', () => {
  assert.equal(firstSkip(false, 'a', 'b'), 'a');
  assert.equal(firstSkip(false, false), false);
});
