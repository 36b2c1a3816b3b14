import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRemoteError, RemoteFsError, SFTP_STATUS } from '../../src/core/remote/errors';

function sftpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

test('SFTP status codes map to neutral codes', () => {
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.NO_SUCH_FILE, 'No such file')), 'not-found');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.PERMISSION_DENIED, 'Permission denied')), 'no-permission');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.FILE_ALREADY_EXISTS, 'x')), 'exists');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.DIR_NOT_EMPTY, 'x')), 'not-empty');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.NOT_A_DIRECTORY, 'x')), 'not-a-directory');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.FILE_IS_A_DIRECTORY, 'x')), 'is-a-directory');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.CONNECTION_LOST, 'x')), 'unavailable');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.NO_CONNECTION, 'x')), 'unavailable');
});

test('generic SFTP FAILURE falls back to the message, else unknown', () => {
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.FAILURE, 'Failure')), 'unknown');
  assert.equal(classifyRemoteError(sftpError(SFTP_STATUS.FAILURE, 'Directory not empty')), 'not-empty');
});

test('agent and Node errno names map to neutral codes', () => {
  const cases: [string, string][] = [
    ['ENOENT', 'not-found'],
    ['EACCES', 'no-permission'],
    ['EPERM', 'no-permission'],
    ['EEXIST', 'exists'],
    ['ENOTDIR', 'not-a-directory'],
    ['EISDIR', 'is-a-directory'],
    ['ENOTEMPTY', 'not-empty'],
    ['ELOOP', 'loop'],
    ['EDQUOT', 'no-space'],
  ];
  for (const [errno, code] of cases) {
    assert.equal(classifyRemoteError(Object.assign(new Error('boom'), { code: errno })), code, errno);
    assert.equal(classifyRemoteError({ errno, message: 'x' }), code, `errno field ${errno}`);
  }
});

test('EIO (agent catch-all, SFTP FAILURE) is decided by the message', () => {
  assert.equal(classifyRemoteError(Object.assign(new Error('mkdir "/a": Failure'), { code: 'EIO' })), 'unknown');
  assert.equal(classifyRemoteError(Object.assign(new Error('rmdir "/a": Directory not empty'), { code: 'EIO' })), 'not-empty');
  assert.equal(classifyRemoteError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'unavailable');
});

test('typed errors, ssh-level errors, causes and messages', () => {
  assert.equal(classifyRemoteError(new RemoteFsError('exists', '/a')), 'exists');
  assert.match(new RemoteFsError('exists', '/a').message, /Already exists: \/a/);
  assert.equal(classifyRemoteError(Object.assign(new Error('socket'), { level: 'client-socket' })), 'unavailable');
  assert.equal(classifyRemoteError(Object.assign(new Error('lost'), { name: 'SshError' })), 'unavailable');
  assert.equal(classifyRemoteError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ENOENT' }) })), 'not-found');
  assert.equal(classifyRemoteError(new Error("cannot remove '/x': Permission denied")), 'no-permission');
  assert.equal(classifyRemoteError('No such file or directory'), 'not-found');
  assert.equal(classifyRemoteError(undefined), 'unknown');
  assert.equal(classifyRemoteError(42), 'unknown');
  assert.equal(classifyRemoteError(new Error('something odd')), 'unknown');
});
