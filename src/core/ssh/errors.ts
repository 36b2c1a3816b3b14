import { CancelledError } from '../cancel';

export type SshErrorKind =
  | 'auth-failed'
  | 'host-key-mismatch'
  | 'host-key-rejected'
  | 'host-key-revoked'
  | 'unreachable'
  | 'timeout'
  | 'disconnected'
  | 'cancelled'
  | 'config';

export interface SshErrorOptions {
  cause?: unknown;
  /** For auth failures: an interactive method (password, keyboard-interactive) was tried. */
  interactive?: boolean;
  /** For host-key errors: the presented key's SHA256 fingerprint. */
  fingerprint?: string;
  /** For host-key mismatches: where the conflicting known_hosts entry is. */
  knownHostsFile?: string;
  knownHostsLine?: number;
}

/**
 * An SSH failure with a short message written for users (`userMessage`, also the `message`).
 * The VS Code command wrapper shows `userMessage` and logs the `cause`.
 */
export class SshError extends Error {
  readonly kind: SshErrorKind;
  readonly host: string;
  readonly interactive: boolean;
  readonly fingerprint?: string;
  readonly knownHostsFile?: string;
  readonly knownHostsLine?: number;

  constructor(kind: SshErrorKind, host: string, message: string, opts: SshErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SshError';
    this.kind = kind;
    this.host = host;
    this.interactive = opts.interactive ?? false;
    if (opts.fingerprint !== undefined) this.fingerprint = opts.fingerprint;
    if (opts.knownHostsFile !== undefined) this.knownHostsFile = opts.knownHostsFile;
    if (opts.knownHostsLine !== undefined) this.knownHostsLine = opts.knownHostsLine;
  }

  get userMessage(): string {
    return this.message;
  }
}

/**
 * The host whose refused interactive login (password, code) the user may retry by hand — the
 * only way it is retried, since every try counts against the account — else undefined.
 */
export function retryableLogin(err: unknown): string | undefined {
  return err instanceof SshError && err.kind === 'auth-failed' && err.interactive ? err.host : undefined;
}

/** True for a user cancellation, whichever layer raised it. */
export function isCancelled(err: unknown): boolean {
  return err instanceof CancelledError || (err instanceof SshError && err.kind === 'cancelled');
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
};

/** Maps anything thrown while connecting (ssh2 errors carry `level` and socket `code`) to an SshError. */
export function toSshError(err: unknown, host: string): SshError {
  if (err instanceof SshError) return err;
  if (err instanceof CancelledError) return new SshError('cancelled', host, `Connection to ${host} cancelled`, { cause: err });
  const e = (err ?? {}) as { level?: unknown; code?: unknown; message?: unknown };
  const level = typeof e.level === 'string' ? e.level : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const text = typeof e.message === 'string' ? e.message : String(err);
  if (level === 'client-authentication') {
    return new SshError('auth-failed', host, `Authentication to ${host} failed`, { cause: err });
  }
  if (level === 'client-timeout' || code === 'ETIMEDOUT') {
    return new SshError('timeout', host, `Connection to ${host} timed out`, { cause: err });
  }
  if (code !== undefined && code in UNREACHABLE_CODES) {
    const kind = code === 'ECONNRESET' || code === 'EPIPE' ? 'disconnected' : 'unreachable';
    return new SshError(kind, host, `Cannot reach ${host}: ${UNREACHABLE_CODES[code]}`, { cause: err });
  }
  if (level === 'client-dns') return new SshError('unreachable', host, `Cannot reach ${host}: host name not found`, { cause: err });
  if (level === 'client-socket') return new SshError('unreachable', host, `Cannot reach ${host}: ${text}`, { cause: err });
  if (level === 'handshake' || level === 'protocol') {
    return new SshError('disconnected', host, `SSH handshake with ${host} failed: ${text}`, { cause: err });
  }
  if (/Connection lost|No response from server|Not connected|closed/i.test(text)) {
    return new SshError('disconnected', host, `Connection to ${host} was lost`, { cause: err });
  }
  return new SshError('disconnected', host, `SSH connection to ${host} failed: ${text.split('\n')[0]}`, { cause: err });
}
