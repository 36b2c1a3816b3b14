/** The Remote Explorer's model and tree over one connected host `h` whose ops are given (no SSH). */
import * as vscode from 'vscode';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps, RemoteOpsProvider } from '../../src/core/remote/types';
import { ExplorerModel } from '../../src/explorer/model';
import { ExplorerTreeProvider } from '../../src/explorer/tree';
import { FilterStore } from '../../src/explorer/filterStore';
import { HpcFileSystemProvider } from '../../src/fs/hpcFileSystem';

export function explorerOver(ops: RemoteOps): { model: ExplorerModel; tree: ExplorerTreeProvider; dispose(): void } {
  const hosts = { list: () => [{ alias: 'h', status: 'connected' as const }], onDidChange: new vscode.EventEmitter<unknown>().event, connect: async () => undefined, acquire: async () => undefined };
  const remote: RemoteOpsProvider = { ops: async () => ops, onDidInvalidate: new vscode.EventEmitter<string>().event };
  const fs = new HpcFileSystemProvider(remote, silentLogger, () => true);
  const filters = new FilterStore(silentLogger);
  const model = new ExplorerModel(hosts as never, remote, filters, fs, silentLogger);
  const tree = new ExplorerTreeProvider(model);
  return { model, tree, dispose: () => [tree, model, filters, fs].forEach((d) => d.dispose()) };
}
