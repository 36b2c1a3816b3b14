import * as vscode from 'vscode';
import { terminalsOn } from '../explorer/terminal';

/**
 * Before disconnecting: when Remote HPC terminals are open on these hosts, a modal says how many
 * will close ("2 terminals on X will close"). True when there are none or the user agreed.
 */
export async function confirmDisconnect(aliases: readonly string[]): Promise<boolean> {
  const open = aliases.map((a) => ({ a, n: terminalsOn(a) })).filter((x) => x.n > 0);
  if (open.length === 0) return true;
  const what = open.map(({ a, n }) => `${n} terminal${n === 1 ? '' : 's'} on ${a}`).join(', ');
  const total = open.reduce((s, x) => s + x.n, 0);
  const go = 'Disconnect';
  const choice = await vscode.window.showWarningMessage(`${what} will close.`, { modal: true, detail: `Disconnecting ends ${total === 1 ? 'its shell' : 'their shells'} and anything running in ${total === 1 ? 'it' : 'them'}.` }, go);
  return choice === go;
}
