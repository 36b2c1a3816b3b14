/**
 * The agent's source, its content hash, and its upload to ~/.cache/remote-hpc/agent-<hash>.py.
 *
 * Where the source comes from: in the extension bundle esbuild inlines `./agent.py` as a string
 * (esbuild.mjs: `loader: { '.py': 'text' }`); under tsx (tests, benchmarks) there is no such
 * loader, but the file sits next to this module, so it is read from disk. The disk path is tried
 * first: in the bundle `__dirname` is dist/, which has no agent.py.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { Session } from '../ssh/session';
import type { Logger } from '../log';
import { sftpChmod, sftpMkdir, sftpOpen, sftpClose, sftpRealpath, sftpReplace, sftpStat, sftpUnlink, sftpWrite } from '../ssh/sftp';
import { onUserPath } from '../userPath';

let cachedSource: string | undefined;

/**
 * The agent's Python source text.
 * @public (test/integration/agent-hardening.test.ts requires it lazily, which knip cannot see)
 */
export function agentSource(): string {
  if (cachedSource === undefined) {
    const onDisk = join(__dirname, 'agent.py');
    if (existsSync(onDisk)) cachedSource = readFileSync(onDisk, 'utf8');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    else cachedSource = require('./agent.py') as string;
  }
  return cachedSource;
}

/** sha256 (hex) of the exact bytes uploaded; the agent prints the same hash of itself in its handshake. */
export function agentHash(source: string = agentSource()): string {
  return createHash('sha256').update(Buffer.from(source, 'utf8')).digest('hex');
}

/** Exit status of the bootstrap when the cached agent's content is not the expected one. */
export const BOOTSTRAP_MISMATCH_EXIT = 86;

/**
 * Run as `python3 -c BOOTSTRAP <agent path> <sha256>`: reads the cached agent once, hashes those
 * bytes and executes exactly them only when the hash matches, else exits with
 * BOOTSTRAP_MISMATCH_EXIT (the client then uploads again). A modified copy never runs. One line,
 * no single quote or `!`, so any login shell passes it through.
 */
const BOOTSTRAP = [
  'import hashlib,sys',
  'p=sys.argv[1]',
  's=open(p,"rb").read()',
  'h=hashlib.sha256(s).hexdigest()',
  `h==sys.argv[2] or sys.exit(${BOOTSTRAP_MISMATCH_EXIT})`,
  'sys.argv=[p]',
  'exec(compile(s,p,"exec"),{"__name__":"__main__","__file__":p,"AGENT_SHA256":h})',
].join(';');

/**
 * Starts the agent with the user's login environment (bash/zsh/ksh/sh: `$SHELL -l`; other shells:
 * the environment of the exec channel's shell), python3 first, `python` as a second try.
 * PYTHONUTF8=1: file names decode as UTF-8 (+ surrogateescape, see remote/remoteName.ts) whatever
 * the locale, on Python 3.7+.
 */
const START_SCRIPT = [
  'f="$1"; h="$2"; b="$3"; PYTHONUTF8=1; export PYTHONUTF8',
  'case "${SHELL##*/}" in bash|zsh|ksh|ksh93|mksh|sh|dash|ash|yash) exec "$SHELL" -lc \'for p in python3 python; do command -v "$p" >/dev/null 2>&1 && exec "$p" -u -c "$2" "$0" "$1"; done; echo "remote-hpc: no python3 on PATH" >&2; exit 127\' "$f" "$h" "$b";; esac',
  'for p in python3 python; do command -v "$p" >/dev/null 2>&1 && exec "$p" -u -c "$b" "$f" "$h"; done',
  'echo "remote-hpc: no python3 on PATH" >&2',
  'exit 127',
].join('; ');

/** argv that starts the installed agent through the verifying bootstrap. */
export function agentLaunchArgv(install: { path: string; hash: string }): string[] {
  return ['/bin/sh', '-c', START_SCRIPT, 'remote-hpc-agent', install.path, install.hash, BOOTSTRAP];
}

export interface AgentInstall {
  /** Absolute remote path of the agent script. */
  path: string;
  /** Full sha256 of its content. */
  hash: string;
  /** False when an identical copy was already there. */
  uploaded: boolean;
  home: string;
}

/**
 * Makes sure the agent is on the host: `~/.cache/remote-hpc` (0700) holds `agent-<hash16>.py`
 * (0700). Uploaded only when missing or of the wrong size, or when `force` (after the bootstrap
 * found other content: the size check is only a shortcut, the hash is checked before it runs). The upload goes to a temp name first, so two windows starting at
 * once never run a half-written agent.
 */
export async function installAgent(session: Session, log: Logger, opts: { force?: boolean; source?: string } = {}): Promise<AgentInstall> {
  // A channel of its own, ended once the agent is in place: the shared one would keep an
  // sftp-server process on the login node for the whole session (4 processes at rest instead of 3).
  const sftp = await session.openSftp();
  try {
    return await install(sftp, log, opts);
  } finally {
    sftp.end();
  }
}

async function install(sftp: SFTPWrapper, log: Logger, opts: { force?: boolean; source?: string }): Promise<AgentInstall> {
  const source = Buffer.from(opts.source ?? agentSource(), 'utf8');
  const hash = createHash('sha256').update(source).digest('hex');
  const home = await sftpRealpath(sftp, '.');
  const cache = `${home === '/' ? '' : home}/.cache`;
  const dir = `${cache}/remote-hpc`;
  const path = `${dir}/agent-${hash.slice(0, 16)}.py`;
  if (!opts.force) {
    const st = await sftpStat(sftp, path).catch(() => undefined);
    if (st && st.size === source.length) return { path, hash, uploaded: false, home };
  }
  for (const [d, mode] of [
    [cache, 0o700],
    [dir, 0o700],
  ] as const) {
    try {
      await sftpMkdir(sftp, d, mode);
    } catch (err) {
      const st = await sftpStat(sftp, d).catch(() => undefined);
      if (!st?.isDirectory()) throw err;
    }
  }
  await sftpChmod(sftp, dir, 0o700).catch((e: unknown) => log.debug(`chmod ${dir}: ${String(e)}`));
  const tmp = `${dir}/.agent-${hash.slice(0, 16)}.${process.pid}-${Date.now().toString(36)}.tmp`;
  await onUserPath(tmp, path, async () => {
    const handle = await sftpOpen(sftp, tmp, 'w', 0o700);
    try {
      await sftpWrite(sftp, handle, source, 0);
    } finally {
      await sftpClose(sftp, handle);
    }
    await sftpChmod(sftp, tmp, 0o700);
    await sftpReplace(sftp, tmp, path);
  }).catch(async (err: unknown) => {
    await sftpUnlink(sftp, tmp).catch(() => undefined);
    throw err;
  });
  log.info(`agent uploaded to ${path}`);
  return { path, hash, uploaded: true, home };
}
