/**
 * What every transport hands features for one remote process: its stdin/stdout as a duplex
 * stream, stderr beside it, and the process's end. An ssh2 exec channel satisfies it as it is;
 * the OpenSSH transport wraps an `ssh` child (openssh/processChannel.ts).
 *
 * Events: 'exit' (code, signal) when the remote process's status is known, then 'close'
 * (code, signal) once the pipes are gone — 'close' always fires, with no status when the
 * connection died under the channel.
 */
import type { Duplex, Readable } from 'node:stream';

export interface RemoteChannel extends Duplex {
  readonly stderr: Readable;
  /** Asks the transport to deliver a signal (e.g. 'KILL') to the remote process. */
  signal(name: string): void;
  /** A new terminal size for a pty channel. */
  setWindow(rows: number, cols: number, height: number, width: number): void;
  /** Closes the channel: the remote side sees EOF, a pty its hangup. */
  close(): void;
}

/** A pseudo-terminal request. */
export interface PtyOptions {
  term?: string;
  rows?: number;
  cols?: number;
  width?: number;
  height?: number;
}

/** Which implementation carries a session, and why it was chosen (shown in the Hosts view). */
export interface TransportInfo {
  kind: 'ssh2' | 'openssh';
  /** Why this one, in a few words ("certificate in CertificateFile", "reusing your ssh master"). */
  reason: string;
}
