import type { Disposable } from './cancel';

/** A minimal typed event emitter for the core (the VS Code layer wraps it in a vscode.EventEmitter when needed). */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();

  /** `onError` receives what a listener throws (default: ignored). */
  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  /** Subscribes; dispose the result to unsubscribe. */
  readonly event = (listener: (value: T) => void): Disposable => {
    const wrapped = (value: T) => listener(value);
    this.listeners.add(wrapped);
    return { dispose: () => this.listeners.delete(wrapped) };
  };

  /** Calls every listener; one throwing does not stop the others. */
  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.listeners.clear();
  }
}
