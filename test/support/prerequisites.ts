/**
 * The one place that decides whether a test can run on this machine. A missing prerequisite
 * is a reason for `test(..., { skip })` while developing; under `npm test`
 * (REMOTE_HPC_REQUIRE_ALL=1, set by scripts/test.sh, which also installs what tests need) it
 * throws instead, so the file fails loudly and nothing is skipped in silence.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot, sandbox, sandboxAvailable } from './sandbox';

/** A `skip` option: false to run, else why not. */
export type Skip = string | false;

function requireAll(): boolean {
  return process.env.REMOTE_HPC_REQUIRE_ALL === '1';
}

/** `false` when `available`, else the reason to skip, or an error under REMOTE_HPC_REQUIRE_ALL=1. */
export function requirePrereq(name: string, available: boolean | (() => boolean), hint: string): Skip {
  if (typeof available === 'function' ? available() : available) return false;
  const why = `${name} missing (${hint})`;
  if (requireAll()) throw new Error(`Test prerequisite ${why}; REMOTE_HPC_REQUIRE_ALL=1 forbids skipping`);
  return why;
}

/** The first reason among several, for tests with more than one prerequisite. */
export function firstSkip(...skips: Skip[]): Skip {
  return skips.find((s) => s !== false) ?? false;
}

/** True when `cmd args…` runs and exits 0. */
function haveCommand(cmd: string, args: string[] = ['-version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** The sandbox cluster (scripts/sandbox/start.sh), needed by every integration and e2e test. */
export function sandboxSkip(): Skip {
  return requirePrereq('sandbox', sandboxAvailable, 'npm run sandbox:start');
}

/** The sandbox's three pool hosts (scripts/sandbox/pool-hosts.sh). */
export function sandboxPoolSkip(): Skip {
  return sandboxSkip() || requirePrereq('sandbox pool hosts', () => (sandbox().poolHosts?.length ?? 0) >= 3, 'sudo bash scripts/sandbox/pool-hosts.sh start (the sandbox predates them)');
}

/** True when the ISO time is more than a minute away. */
function stillValid(iso: string | undefined): boolean {
  return iso !== undefined && Date.parse(iso) > Date.now() + 60_000;
}

/**
 * The sandbox's certificate, Kerberos and ProxyCommand hosts (scripts/sandbox/auth-hosts.sh), their
 * live credentials, and the client tools that reach them (OpenSSH, MIT kinit, the ProxyCommand's nc).
 */
export function sandboxAuthHostsSkip(): Skip {
  const restart = 'sudo scripts/sandbox/start.sh';
  return (
    sandboxSkip() ||
    requirePrereq('sandbox auth hosts', () => sandbox().kerberos !== undefined && sandbox().certificate !== undefined, `${restart} (the sandbox predates them)`) ||
    requirePrereq('OpenSSH client', () => haveCommand('ssh', ['-V']), 'apt-get install openssh-client') ||
    requirePrereq('MIT Kerberos client', () => haveCommand('klist', ['-V']), 'apt-get install krb5-user') ||
    requirePrereq('netcat-openbsd', () => existsSync('/bin/nc.openbsd'), 'apt-get install netcat-openbsd') ||
    requirePrereq('valid sandbox user certificate', () => stillValid(sandbox().certificate?.validUntil), `${restart} renews it`) ||
    requirePrereq('valid sandbox Kerberos ticket', () => stillValid(sandbox().kerberos?.ticketValidUntil), `${restart} renews it`)
  );
}

/** Local media tools of the preview tests; scripts/test.sh installs their Debian packages. */
export const localTools = {
  ffmpeg: (): Skip => requirePrereq('ffmpeg', () => haveCommand('ffmpeg') && haveCommand('ffprobe'), 'apt-get install ffmpeg'),
  /** Pillow for the system python, which the preview tests put first on the "remote" PATH. */
  pillow: (): Skip => requirePrereq('Pillow', () => haveCommand('/usr/bin/python3', ['-c', 'import PIL']), 'apt-get install python3-pil'),
  imagemagick: (): Skip => requirePrereq('ImageMagick', () => haveCommand('/usr/bin/convert', ['-version']), 'apt-get install imagemagick'),
};

/** Where scripts/e2e/install.sh put Node 24 and code-server ($E2E_CACHE_DIR overrides). */
function e2eCacheDir(): string {
  return resolve(process.env.E2E_CACHE_DIR ?? join(process.env.E2E_REPO_ROOT ?? repoRoot, '.cache', 'e2e'));
}

/** code-server and chromium for the e2e tests (the smoke test needs nothing more). */
export function e2eToolchainSkip(): Skip {
  const dir = e2eCacheDir();
  // `npm test` installs it in the background while the other tests run: wait for that install.
  const lock = join(dir, '.install.lock');
  if (existsSync(lock)) spawnSync('flock', ['--shared', lock, 'true'], { stdio: 'ignore' });
  const log = process.env.REMOTE_HPC_E2E_INSTALL_LOG;
  return requirePrereq('e2e toolchain', () => existsSync(join(dir, '.installed')), log ? `its install failed, see ${log}` : 'bash scripts/e2e/install.sh');
}

/** Everything an e2e test of the extension needs: sandbox, toolchain and the built extension. */
export function e2eSkip(): Skip {
  const root = process.env.E2E_REPO_ROOT ?? repoRoot;
  return (
    sandboxSkip() ||
    e2eToolchainSkip() ||
    requirePrereq('built extension', () => existsSync(join(root, 'dist', 'extension.js')) && existsSync(join(root, 'dist', 'webview', 'gallery.js')), 'node esbuild.mjs')
  );
}
