/**
 * Add Host (issue 15): asks before touching ~/.ssh/config ("Keep in settings only" writes
 * remoteHpc.hosts and leaves the file alone) and suggests an alias past generic login names.
 */
import '../support/vscode/register';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { answers, setSetting, settings } from '../support/vscode/fake';
import { registerHostCommands } from '../../src/hosts/commands';
import { suggestAlias } from '../../src/core/ssh/sshConfig';
import { silentLogger } from '../../src/core/log';

const dir = mkdtempSync(join(tmpdir(), 'rhpc-addhost-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  setSetting('remoteHpc.sshConfigFile', undefined);
  setSetting('remoteHpc.hosts', undefined);
  answers.pick = answers.input = answers.message = undefined;
});

test('alias suggestion skips generic login node names', () => {
  assert.equal(suggestAlias('login2.cluster.example.org'), 'cluster');
  assert.equal(suggestAlias('ln01.frontier.olcf.ornl.gov'), 'frontier');
  assert.equal(suggestAlias('perlmutter.nersc.gov'), 'perlmutter');
  assert.equal(suggestAlias('login'), 'login');
  assert.equal(suggestAlias('10.0.0.5'), '10.0.0.5');
});

test('Keep in settings only: remoteHpc.hosts gets the host, the SSH config file is not written', async () => {
  const config = join(dir, 'config');
  setSetting('remoteHpc.sshConfigFile', config);
  let reloaded = 0;
  const hosts = { reload: async () => void reloaded++, list: () => [] };
  const disposables = registerHostCommands(silentLogger, hosts as never, {} as never, {} as never);
  const inputs = ['ana@login2.cluster.example.org:2222', undefined];
  answers.input = (opts) => {
    const typed = inputs.shift();
    return typed ?? String(opts.value); // the alias box: accept the suggestion
  };
  const picked: string[] = [];
  answers.pick = (items, opts) => {
    picked.push(`${opts?.title}: ${items.map((i) => i.label).join(' | ')}`);
    return items.find((i) => /Keep in settings only/.test(i.label));
  };
  try {
    await vscode.commands.executeCommand('remoteHpc.addHost');
  } finally {
    disposables.forEach((d) => d.dispose());
  }
  assert.deepEqual(picked, ['Add Host: where to keep cluster?: $(file-code) Add to SSH config | $(settings-gear) Keep in settings only']);
  assert.deepEqual(settings.get('remoteHpc.hosts'), [{ name: 'cluster', hostName: 'login2.cluster.example.org', user: 'ana', port: 2222 }]);
  assert.equal(existsSync(config), false, 'the SSH config was not touched');
  assert.equal(reloaded, 1);
});
