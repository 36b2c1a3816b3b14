/**
 * The pool's `connect` for the OpenSSH transport: reuse the user's own live master for the host
 * when there is one (no login at all), else start ours — `ssh -N` with ControlMaster in a private
 * 0700 folder and ControlPersist tied to our idle timeout, every question routed to the
 * AuthPrompter through SSH_ASKPASS. A refused login is never retried here.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from '../../cancel';
import { silentLogger, tagged, type Logger } from '../../log';
import type { AuthPrompter } from '../auth';
import type { TransportInfo } from '../channel';
import { SshError } from '../errors';
import { LoginAttempts, answerKindOf } from '../loginAttempts';
import type { PoolConnection, PoolConnectContext } from '../pool';
import { AskpassServer } from './askpass';
import { cipherArgs, first, masterPid, nullConfig, optionArgs, resolveWithSsh, runSsh, type EffectiveConfig } from './binary';
import { classifyQuestion } from './prompts';
import { OpenSshSession } from './session';

export interface OpenSshConnectOptions {
  prompter: AuthPrompter;
  sshPath?: string;
  /** `-F` for the master and `ssh -G`; default the user's ~/.ssh/config. */
  configFile?: string;
  /** Extra `-o` options for our master (e.g. UserKnownHostsFile from settings). */
  options?: Record<string, string>;
  /** ControlPersist of our master, in seconds: how long it outlives its last channel. Default 1800. */
  persistSeconds?: number;
  /** Private folder for control sockets and the askpass helper; default <tmp>/remote-hpc-<user>. */
  runtimeDir?: string;
  /** How often the master's liveness is checked, ms (a local `kill(pid, 0)`). Default 2000. */
  watchIntervalMs?: number;
  logger?: Logger;
  /** Why OpenSSH carries this host (shown in the Hosts view). */
  reason?: string;
  /** What the caller already asked ssh (`ssh -G`, and the user's live master if any): not asked again. */
  known?: { effective: EffectiveConfig; userMasterPid?: number };
}

