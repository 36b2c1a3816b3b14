/** Typed wrapper over `acquireVsCodeApi()`, which may be called only once per webview. */

interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): S;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

let api: VsCodeApi<unknown> | undefined;

function vscode<S>(): VsCodeApi<S> {
  api ??= acquireVsCodeApi<unknown>();
  return api as VsCodeApi<S>;
}

export function postRaw(message: unknown): void {
  vscode().postMessage(message);
}

/** Per-webview state kept by VS Code across reloads of a hidden webview. */
export function getState<S>(): S | undefined {
  return vscode<S>().getState();
}

export function setState<S>(state: S): void {
  vscode<S>().setState(state);
}
