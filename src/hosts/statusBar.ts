import * as vscode from 'vscode';
import type { HostService } from './hostService';

/** One status bar item summarising connection state; click focuses the Hosts view. */
export function createConnectionStatusBar(hosts: HostService): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('remoteHpc.connection', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Remote HPC Connection';
  item.command = 'remoteHpc.hosts.focus';
  const render = () => {
    const all = hosts.list();
    const connected = all.filter((h) => h.status === 'connected').map((h) => h.alias);
    const connecting = all.filter((h) => h.status === 'connecting').map((h) => h.alias);
    const failed = all.filter((h) => h.status === 'failed').map((h) => h.alias);
    const lost = all.filter((h) => h.status === 'reconnecting');
    if (lost.length) {
      item.text = `$(sync~spin) HPC: ${lost.map((h) => h.alias).join(', ')} — reconnecting`;
      item.tooltip = lost.map((h) => `${h.error ?? `Connection to ${h.alias} lost`}; reconnecting…`).join('\n');
    } else if (connecting.length) {
      item.text = `$(loading~spin) HPC: ${connecting.join(', ')}`;
      item.tooltip = `Connecting to ${connecting.join(', ')}`;
    } else if (connected.length) {
      item.text = `$(remote) HPC: ${connected.length === 1 ? connected[0] : `${connected.length} hosts`}`;
      item.tooltip = `Connected: ${connected.join(', ')}`;
    } else if (failed.length) {
      item.text = `$(debug-disconnect) HPC`;
      item.tooltip = `Connection failed: ${failed.join(', ')}`;
    } else {
      item.text = `$(remote) HPC`;
      item.tooltip = 'Remote HPC: not connected';
    }
    item.backgroundColor = lost.length || (failed.length && !connected.length) ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if (all.length) item.show();
    else item.hide();
  };
  render();
  const sub = hosts.onDidChange(render);
  return vscode.Disposable.from(sub, item);
}
