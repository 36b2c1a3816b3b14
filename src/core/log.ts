/** The logger the core writes to; the VS Code layer backs it with a LogOutputChannel. */
export interface Logger {
  trace(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

const noop = (): void => undefined;
export const silentLogger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** Prefixes every line with a component tag, e.g. `[pool]`. */
export function tagged(log: Logger, tag: string): Logger {
  return {
    trace: (m, ...a) => log.trace(`[${tag}] ${m}`, ...a),
    debug: (m, ...a) => log.debug(`[${tag}] ${m}`, ...a),
    info: (m, ...a) => log.info(`[${tag}] ${m}`, ...a),
    warn: (m, ...a) => log.warn(`[${tag}] ${m}`, ...a),
    error: (m, ...a) => log.error(typeof m === 'string' ? `[${tag}] ${m}` : m, ...a),
  };
}
