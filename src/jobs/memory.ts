import type * as vscode from 'vscode';

/** One remembered value per key (a host, a file, host + template) in one global-state entry. */
export interface KeyedMemory<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): Thenable<void>;
}

export function keyedMemory<T>(state: vscode.Memento, entry: string): KeyedMemory<T> {
  const all = () => state.get<Record<string, T>>(entry, {});
  return {
    get: (key) => all()[key],
    set: (key, value) => state.update(entry, { ...all(), [key]: value }),
  };
}
