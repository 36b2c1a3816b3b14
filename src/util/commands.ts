import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { CancelledError } from '../core/cancel';
import { retryableLogin } from '../core/ssh/errors';

/** Errors carrying a message written for users (SshError and friends) set this. */
interface Presentable {
  userMessage?: string;
}

function isCancellation(err: unknown): boolean {
  return err instanceof CancelledError || (err instanceof vscode.CancellationError) || (err instanceof Error && err.name === 'CancelledError');
}

/** A short message for a notification: the error's user message, else its first line. */
function presentError(err: unknown): string {
  const user = (err as Presentable | undefined)?.userMessage;
  if (user) return user;
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 300);
}

/**
 * The one command wrapper: every command runs through it. It logs the full error,
 * shows a short message with a way to the log, and stays quiet when the user cancelled.
 */
export function registerCommand(log: Logger, id: string, handler: (...args: never[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await (handler as (...a: unknown[]) => unknown)(...args);
    } catch (err) {
      if (isCancellation(err)) {
        log.debug(`${id}: cancelled`);
        return undefined;
      }
      log.error(`${id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      // A refused password or code is never retried by itself; this button is the explicit retry.
      const retryHost = retryableLogin(err);
      const actions = retryHost ? ['Try Again', 'Show Log'] : ['Show Log'];
      void vscode.window.showErrorMessage(presentError(err), ...actions).then((choice) => {
        if (choice === 'Try Again') void vscode.commands.executeCommand('remoteHpc.connect', retryHost);
        else if (choice) void vscode.commands.executeCommand('remoteHpc.showLog');
      });
      return undefined;
    }
  });
}
