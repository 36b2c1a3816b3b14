/** Drives the product's ShellTerminal like a user at a terminal: type, wait for output, see it end. */
import { ShellTerminal, type ShellTerminalOptions } from '../../src/core/ssh/shellTerminal';
import { silentLogger } from '../../src/core/log';
import type { Session } from '../../src/core/ssh/session';
import { waitUntil } from './wait';

export class TerminalDriver {
  output = '';
  code: number | undefined;
  released = false;
  readonly term: ShellTerminal;

  constructor(session: Session, start: Pick<ShellTerminalOptions, 'start' | 'cwd'>) {
    this.term = new ShellTerminal({
      label: 'sandbox',
      ...start,
      acquire: async () => ({ session, release: () => (this.released = true) }),
      log: silentLogger,
      output: (t) => (this.output += t),
      closed: (code) => (this.code = code),
    });
  }

  open(rows = 24, columns = 80): Promise<void> {
    return this.term.open({ rows, columns });
  }

  /** The view closes the terminal (the remote side is hung up). */
  close(): void {
    this.term.close();
  }

  type(text: string): void {
    this.term.input(text);
  }

  /** Waits for `pattern` in the output after `from` (default: anywhere); returns its match. */
  expect(pattern: RegExp, timeoutMs = 20_000, from = 0): Promise<RegExpExecArray> {
    return waitUntil(`${pattern} in the terminal; output so far: ${JSON.stringify(this.output.slice(-400))}`, () => pattern.exec(this.output.slice(from)) ?? undefined, timeoutMs, 50);
  }

  ended(timeoutMs = 20_000): Promise<number> {
    return waitUntil(`the terminal to end; output so far: ${JSON.stringify(this.output.slice(-400))}`, () => this.code, timeoutMs, 50);
  }
}
