import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SshError, toSshError, isCancelled } from '../../src/core/ssh/errors';
import { CancelledError } from '../../src/core/cancel';

function err(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

test('ssh2 levels and socket codes map to kinds with short messages', () => {
  const cases: [unknown, SshError['kind']][] = [
    [err('All configured authentication methods failed', { level: 'client-authentication' }), 'auth-failed'],
    [err('Timed out while waiting for handshake', { level: 'client-timeout' }), 'timeout'],
    [err('Keepalive timeout', { level: 'client-timeout' }), 'timeout'],
    [err('connect ECONNREFUSED 127.0.0.1:1', { level: 'client-socket', code: 'ECONNREFUSED' }), 'unreachable'],
    [err('getaddrinfo ENOTFOUND nohost', { level: 'client-socket', code: 'ENOTFOUND' }), 'unreachable'],
    [err('connect EHOSTUNREACH', { level: 'client-socket', code: 'EHOSTUNREACH' }), 'unreachable'],
    [err('connect ETIMEDOUT', { level: 'client-socket', code: 'ETIMEDOUT' }), 'timeout'],
    [err('read ECONNRESET', { level: 'client-socket', code: 'ECONNRESET' }), 'disconnected'],
    [err('Connection lost before handshake', { level: 'protocol' }), 'disconnected'],
    [err('No response from server', {}), 'disconnected'],
    [new CancelledError(), 'cancelled'],
    ['weird', 'disconnected'],
  ];
  for (const [input, kind] of cases) {
    const e = toSshError(input, 'hpc');
    assert.equal(e.kind, kind, String((input as Error).message ?? input));
    assert.equal(e.host, 'hpc');
    assert.ok(e.userMessage.includes('hpc'), e.userMessage);
    assert.ok(e.userMessage.length < 200);
    assert.equal(e.cause, input);
  }
  assert.equal(toSshError(err('x', { code: 'ECONNREFUSED' }), 'h').message, 'Cannot reach h: connection refused');
});

test('SshError passes through unchanged; cancellation is recognised either way', () => {
  const e = new SshError('host-key-mismatch', 'h', 'changed', { fingerprint: 'SHA256:x', knownHostsFile: '/k', knownHostsLine: 3 });
  assert.equal(toSshError(e, 'other'), e);
  assert.equal(e.knownHostsLine, 3);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'SshError');
  assert.ok(isCancelled(new CancelledError()));
  assert.ok(isCancelled(toSshError(new CancelledError(), 'h')));
  assert.ok(!isCancelled(e));
});
