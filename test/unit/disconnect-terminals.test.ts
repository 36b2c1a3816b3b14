/** Disconnect asks first when terminals are open on the host (issue 15: they closed without a word). */
import '../support/vscode/register';
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { answers } from '../support/vscode/fake';
import { openRemoteTerminal, terminalsOn } from '../../src/explorer/terminal';
import { confirmDisconnect } from '../../src/hosts/disconnect';
import { silentLogger } from '../../src/core/log';

afterEach(() => {
  answers.message = undefined;
});

const hosts = { list: () => [], onDidChange: () => ({ dispose: () => undefined }), connect: async () => undefined, acquire: async () => assert.fail('nothing connects in this test') };

test('2 terminals on X will close: a modal, and no disconnect without a yes', async () => {
  assert.equal(await confirmDisconnect(['X']), true, 'no terminals: no question');
  openRemoteTerminal(hosts as never, 'X', '/home/ana', silentLogger);
  openRemoteTerminal(hosts as never, 'X', undefined, silentLogger);
  assert.equal(terminalsOn('X'), 2);
  const asked: string[] = [];
  answers.message = (_kind, message, actions, options) => {
    asked.push(`${options?.modal ? 'modal' : 'toast'} ${message} [${actions.join('|')}]`);
    return undefined;
  };
  assert.equal(await confirmDisconnect(['X', 'Y']), false);
  assert.deepEqual(asked, ['modal 2 terminals on X will close. [Disconnect]']);
  answers.message = (_kind, _message, actions) => actions[0];
  assert.equal(await confirmDisconnect(['X']), true);
});
