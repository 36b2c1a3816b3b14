import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultAgentSocket } from '../../src/core/ssh/connect';

test('ssh-agent: SSH_AUTH_SOCK wins; without it Windows uses the OpenSSH agent pipe, other systems none', () => {
  assert.equal(defaultAgentSocket({ SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1' }, 'linux'), '/tmp/ssh-x/agent.1');
  assert.equal(defaultAgentSocket({ SSH_AUTH_SOCK: '\\\\.\\pipe\\pageant.user.abc' }, 'win32'), '\\\\.\\pipe\\pageant.user.abc');
  assert.equal(defaultAgentSocket({}, 'win32'), '\\\\.\\pipe\\openssh-ssh-agent');
  assert.equal(defaultAgentSocket({ SSH_AUTH_SOCK: '' }, 'darwin'), undefined);
  assert.equal(defaultAgentSocket({}, 'linux'), undefined);
});
