/** Structural cancellation token, so the core needs no `vscode` import (a vscode.CancellationToken fits). */
export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface Disposable {
  dispose(): void;
}

/** Thrown when the user or a caller cancelled; UI layers stay quiet on it. */
export class CancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Adapts an AbortSignal to CancellationLike. */
export function tokenFromSignal(signal: AbortSignal): CancellationLike {
  return {
    get isCancellationRequested() {
      return signal.aborted;
    },
    onCancellationRequested(listener) {
      signal.addEventListener('abort', listener, { once: true });
      return { dispose: () => signal.removeEventListener('abort', listener) };
    },
  };
}
