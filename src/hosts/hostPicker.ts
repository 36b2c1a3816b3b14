import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';

/**
 * The one host picker of every feature: the only connected host, or the user's pick (the
 * preferred one first). With none connected, points to the Hosts view and cancels.
 */
export async function pickConnectedHost(hosts: readonly string[], title: string, preferred?: string): Promise<string> {
  if (hosts.length === 0) {
    const choice = await vscode.window.showWarningMessage('No host is connected. Connect one in the Hosts view first.', 'Show Hosts');
    if (choice) void vscode.commands.executeCommand('remoteHpc.hosts.focus');
    throw new CancelledError();
  }
  if (hosts.length === 1) return hosts[0] as string;
  const items = hosts.map((h) => ({ label: h, description: h === preferred ? 'last used' : undefined }));
  if (preferred) items.sort((a, b) => (a.label === preferred ? -1 : b.label === preferred ? 1 : 0));
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Host' });
  if (!picked) throw new CancelledError();
  return picked.label;
}