/** A 0700 folder owned by us, created if missing; refuses one that others could enter. */
export function privateDir(path?: string): string {
  const dir = path ?? join(tmpdir(), `remote-hpc-${userInfo().username}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (process.platform !== 'win32' && (st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0)) {
    throw new SshError('config', dir, `${dir} must be a folder only you can use (mode 0700): control sockets live there`);
  }
  return dir;
}

let masters = 0;

/**
 * Control socket path: short (sun_path holds ~104 bytes) and one per master we start — never
 * shared with another window or connection, so closing ours cannot cut anyone else's channels.
 */
function controlPathFor(dir: string, alias: string): string {
  return join(dir, `cm-${createHash('sha256').update(`${alias}\0${process.pid}\0${++masters}`).digest('hex').slice(0, 16)}`);
}

/** Maps what `ssh` printed when the master failed to an SshError. */
export function masterError(alias: string, stderr: string, interactive: boolean, stopped?: string): SshError {
  const last = stderr.trim().split('\n').filter(Boolean).pop() ?? 'ssh exited';
  if (stopped) return new SshError('auth-failed', alias, `Authentication to ${alias} failed: ${stopped}`, { interactive: true });
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/.test(stderr))
    return new SshError('host-key-mismatch', alias, `The host key of ${alias} has changed (OpenSSH refused it; see known_hosts)`);
  if (/Host key verification failed/.test(stderr)) return new SshError('host-key-rejected', alias, `Host key of ${alias} not accepted`);
  if (/Permission denied|Too many authentication failures|Authentication failed/.test(stderr))
    return new SshError('auth-failed', alias, `Authentication to ${alias} failed: ${last}`, { interactive });
  if (/Connection timed out|Operation timed out/.test(stderr)) return new SshError('timeout', alias, `Connection to ${alias} timed out`);
  if (/Connection refused|Could not resolve hostname|No route to host|Network is unreachable|Name or service not known/.test(stderr))
    return new SshError('unreachable', alias, `Cannot reach ${alias}: ${last}`);
  return new SshError('disconnected', alias, `ssh to ${alias} failed: ${last}`);
}

/** Answers ssh's questions for one login through the prompter, with the same lockout rules as ssh2. */
function loginQuestions(alias: string, prompter: AuthPrompter, cfg: EffectiveConfig) {
  const user = first(cfg, 'user') ?? '';
  const attempts = new LoginAttempts(`${user}@${alias}`, Number(first(cfg, 'numberofpasswordprompts') ?? 3));
  let last: string | undefined;
  const state = { interactive: false, stopped: undefined as string | undefined, cancelled: false };
  const handler = async (text: string): Promise<string | undefined> => {
    const q = classifyQuestion(text);
    if (q.kind === 'hostkey') {
      const port = Number(first(cfg, 'port') ?? q.port);
      const ok = await prompter.confirmHostKey({ host: first(cfg, 'hostname') ?? q.host, port, keyType: q.keyType, fingerprint: q.fingerprint, otherKnownKeys: [] });
      if (!ok) state.cancelled = true;
      return ok ? 'yes' : 'no';
    }
    if (q.kind === 'confirm') return undefined;
    if (q.kind === 'passphrase') {
      const a = await prompter.passphrase(q.keyPath);
      if (a === undefined) state.cancelled = true;
      return a;
    }
    // Password or keyboard-interactive: the same question again means the last answer was refused.
    state.interactive = true;
    if (last !== undefined) attempts.judged(last !== text);
    if (!attempts.canAnswer) {
      state.stopped = attempts.stopReason ?? 'no more tries';
      return undefined;
    }
    const retry = attempts.retryNotice();
    const kind = q.kind === 'password' ? 'password' : answerKindOf([q.prompt]);
    const answer =
      q.kind === 'password'
        ? await prompter.password(first(cfg, 'hostname') ?? q.host, q.user, retry)
        : (await prompter.keyboardInteractive(alias, '', '', [{ prompt: q.prompt, echo: false }], retry))?.[0];
    if (answer === undefined) {
      state.cancelled = true;
      return undefined;
    }
    attempts.answered(kind);
    last = text;
    return answer;
  };
  return { handler, state };
}

/** Watches a master's pid; fires once when it is gone. */
function watchMaster(pid: number, intervalMs: number, onGone: () => void): { alive(): boolean; stop(): void } {
  let alive = true;
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return { alive: () => alive, stop: () => clearInterval(timer) };
}

export async function connectOpenSsh(alias: string, ctx: Pick<PoolConnectContext, 'signal'>, o: OpenSshConnectOptions): Promise<PoolConnection & { transport: TransportInfo; masterPid: number }> {
  const log = tagged(o.logger ?? silentLogger, `openssh ${alias}`);
  const sshPath = o.sshPath ?? 'ssh';
  const cfg =
    o.known?.effective ??
    (await resolveWithSsh(sshPath, alias, o.configFile, o.options).catch((e: unknown) => {
      throw new SshError('config', alias, e instanceof Error ? e.message : String(e));
    }));
  const dir = privateDir(o.runtimeDir);

  // The user's own master for this host (their ControlPath, e.g. from a terminal login with 2FA).
  const userPath = first(cfg, 'controlpath');
  let controlPath: string;
  let transport: TransportInfo;
  let ours = false;
  let pid = o.known ? o.known.userMasterPid : userPath && userPath !== 'none' ? await masterPid(sshPath, userPath) : undefined;
  if (pid !== undefined && userPath) {
    controlPath = userPath;
    transport = { kind: 'openssh', reason: `reusing your ssh master (${userPath})` };
    log.info(`reusing the live master at ${userPath} (pid ${pid})`);
  } else {
    controlPath = controlPathFor(dir, alias);
    await startMaster(alias, sshPath, controlPath, dir, cfg, ctx.signal, o, log);
    pid = await masterPid(sshPath, controlPath);
    if (pid === undefined) throw new SshError('disconnected', alias, `ssh to ${alias} logged in but its control master is not answering`);
    ours = true;
    transport = { kind: 'openssh', reason: o.reason ?? 'system ssh' };
  }

  const closeListeners: (() => void)[] = [];
  const watch = watchMaster(pid, o.watchIntervalMs ?? 2000, () => {
    log.info('control master is gone');
    for (const l of closeListeners.splice(0)) l();
  });
  const session = new OpenSshSession(alias, { sshPath, controlPath, transport, isAlive: () => watch.alive() });
  return {
    session,
    transport,
    masterPid: pid,
    async ping(timeoutMs: number): Promise<void> {
      const r = await session.exec(['true'], { timeoutMs });
      if (r.code !== 0) throw new Error(`\`true\` exited with ${r.code} on ${alias}: ${r.stderr.toString('utf8').trim()}`);
    },
    close(): void {
      watch.stop();
      session.closeChannels();
      // Never end the user's own master: their terminal is using it.
      if (ours) void runSsh(sshPath, ['-F', nullConfig(), '-S', controlPath, '-O', 'exit', 'remote-hpc'], { timeoutMs: 5000 });
      for (const l of closeListeners.splice(0)) queueMicrotask(l);
    },
    onClose(listener: () => void): void {
      if (!watch.alive()) queueMicrotask(listener);
      else closeListeners.push(listener);
    },
  };
}

async function startMaster(alias: string, sshPath: string, controlPath: string, dir: string, cfg: EffectiveConfig, signal: AbortSignal, o: OpenSshConnectOptions, log: Logger): Promise<void> {
  if (signal.aborted) throw new CancelledError();
  const { handler, state } = loginQuestions(alias, o.prompter, cfg);
  let stopChild: (() => void) | undefined;
  const askpass = await AskpassServer.start(dir, async (text) => {
    const a = await handler(text);
    // Cancelled or out of tries: end the login instead of letting ssh send an empty answer.
    if (a === undefined) stopChild?.();
    return a;
  });
  const args = [
    ...(o.configFile ? ['-F', o.configFile] : []),
    '-o', 'ControlMaster=yes',
    '-o', `ControlPath=${controlPath}`,
    '-o', `ControlPersist=${Math.max(1, Math.round(o.persistSeconds ?? 1800))}s`,
    ...optionArgs(o.options ?? {}),
    ...cipherArgs(cfg),
    '-N', '-T', '--', alias,
  ];
  log.info(`starting a control master: ssh ${args.join(' ')}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(sshPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...askpass.env }, windowsHide: true });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-8000)));
      stopChild = () => child.kill('SIGTERM');
      const abort = () => child.kill('SIGTERM');
      signal.addEventListener('abort', abort, { once: true });
      child.on('error', (e) => reject(new SshError('config', alias, `Cannot run ${sshPath}: ${e.message}`)));
      child.on('close', (code) => {
        signal.removeEventListener('abort', abort);
        if (code === 0) return resolve();
        log.debug(`ssh exited ${code}: ${stderr.trim()}`);
        if (signal.aborted || (state.cancelled && !state.stopped)) return reject(new SshError('cancelled', alias, `Connection to ${alias} cancelled`));
        reject(masterError(alias, stderr, state.interactive, state.stopped));
      });
    });
  } finally {
    askpass.close();
  }
}
