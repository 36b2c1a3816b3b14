/**
 * Remove Host (issue 15) with the vscode fake and a real HostService: a settings host leaves
 * remoteHpc.hosts after one confirmation; an SSH config host is never edited silently (the
 * modal says where its block is and opens it there), and "Delete Host Block" takes out exactly
 * the lines it showed, atomically, mode and symlink kept; a changed file is not written.
 */
import '../support/vscode/register';
import { test, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { answers, setSetting, settings, shown } from '../support/vscode/fake';
import { registerHostCommands } from '../../src/hosts/commands';
import { HostService } from '../../src/hosts/hostService';
import { removeHostBlock } from '../../src/core/ssh/sshConfigEdit';
import { SshConfig } from '../../src/core/ssh/sshConfig';
import { silentLogger } from '../../src/core/log';

const dir = mkdtempSync(join(tmpdir(), 'rhpc-removehost-'));
const secrets = { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: new vscode.EventEmitter<unknown>().event };
const hosts = new HostService(silentLogger, secrets as unknown as vscode.SecretStorage);
const disposables = registerHostCommands(silentLogger, hosts, {} as never, secrets as never);
const opened: { uri: string; line?: number }[] = [];
const realShow = vscode.window.showTextDocument;
(vscode.window as { showTextDocument: unknown }).showTextDocument = async (uri: vscode.Uri, opts?: { selection?: vscode.Range }) => {
  opened.push({ uri: uri.fsPath, ...(opts?.selection ? { line: opts.selection.start.line } : {}) });
  return undefined;
};

after(() => {
  (vscode.window as { showTextDocument: unknown }).showTextDocument = realShow;
  disposables.forEach((d) => d.dispose());
  hosts.dispose();
  setSetting('remoteHpc.sshConfigFile', undefined);
  setSetting('remoteHpc.hosts', undefined);
  answers.message = undefined;
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  opened.length = 0;
  shown.length = 0;
});

/** Asked modals, as "message | detail | buttons". */
function answering(button: string | undefined): string[] {
  const asked: string[] = [];
  answers.message = (_kind, message, actions, options) => {
    if (!options?.modal) return undefined;
    asked.push(`${message} | ${options.detail ?? ''} | ${actions.join(', ')}`);
    return button;
  };
  return asked;
}

const aliases = async () => {
  await hosts.hostDirectory();
  return hosts.list().map((h) => h.alias);
};

const CONFIG = ['# my clusters', 'Host old', '  HostName old.example.org', '  User ana', '', '# the new one', 'Host keep', '  HostName keep.example.org', ''].join('\n');

test('a settings host: one confirmation names where it is kept, then it leaves remoteHpc.hosts and the view', async () => {
  setSetting('remoteHpc.sshConfigFile', join(dir, 'none'));
  setSetting('remoteHpc.hosts', [
    { name: 'lab', hostName: 'login.lab.example.org' },
    { name: 'other', hostName: 'other.example.org', user: 'bo' },
  ]);
  await hosts.reload();
  const asked = answering('Remove');
  await vscode.commands.executeCommand('remoteHpc.removeHost', 'lab');
  assert.equal(asked.length, 1);
  assert.match(asked[0], /^Remove lab from the setting remoteHpc\.hosts\? \| It is kept in your user settings\. \| Remove$/);
  assert.deepEqual(settings.get('remoteHpc.hosts'), [{ name: 'other', hostName: 'other.example.org', user: 'bo' }]);
  assert.deepEqual(await aliases(), ['other']);
  // The last one: an empty list, not an unset key (a lower settings layer would show through).
  answering('Remove');
  await vscode.commands.executeCommand('remoteHpc.removeHost', 'other');
  assert.deepEqual(settings.get('remoteHpc.hosts'), []);
  // Cancelled: nothing changes.
  setSetting('remoteHpc.hosts', [{ name: 'lab', hostName: 'x' }]);
  answering(undefined);
  await vscode.commands.executeCommand('remoteHpc.removeHost', 'lab');
  assert.deepEqual(settings.get('remoteHpc.hosts'), [{ name: 'lab', hostName: 'x' }]);
  setSetting('remoteHpc.hosts', undefined);
});

test('an SSH config host: the modal says where the block is and opens the file there; nothing is written', async () => {
  const file = join(dir, 'config-open');
  writeFileSync(file, CONFIG, { mode: 0o600 });
  setSetting('remoteHpc.sshConfigFile', file);
  await hosts.reload();
  const asked = answering('Open SSH Config');
  await vscode.commands.executeCommand('remoteHpc.removeHost', { alias: 'old' });
  assert.equal(asked.length, 1);
  assert.match(asked[0], new RegExp(`^old is defined in your SSH config\\. \\| ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 2\\. Remote HPC does not change your SSH config by itself\\.`));
  assert.match(asked[0], /delete these lines:\n\nHost old\n {2}HostName old\.example\.org\n {2}User ana \| Open SSH Config, Delete Host Block$/);
  assert.deepEqual(opened, [{ uri: file, line: 1 }]);
  assert.equal(readFileSync(file, 'utf8'), CONFIG);
});

test('Delete Host Block: exactly the block shown goes, atomically, through a symlink, mode kept; the host leaves the view', async () => {
  const real = join(dir, 'config-real');
  const link = join(dir, 'config-link');
  writeFileSync(real, CONFIG, { mode: 0o640 });
  chmodSync(real, 0o640);
  symlinkSync(real, link);
  setSetting('remoteHpc.sshConfigFile', link);
  await hosts.reload();
  assert.deepEqual(await aliases(), ['old', 'keep']);
  answering('Delete Host Block');
  await vscode.commands.executeCommand('remoteHpc.removeHost', 'old');
  assert.equal(readFileSync(real, 'utf8'), ['# my clusters', '# the new one', 'Host keep', '  HostName keep.example.org', ''].join('\n'));
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
  assert.equal(statSync(real).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('remote-hpc')), [], 'no temp left');
  assert.deepEqual(await aliases(), ['keep']);
  assert.ok(shown.some((s) => s.startsWith('info Deleted the Host old block from')), shown.join('\n'));
});

