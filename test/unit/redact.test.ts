import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from '../../src/core/redact';

test('passwords, passphrases and private keys are masked', () => {
  assert.equal(redact('login password=hunter2 ok'), 'login password=*** ok');
  assert.equal(redact('Passphrase: "a b c"'), 'Passphrase: ***');
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----';
  assert.ok(!redact(`key ${key}`).includes('AAAA'));
  assert.equal(redact('nothing secret here'), 'nothing secret here');
});
