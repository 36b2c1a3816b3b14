import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { passwordSecretKey } from '../core/ssh/auth';
import { registerCommand } from '../util/commands';
import { pathSetting, setting, updateSetting } from '../config/settings';
import { suggestAlias } from '../core/ssh/sshConfig';
import type { HostService, HostState } from './hostService';
import { confirmDisconnect } from './disconnect';
import { removeHost } from './removeHost';

/** A command's host argument: a tree item, an alias, or nothing (then ask). */
async function pickHost(hosts: HostService, arg: unknown, filter: (h: HostState) => boolean, placeHolder: string): Promise<string | undefined> {
  if (typeof arg === 'string') return arg;
  if (arg && typeof (arg as HostState).alias === 'string') return (arg as HostState).alias;
  await hosts.hostDirectory();
  const candidates = hosts.list().filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('No matching hosts.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    candidates.map((h) => ({ label: h.alias, description: `${h.config.user}@${h.config.hostName}:${h.config.port}`, detail: h.status })),
    { placeHolder },
  );
  return pick?.label;
}

function sshConfigPath(): string {
  return pathSetting('sshConfigFile') ?? path.join(os.homedir(), '.ssh', 'config');
}

/** Add Host: asks first whether to append a Host block to the SSH config (never rewriting what is there) or keep the host in settings only. */
async function addHost(hosts: HostService): Promise<void> {
  const target = await vscode.window.showInputBox({
    title: 'Add Host (1/2)',
    prompt: 'user@host[:port], as you would type after ssh',
    placeHolder: 'alice@login.cluster.example.org',
    validateInput: (v) => (/^([^@\s]+@)?[A-Za-z0-9._-]+(:\d{1,5})?$/.test(v.trim()) ? undefined : 'Expected user@host or user@host:port'),
    ignoreFocusOut: true,
  });
  if (!target) return;
  const m = /^(?:([^@\s]+)@)?([A-Za-z0-9._-]+)(?::(\d+))?$/.exec(target.trim());
  if (!m) return;
  const [, user, hostName, port] = m;
  const alias = await vscode.window.showInputBox({
    title: 'Add Host (2/2)',
    prompt: 'Alias shown in the Hosts view',
    value: suggestAlias(hostName),
    validateInput: (v) => (/^[A-Za-z0-9._-]+$/.test(v) ? undefined : 'Letters, digits, dot, dash and underscore only'),
    ignoreFocusOut: true,
  });
  if (!alias) return;
  const file = sshConfigPath();
  const where = await vscode.window.showQuickPick(
    [
      { label: '$(file-code) Add to SSH config', description: file, detail: 'Appends a Host block: ssh, scp and other tools see the host too.', ssh: true },
      { label: '$(settings-gear) Keep in settings only', description: 'remoteHpc.hosts', detail: `${file} is not touched.`, ssh: false },
    ],
    { title: `Add Host: where to keep ${alias}?`, ignoreFocusOut: true },
  );
  if (!where) return;
  if (!where.ssh) {
    const others = (setting('hosts') ?? []).filter((h) => h.name !== alias);
    await updateSetting('hosts', [...others, { name: alias, hostName, ...(user ? { user } : {}), ...(port ? { port: Number(port) } : {}) }]);
    await hosts.reload();
    void vscode.window.showInformationMessage(`Added ${alias} to the setting remoteHpc.hosts.`, 'Connect').then((c) => c && vscode.commands.executeCommand('remoteHpc.connect', alias));
    return;
  }
  const block = [`\nHost ${alias}`, `  HostName ${hostName}`, user ? `  User ${user}` : '', port ? `  Port ${port}` : ''].filter(Boolean).join('\n') + '\n';
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fsp.appendFile(file, block, { mode: 0o600 });
  await hosts.reload();
  void vscode.window.showInformationMessage(`Added ${alias} to ${file}.`, 'Connect').then((c) => c && vscode.commands.executeCommand('remoteHpc.connect', alias));
}

export function registerHostCommands(log: Logger, hosts: HostService, channel: vscode.LogOutputChannel, secrets: vscode.SecretStorage): vscode.Disposable[] {
  const notConnected = (h: HostState) => h.status !== 'connected';
  const connected = (h: HostState) => h.status === 'connected';
  return [
    registerCommand(log, 'remoteHpc.connect', async (arg?: unknown) => {
      const alias = await pickHost(hosts, arg, notConnected, 'Host to connect to');
      if (alias) await hosts.connect(alias);
    }),
    registerCommand(log, 'remoteHpc.disconnect', async (arg?: unknown) => {
      const alias = await pickHost(hosts, arg, connected, 'Host to disconnect');
      if (alias && (await confirmDisconnect([alias]))) hosts.disconnect(alias);
    }),
    registerCommand(log, 'remoteHpc.disconnectAll', async () => {
      if (await confirmDisconnect(hosts.list().map((h) => h.alias))) hosts.disconnectAll();
    }),
    registerCommand(log, 'remoteHpc.checkConnection', async (arg?: unknown) => {
      const alias = await pickHost(hosts, arg, connected, 'Host to check');
      if (!alias) return;
      const t0 = Date.now();
      const ok = await hosts.check(alias);
      if (ok) void vscode.window.showInformationMessage(`${alias} answered in ${Date.now() - t0} ms.`);
      else void vscode.window.showWarningMessage(`${alias} did not answer; it will reconnect on next use.`);
    }),
    registerCommand(log, 'remoteHpc.addHost', () => addHost(hosts)),
    registerCommand(log, 'remoteHpc.removeHost', async (arg?: unknown) => {
      const alias = await pickHost(hosts, arg, () => true, 'Host to remove');
      if (alias) await removeHost(hosts, alias);
    }),
    registerCommand(log, 'remoteHpc.openSshConfig', async () => {
      const file = sshConfigPath();
      await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const handle = await fsp.open(file, 'a', 0o600);
      await handle.close();
      await vscode.window.showTextDocument(vscode.Uri.file(file));
    }),
    registerCommand(log, 'remoteHpc.refreshHosts', () => hosts.reload()),
    registerCommand(log, 'remoteHpc.forgetPassword', async (arg?: unknown) => {
      const alias = await pickHost(hosts, arg, () => true, 'Forget the saved password of');
      const h = alias && hosts.list().find((x) => x.alias === alias);
      if (!h) return;
      await secrets.delete(`remoteHpc:${passwordSecretKey(h.config.user, h.config.hostName, h.config.port)}`);
      void vscode.window.showInformationMessage(`Any saved password for ${alias} is forgotten.`);
    }),
    registerCommand(log, 'remoteHpc.showLog', () => channel.show(true)),
  ];
}
