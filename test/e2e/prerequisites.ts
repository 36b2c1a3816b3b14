import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { e2eCacheDir, repoRoot } from './harness';
import { sandboxAvailable } from '../support/sandbox';

/**
 * Why an e2e test cannot run here (sandbox, code-server or the built extension missing), for
 * `test(..., { skip })`. Under `npm test` (REMOTE_HPC_REQUIRE_ALL=1) a missing piece is an error,
 * never a silent skip.
 */
export function e2eMissing(): string | false {
  const root = repoRoot();
  let why: string | undefined;
  if (!sandboxAvailable()) why = 'sandbox not running (npm run sandbox:start)';
  else if (!existsSync(join(e2eCacheDir(), 'code-server'))) why = 'e2e toolchain missing (bash scripts/e2e/install.sh)';
  else if (!existsSync(join(root, 'dist', 'extension.js'))) why = 'extension not built (node esbuild.mjs)';
  if (why && process.env.REMOTE_HPC_REQUIRE_ALL === '1') throw new Error(`e2e prerequisites missing: ${why}`);
  return why ?? false;
}
