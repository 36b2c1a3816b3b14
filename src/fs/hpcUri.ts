import * as vscode from 'vscode';
import { normalizeRemotePath } from '../core/remote/paths';

export { normalizeRemotePath };

/** `hpc://<host-alias>/<absolute path>`: every remote file the extension shows or opens. */
export const HPC_SCHEME = 'hpc';

export function hpcUri(host: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: HPC_SCHEME, authority: host, path: normalizeRemotePath(path) });
}

export interface HpcLocation {
  host: string;
  path: string;
}

/** Host and absolute path of an `hpc:` URI; throws for other schemes or a missing host. */
export function parseHpcUri(uri: vscode.Uri): HpcLocation {
  if (uri.scheme !== HPC_SCHEME) throw new Error(`Not a remote HPC URI: ${uri.toString(true)}`);
  if (!uri.authority) throw vscode.FileSystemError.FileNotFound(uri);
  return { host: uri.authority, path: normalizeRemotePath(uri.path) };
}

export function isHpcUri(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return uri?.scheme === HPC_SCHEME && !!uri.authority;
}
