/**
 * The webview end of src/shared/protocol.ts: typed events in, notifications and requests out,
 * replies matched to requests by id. Call `start()` once the handlers are in place: it posts
 * `ready`, and only then does the host start talking.
 */
import {
  isHostToWebview,
  type ErrorInfo,
  type EventData,
  type EventName,
  type NotificationData,
  type NotificationName,
  type RequestName,
  type RequestParams,
  type RequestResult,
  type ViewKind,
} from '../../src/shared/protocol';
import { postRaw } from './vscode';

export class RpcError extends Error {
  readonly cancelled: boolean;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'RpcError';
    this.cancelled = info.cancelled === true;
  }
}

type Handler<V extends ViewKind, E extends EventName<V>> = (data: EventData<V, E>) => void;

export class WebviewRpc<V extends ViewKind> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly handlers = new Map<string, Handler<V, EventName<V>>[]>();
  private started = false;

  constructor(readonly view: V) {}

  on<E extends EventName<V>>(event: E, handler: Handler<V, E>): this {
    const list = this.handlers.get(event) ?? [];
    list.push(handler as Handler<V, EventName<V>>);
    this.handlers.set(event, list);
    return this;
  }

  /** Starts listening and tells the host we are ready. */
  start(): void {
    if (this.started) return;
    this.started = true;
    window.addEventListener('message', (e: MessageEvent<unknown>) => this.dispatch(e.data));
    postRaw({ kind: 'ready', view: this.view });
  }

  notify<N extends NotificationName<V>>(name: N, data: NotificationData<V, N>): void {
    postRaw({ kind: 'notify', name, data });
  }

  request<M extends RequestName<V>>(method: M, params: RequestParams<V, M>): Promise<RequestResult<V, M>> {
    const id = this.nextId++;
    return new Promise<RequestResult<V, M>>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as RequestResult<V, M>), reject });
      postRaw({ kind: 'request', id, method, params });
    });
  }

  private dispatch(msg: unknown): void {
    if (!isHostToWebview(this.view, msg)) {
      console.warn('[rpc] ignored a message outside the protocol', msg);
      return;
    }
    if (msg.kind === 'reply') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new RpcError(msg.error));
      return;
    }
    for (const h of this.handlers.get(msg.event) ?? []) {
      try {
        h(msg.data);
      } catch (err) {
        console.error(`[rpc] handler for ${msg.event} failed`, err);
      }
    }
  }
}
