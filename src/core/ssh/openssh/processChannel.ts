/**
 * A RemoteChannel over an `ssh` child process (one multiplexed channel of the control master).
 *
 * OpenSSH's client cannot send a signal request or a window change for a channel, so the remote
 * command is started behind a one-line `sh` prelude that reports what we need first: the
 * process id (on stderr, for `kill`) or the pty's device (on the pty, for `stty`). The prelude
 * line is taken off the stream before anyone sees it; signal and resize then run as commands.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import type { RemoteChannel } from '../channel';

/** Where the prelude line arrives and what to do with it. */
export interface Prelude {
  stream: 'stdout' | 'stderr';
  /** Called once with the first line (without its line end). */
  onLine?(line: string): void;
  /**
   * Input waits until the line arrived. A pty echoes what is written to it at once, so input
   * written before the prelude ran would be echoed ahead of the prelude's line and taken for it.
   */
  holdInput?: boolean;
}

export interface ProcessChannelHooks {
  signal?(name: string): void;
  /** Resizes the pty; input written after the call waits until it is done (ordered, as in-band on ssh2). */
  setWindow?(rows: number, cols: number): Promise<void>;
}

/** The first line of a prelude is short; anything longer is not ours and ends the wait. */
const MAX_PRELUDE = 4096;

/** Strips the first line off a stream, hands it to `onLine`, passes the rest through. */
function stripFirstLine(source: Readable, onLine: (line: string) => void): Readable {
  const out = new PassThrough();
  let head: Buffer | undefined = Buffer.alloc(0);
  source.on('data', (d: Buffer) => {
    if (!head) {
      if (!out.write(d)) source.pause();
      return;
    }
    head = Buffer.concat([head, d]);
    const nl = head.indexOf(0x0a);
    if (nl < 0 && head.length < MAX_PRELUDE) return;
    const line = nl < 0 ? '' : head.subarray(0, nl).toString('utf8').replace(/\r$/, '');
    const rest = nl < 0 ? head : head.subarray(nl + 1);
    head = undefined;
    onLine(line);
    if (rest.length && !out.write(rest)) source.pause();
  });
  out.on('drain', () => source.resume());
  source.on('end', () => out.end());
  source.on('error', (e) => out.destroy(e));
  return out;
}

export class ProcessChannel extends Duplex implements RemoteChannel {
  readonly stderr: Readable;
  /** The prelude's line; undefined when the channel closed before one came, or has no prelude. */
  readonly preludeLine: Promise<string | undefined>;
  private readonly stdout: Readable;
  private exited = false;
  /** Settles when the last resize is done; writes queue behind it. */
  private barrier: Promise<void> = Promise.resolve();

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly hooks: ProcessChannelHooks = {},
    prelude?: Prelude,
  ) {
    super({ allowHalfOpen: true, emitClose: false, autoDestroy: false });
    let heard: (line: string | undefined) => void = () => undefined;
    this.preludeLine = new Promise((r) => (heard = r));
    child.once('close', () => heard(undefined));
    if (prelude?.holdInput) this.barrier = this.preludeLine.then(() => undefined);
    const onLine = (line: string) => {
      heard(line);
      prelude?.onLine?.(line);
    };
    this.stdout = prelude?.stream === 'stdout' ? stripFirstLine(child.stdout, onLine) : child.stdout;
    this.stderr = prelude?.stream === 'stderr' ? stripFirstLine(child.stderr, onLine) : child.stderr;
    this.stdout.on('data', (d: Buffer) => {
      if (!this.push(d)) this.stdout.pause();
    });
    // 'exit' (with the status) before 'end', as on an ssh2 channel: readers of the end look at the status.
    let stdoutEnded = false;
    let status = false;
    const end = () => stdoutEnded && status && this.push(null);
    this.stdout.on('end', () => {
      stdoutEnded = true;
      end();
    });
    // The remote side may exit before reading all we wrote.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => this.emit('error', e));
    child.on('exit', (code: number | null) => {
      status = true;
      // `ssh` exits 255 for its own errors and for a remote process killed by a signal.
      if (code !== null) this.emit('exit', code);
      end();
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.exited = true;
      this.emit('close', code, signal ?? undefined);
    });
  }

  override _read(): void {
    this.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    void this.barrier.then(() => {
      if (this.child.stdin.destroyed) return cb();
      this.child.stdin.write(chunk, () => cb());
    });
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin.end();
    cb();
  }

  signal(name: string): void {
    if (this.hooks.signal) this.hooks.signal(name);
    else this.close();
  }

  setWindow(rows: number, cols: number): void {
    const resize = this.hooks.setWindow;
    if (resize) this.barrier = this.barrier.then(() => resize(rows, cols)).catch(() => undefined);
  }

  close(): void {
    if (!this.exited) this.child.kill('SIGTERM');
  }
}
