import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { redact } from '../core/redact';

function format(message: string, args: unknown[]): string {
  const parts = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a)));
  return redact([message, ...parts].join(' '));
}

/** The one "Remote HPC" LogOutputChannel, as the core's Logger; secrets are masked before writing. */
export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (m, ...a) => channel.trace(format(m, a)),
    debug: (m, ...a) => channel.debug(format(m, a)),
    info: (m, ...a) => channel.info(format(m, a)),
    warn: (m, ...a) => channel.warn(format(m, a)),
    error: (m, ...a) => channel.error(typeof m === 'string' ? format(m, a) : redact(`${m.message}\n${m.stack ?? ''}`)),
  };
}
