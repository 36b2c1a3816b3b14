import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { classifyRemoteError, describeCode } from '../core/remote/errors';
import { FileTooLargeError } from '../core/remote/wholeFile';

/** Maps anything a remote file operation threw to the FileSystemError VS Code expects. */
export function toFileSystemError(err: unknown, uri: vscode.Uri): Error {
  if (err instanceof vscode.FileSystemError || err instanceof CancelledError || err instanceof vscode.CancellationError) return err;
  if (err instanceof FileTooLargeError) return new vscode.FileSystemError(err.message);
  const code = classifyRemoteError(err);
  switch (code) {
    case 'not-found':
      return vscode.FileSystemError.FileNotFound(uri);
    case 'exists':
      return vscode.FileSystemError.FileExists(uri);
    case 'no-permission':
      return vscode.FileSystemError.NoPermissions(uri);
    case 'not-a-directory':
      return vscode.FileSystemError.FileNotADirectory(uri);
    case 'is-a-directory':
      return vscode.FileSystemError.FileIsADirectory(uri);
    case 'unavailable':
      return vscode.FileSystemError.Unavailable(uri);
    case 'not-empty':
    case 'no-space':
    case 'loop':
      return new vscode.FileSystemError(`${describeCode(code)}: ${uri.path}`);
    case 'unknown': {
      const text = err instanceof Error ? err.message : String(err);
      return new vscode.FileSystemError(`${text.split('\n')[0]} (${uri.path})`);
    }
  }
}

/** Whether a file or folder exists (through any file system provider); other errors propagate. */
export async function uriExists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return false;
    throw e;
  }
}
