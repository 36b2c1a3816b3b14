/**
 * Remove Host: a host from the `remoteHpc.hosts` setting leaves it (every scope that lists it);
 * a host from the SSH config is the user's file: we say where its Host block is and open it
 * there, or, when the block is `Host <alias>` alone, offer to delete exactly the lines shown,
 * written atomically. One modal asks, and says when the host is connected (it is disconnected
 * first) and how many terminals that closes.
 */
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import { settingScopes, setting, updateSetting } from '../config/settings';
import { replaceFileAtomic } from '../core/local/atomicWrite';
import type { ExtraHost } from '../core/ssh/sshConfig';
import { removeHostBlock } from '../core/ssh/sshConfigEdit';
import { terminalsOn } from '../explorer/terminal';
import type { HostService } from './hostService';

const OPEN = 'Open SSH Config';
const DELETE = 'Delete Host Block';

/** " It is connected: …" for the confirmation, or nothing. */
function connectedNote(hosts: HostService, alias: string): string {
  const status = hosts.status(alias);
  if (status === 'disconnected' || status === 'failed') return '';
  const n = terminalsOn(alias);
  return `\n\n${alias} is ${status === 'connected' ? 'connected' : status}: removing it disconnects it first${n ? ` and closes ${n} terminal${n === 1 ? '' : 's'}` : ''}.`;
}

function disconnectIfLive(hosts: HostService, alias: string): void {
  if (hosts.status(alias) !== 'disconnected') hosts.disconnect(alias);
}

async function openAt(file: string, line: number): Promise<void> {
  const at = new vscode.Position(line, 0);
  await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(at, at), preview: false });
}

const lists = (v: unknown, alias: string): v is ExtraHost[] => Array.isArray(v) && v.some((h: ExtraHost | undefined) => h?.name === alias);

async function removeFromSettings(hosts: HostService, alias: string): Promise<void> {
  const scopes = settingScopes('hosts').filter((s) => lists(s.value, alias));
  const where = scopes.map((s) => s.label).join(' and ') || 'settings';
  const dir = await hosts.hostDirectory();
  const block = dir.config.hostBlock(alias);
  const also = block ? `\n\nThe SSH config (${block.file}) also has a Host ${alias} block; it stays, and the host with it.` : '';
  const go = await vscode.window.showWarningMessage(`Remove ${alias} from the setting remoteHpc.hosts?`, { modal: true, detail: `It is kept in your ${where}.${connectedNote(hosts, alias)}${also}` }, 'Remove');
  if (go !== 'Remove') return;
  disconnectIfLive(hosts, alias);
  const without = (v: ExtraHost[]) => v.filter((h) => h?.name !== alias);
  // The list without it, an empty one included, never an unset key: in a remote window (code-server)
  // the user settings are layers (the local file, then the remote machine's, where VS Code writes
  // this machine-scoped setting), and with the upper one unset a lower one shows through again.
  for (const s of scopes) await updateSetting('hosts', without(s.value), s.target);
  if (lists(setting('hosts'), alias)) await updateSetting('hosts', without(setting('hosts')));
  if (lists(setting('hosts'), alias)) throw new Error(`${alias} is still listed in remoteHpc.hosts, set where Remote HPC cannot change it: remove it from settings.json by hand.`);
  await hosts.reload();
  if (block) {
    const choice = await vscode.window.showInformationMessage(`Removed ${alias} from remoteHpc.hosts; it is still in ${block.file}.`, OPEN);
    if (choice === OPEN) await openAt(block.file, block.line);
  } else void vscode.window.showInformationMessage(`Removed ${alias} from remoteHpc.hosts.`);
}

async function removeFromSshConfig(hosts: HostService, alias: string): Promise<void> {
  const block = (await hosts.hostDirectory()).config.hostBlock(alias);
  if (!block) throw new Error(`${alias} is not declared by a Host line of the SSH config (a wildcard or Match block matches it?): nothing to remove.`);
  const { file, line, patterns } = block;
  // Deleting is offered for a block of this host alone, in a file of the user's (not /etc).
  const removal = patterns.length === 1 && !file.startsWith('/etc/') ? removeHostBlock(await fsp.readFile(file, 'utf8'), line, alias) : undefined;
  const others = patterns.filter((p) => p !== alias);
  const detail = [
    `${file}, line ${line + 1}. Remote HPC does not change your SSH config by itself.`,
    removal ? `Open it to edit the block, or delete these lines:\n\n${removal.removed}` : `Open it there to edit the block${others.length ? ` (its Host line also names ${others.join(', ')})` : ''}.`,
  ].join('\n\n');
  const choice = await vscode.window.showWarningMessage(`${alias} is defined in your SSH config.`, { modal: true, detail: detail + (removal ? connectedNote(hosts, alias) : '') }, OPEN, ...(removal ? [DELETE] : []));
  if (choice === OPEN) return openAt(file, line);
  if (choice !== DELETE || !removal) return;
  // Exactly the lines shown: if the file changed meanwhile, nothing is written.
  const now = removeHostBlock(await fsp.readFile(file, 'utf8'), line, alias);
  if (!now || now.removed !== removal.removed) throw new Error(`${file} changed since it was read; nothing was deleted. Run Remove Host again.`);
  disconnectIfLive(hosts, alias);
  await replaceFileAtomic(file, now.text);
  await hosts.reload();
  void vscode.window.showInformationMessage(`Deleted the Host ${alias} block from ${file}.`);
}

export async function removeHost(hosts: HostService, alias: string): Promise<void> {
  await hosts.hostDirectory();
  const h = hosts.list().find((x) => x.alias === alias);
  if (!h) throw new Error(`No host named ${alias}.`);
  await (h.source === 'settings' ? removeFromSettings(hosts, alias) : removeFromSshConfig(hosts, alias));
}