test('a Host line naming several aliases is only opened, never deleted; a file changed under the modal is not written', async () => {
  const file = join(dir, 'config-multi');
  writeFileSync(file, 'Host a b\n  HostName ab.example.org\n\nHost solo\n  HostName solo.example.org\n');
  setSetting('remoteHpc.sshConfigFile', file);
  await hosts.reload();
  const asked = answering(undefined);
  await vscode.commands.executeCommand('remoteHpc.removeHost', 'a');
  assert.match(asked[0], /its Host line also names b\)\. \| Open SSH Config$/);

  answers.message = (_k, _m, _a, options) => {
    if (!options?.modal) return undefined;
    writeFileSync(file, 'Host solo\n  HostName solo.example.org\n  User changed\n'); // edited meanwhile
    return 'Delete Host Block';
  };
  await vscode.commands.executeCommand('remoteHpc.removeHost', 'solo');
  assert.equal(readFileSync(file, 'utf8'), 'Host solo\n  HostName solo.example.org\n  User changed\n');
  assert.ok(shown.some((s) => /^error .*changed since it was read; nothing was deleted/.test(s)), shown.join('\n'));
});

test('removeHostBlock: the block and one separating blank line; comments before the next block stay; CRLF and the last block', async () => {
  assert.deepEqual(removeHostBlock('Host a\n  HostName x\n\nHost b\n  HostName y\n', 3, 'b'), { text: 'Host a\n  HostName x\n', removed: 'Host b\n  HostName y' });
  assert.deepEqual(removeHostBlock('Host a\n  HostName x\n\nHost b\n  HostName y\n', 0, 'a'), { text: 'Host b\n  HostName y\n', removed: 'Host a\n  HostName x' });
  assert.equal(removeHostBlock('Host a\r\n  HostName x\r\n\r\nMatch all\r\n  User u\r\n', 0, 'a')?.text, 'Match all\r\n  User u\r\n');
  assert.equal(removeHostBlock('Host a\n', 0, 'b'), undefined, 'not that host');
  assert.equal(removeHostBlock('Host a b\n', 0, 'a'), undefined, 'several patterns');
  assert.equal(removeHostBlock('# x\n', 5, 'a'), undefined, 'no such line');
  // hostBlock finds the line (0-based) in the file that declares the alias, includes too.
  const inc = join(dir, 'included');
  writeFileSync(inc, '# included\nHost inner\n  HostName i\n');
  const main = join(dir, 'main-config');
  writeFileSync(main, `Host *\n  User u\nInclude ${inc}\nHost outer\n`);
  const c = await SshConfig.load(main, { home: dir });
  assert.deepEqual(c.hostBlock('inner'), { file: inc, line: 1, patterns: ['inner'] });
  assert.deepEqual(c.hostBlock('outer'), { file: main, line: 3, patterns: ['outer'] });
  assert.equal(c.hostBlock('nothing'), undefined);
});
