/**
 * ssh2, evaluated on first use: its module code takes ~30 ms to run, which activating the
 * extension (no connection yet) must not pay. Type imports of 'ssh2' stay as they are.
 */
import type * as Ssh2 from 'ssh2';

let loaded: typeof Ssh2 | undefined;

export function ssh2(): typeof Ssh2 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('ssh2') as typeof Ssh2;
  return loaded;
}
