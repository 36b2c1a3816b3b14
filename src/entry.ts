/**
 * The file VS Code loads (dist/extension.js). It loads the extension proper (dist/main.js, built
 * from src/extension.ts) through a V8 code cache in the extension's global storage
 * (core/codeCache.ts): compiling main.js is most of what activation costs (bench/activation.ts),
 * and with the cache every start after the first skips it.
 */
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { loadWithCodeCache } from './core/codeCache';

type Main = typeof import('./extension');

/** The cache is written this long after activation: by then it holds what activation compiled. */
const WRITE_CACHE_AFTER_MS = 5_000;

let main: Main | undefined;

export function activate(context: vscode.ExtensionContext): ReturnType<Main['activate']> {
  main ??= loadWithCodeCache<Main>(path.join(__dirname, 'main.js'), path.join(context.globalStorageUri.fsPath, 'code-cache'), WRITE_CACHE_AFTER_MS).exports;
  return main.activate(context);
}

export function deactivate(): void {
  main?.deactivate();
}
