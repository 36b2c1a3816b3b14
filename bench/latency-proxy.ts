/**
 * A TCP forwarder that adds a one-way delay to every chunk, in both directions, keeping order
 * (RTT = 2 × delay), can cut the connection after N bytes, freeze the open connections (a black
 * hole: bytes vanish, nothing closes) and slow them down (a new delay from now on). Used by the
 * benchmarks (30 ms RTT), the fault tests (test/integration/faults-link.test.ts) and the
 * frozen-link e2e test.
 *
 *   node --import tsx bench/latency-proxy.ts [--delay 15] [--target 127.0.0.1:2222] [--port 0] [--cut-after BYTES]
 */
import * as net from 'node:net';

export interface LatencyProxyOptions {
  targetHost?: string;
  targetPort?: number;
  /** One-way delay per chunk, each direction (ms). */
  delayMs?: number;
  /** Local port (0: any free one). */
  port?: number;
  /** Destroy a connection once this many bytes went client → server (both sides see a reset). */
  cutAfterBytes?: number;
}

interface Queued {
  at: number;
  data: Buffer;
}

/** Delays one direction: chunks leave `delayMs` after they arrived, in arrival order. */
class DelayedPipe {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private queuedBytes = 0;
  private paused = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly delayMs: () => number,
    private readonly onBytes?: (n: number) => void,
    private readonly frozen: () => boolean = () => false,
  ) {
    from.on('data', (d: Buffer) => !this.frozen() && this.push(d));
    from.on('end', () => this.push(undefined));
    to.on('drain', () => this.flush());
  }

  private push(data: Buffer | undefined): void {
    if (data) this.onBytes?.(data.length);
    const delay = this.delayMs();
    if (delay <= 0 && this.queue.length === 0) {
      this.deliver(data);
      return;
    }
    // Never before what is queued already (a delay made shorter keeps the order).
    const at = Math.max(Date.now() + delay, this.queue[this.queue.length - 1]?.at ?? 0);
    this.queue.push({ at, data: data ?? Buffer.alloc(0) });
    if (data === undefined) (this.queue[this.queue.length - 1] as Queued & { end?: boolean }).end = true;
    this.queuedBytes += data?.length ?? 0;
    if (this.queuedBytes > 64 << 20 && !this.paused) {
      this.paused = true;
      this.from.pause();
    }
    this.schedule();
  }

  private deliver(data: Buffer | undefined): boolean {
    if (this.to.destroyed) return true;
    if (data === undefined) {
      this.to.end();
      return true;
    }
    return this.to.write(data);
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, Math.max(0, this.queue[0].at - Date.now()));
  }

  private flush(): void {
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].at <= now) {
      const q = this.queue.shift() as Queued & { end?: boolean };
      this.queuedBytes -= q.data.length;
      this.deliver(q.end ? undefined : q.data);
    }
    if (this.paused && this.queuedBytes < 16 << 20) {
      this.paused = false;
      this.from.resume();
    }
    this.schedule();
  }
}

export class LatencyProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Connections cut so far (by cutAfterBytes). */
  cuts = 0;

  constructor(private readonly opts: LatencyProxyOptions = {}) {
    this.delayMs = opts.delayMs ?? 0;
  }

  get port(): number {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('Proxy not listening');
    return a.port;
  }

  private readonly live = new Set<{ frozen: boolean; sent: number; limit: number | undefined; cut(): void }>();

  /** From now on the open connections pass nothing either way and never close (new ones work). */
  freezeAll(): void {
    for (const c of this.live) c.frozen = true;
  }

  /** From now on every chunk, on open and new connections, is delayed this much each way. */
  slow(delayMs: number): void {
    this.delayMs = delayMs;
  }

  private delayMs: number;

  /** Cuts every open connection once `bytes` more have gone client → server. */
  armCut(bytes: number): void {
    for (const c of this.live) c.limit = c.sent + bytes;
  }

  async start(): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    return this.port;
  }

  /** New connections are closed at once (the host unreachable) while set. */
  refuseNew = false;

  private accept(client: net.Socket): void {
    if (this.refuseNew) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.opts.targetPort ?? 2222, this.opts.targetHost ?? '127.0.0.1');
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    const conn = {
      frozen: false,
      sent: 0,
      limit: this.opts.cutAfterBytes,
      cut: () => {
        this.cuts++;
        client.destroy();
        upstream.destroy();
      },
    };
    this.live.add(conn);
    const delay = () => this.delayMs;
    const frozen = () => conn.frozen;
    new DelayedPipe(
      client,
      upstream,
      delay,
      (n) => {
        conn.sent += n;
        if (conn.limit !== undefined && conn.sent >= conn.limit && !client.destroyed) conn.cut();
      },
      frozen,
    );
    new DelayedPipe(upstream, client, delay, undefined, frozen);
    client.on('close', () => {
      this.live.delete(conn);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  }

  /** Drops every open connection (like a network failure). */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const [host, port] = (arg('target') ?? '127.0.0.1:2222').split(':');
  const proxy = new LatencyProxy({
    targetHost: host,
    targetPort: Number(port),
    delayMs: Number(arg('delay') ?? 15),
    port: Number(arg('port') ?? 0),
    cutAfterBytes: arg('cut-after') ? Number(arg('cut-after')) : undefined,
  });
  void proxy.start().then((p) => console.log(`latency proxy on 127.0.0.1:${p} -> ${host}:${port}, one-way delay ${arg('delay') ?? 15} ms`));
}
