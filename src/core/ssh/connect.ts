/**
 * Opens one authenticated ssh2 connection for a HostConfig: host key checked against
 * known_hosts (never accepted silently), authentication through AuthSequence, ProxyJump
 * hop by hop over `forwardOut` channels, handshake timeout that pauses while the user answers.
 */
import { join } from 'node:path';
import { homedir } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { ssh2 } from './ssh2Lazy';
import { CancelledError } from '../cancel';
import { silentLogger, tagged, type Logger } from '../log';
import { AuthSequence, type AuthPrompter, type PassphraseCache, type SecretStore } from './auth';
import { SshError, retryableLogin, toSshError } from './errors';
import { KnownHosts, append, fingerprint, keyTypeOf, knownHostsName } from './knownHosts';
import { parseJumpSpec, type HostConfig } from './sshConfig';

export interface ConnectOptions {
  prompter: AuthPrompter;
  /** Opt-in remembered passwords. */
  secretStore?: SecretStore;
  /** Passphrase cache (default: the process-wide one). */
  passphrases?: PassphraseCache;
  logger?: Logger;
  /** Overrides the config's UserKnownHostsFile list (the first file receives accepted keys). */
  knownHostsFiles?: string[];
  /** Read-only known_hosts files; default the config's GlobalKnownHostsFile or /etc/ssh/ssh_known_hosts{,2}. */
  globalKnownHostsFiles?: string[];
  /** ssh-agent socket; `null` = no agent; default the config's IdentityAgent, else SSH_AUTH_SOCK. */
  agentSocket?: string | null;
  /** Keepalive; default ServerAliveInterval, else 30 s. 0 disables. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection is dropped; default ServerAliveCountMax, else 3. */
  keepaliveCountMax?: number;
  /** Handshake + authentication timeout, paused while a prompt is open; default ConnectTimeout, else 20 s. */
  readyTimeoutMs?: number;
  /** Resolves a ProxyJump hop (`[user@]host[:port]`), e.g. HostDirectory.resolveJump. */
  resolveJump?: (spec: string) => HostConfig;
  signal?: AbortSignal;
  /** Environment for SSH_AUTH_SOCK; default process.env. */
  env?: Record<string, string | undefined>;
  /** Sends ssh2's protocol debug output to logger.trace. */
  debug?: boolean;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_KEEPALIVE_MS = 30_000;

/**
 * ssh2's keepaliveCountMax for OpenSSH's ServerAliveCountMax. OpenSSH drops a silent server
 * after interval × count (3 × 15 s: "approximately 45 seconds", ssh_config(5)); ssh2 gives up
 * only when the ping after `count` unanswered ones is due, one interval later (a frozen link
 * took 4 s to notice at 1 s × 3). At least 1: with 0 ssh2 never sends a ping at all.
 */
function ssh2KeepaliveCount(serverAliveCountMax: number): number {
  return Math.max(1, serverAliveCountMax - 1);
}

/** A timer that can be paused (nested) while the user is being asked something. */
class PausableTimer {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private startedAt = 0;
  private pauses = 0;
  private done = false;

  constructor(
    ms: number,
    private readonly fire: () => void,
  ) {
    this.remaining = ms;
    if (ms > 0) this.start();
    else this.done = true;
  }
  private start(): void {
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.done = true;
      this.fire();
    }, this.remaining);
  }
  pause(): void {
    if (this.done || this.pauses++ > 0) return;
    clearTimeout(this.timer);
    this.remaining = Math.max(0, this.remaining - (Date.now() - this.startedAt));
  }
  resume(): void {
    if (this.done || --this.pauses > 0) return;
    this.start();
  }
  clear(): void {
    this.done = true;
    clearTimeout(this.timer);
  }
}

function defaultJump(base: HostConfig): (spec: string) => HostConfig {
  return (spec) => {
    const { user, host, port } = parseJumpSpec(spec);
    return { ...base, alias: spec, hostName: host, port: port ?? 22, user: user ?? base.user, proxyJump: [] };
  };
}

function agentSocketFor(config: HostConfig, opts: ConnectOptions): string | undefined {
  if (opts.agentSocket === null) return undefined;
  if (opts.agentSocket !== undefined) return opts.agentSocket;
  if (config.identityAgent === 'none') return undefined;
  if (config.identityAgent) return config.identityAgent;
  return defaultAgentSocket(opts.env ?? process.env, process.platform);
}

/** Windows' own OpenSSH agent (the service `ssh.exe` uses); Pageant ≥ 0.75 offers a pipe too (IdentityAgent). */
const WINDOWS_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';

/** SSH_AUTH_SOCK, else on Windows the OpenSSH agent's named pipe, as OpenSSH for Windows does. */
export function defaultAgentSocket(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (env.SSH_AUTH_SOCK) return env.SSH_AUTH_SOCK;
  return platform === 'win32' ? WINDOWS_AGENT_PIPE : undefined;
}

/**
 * Checks a presented host key. Match → accept; revoked or changed → SshError; unknown → the
 * prompter decides (or StrictHostKeyChecking yes/accept-new/no), and an accepted key is appended.
 */
async function verifyHostKey(
  config: HostConfig,
  key: Buffer,
  opts: ConnectOptions,
  log: Logger,
  prompting: <T>(ask: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const home = homedir();
  const userFiles = opts.knownHostsFiles ?? config.knownHostsFiles ?? [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')];
  const globalFiles = opts.globalKnownHostsFiles ?? config.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
  const keyType = keyTypeOf(key) ?? 'unknown';
  const fp = fingerprint(key);
  // known_hosts names the host `[hostName]:port`, or by its HostKeyAlias verbatim.
  const [khHost, khPort] = config.hostKeyAlias ? [config.hostKeyAlias, 22] : [config.hostName, config.port];
  const where = knownHostsName(khHost, khPort);
  const label = config.alias;
  const result = (await KnownHosts.load([...userFiles, ...globalFiles])).check(khHost, khPort, keyType, key);
  switch (result.status) {
    case 'match':
      log.debug(`host key for ${where} matches ${result.file}:${result.line}`);
      return;
    case 'revoked':
      throw new SshError('host-key-revoked', label, `The host key of ${label} (${keyType} ${fp}) is marked @revoked in ${result.file}:${result.line}. Refusing to connect.`, {
        fingerprint: fp,
        knownHostsFile: result.file,
        knownHostsLine: result.line,
      });
    case 'mismatch':
      throw new SshError(
        'host-key-mismatch',
        label,
        `HOST KEY CHANGED for ${label} (${where}): it now presents ${keyType} ${fp}, which differs from the key in ${result.file}:${result.line}. ` +
          `This could be an attack or a reinstalled server; if the change is expected, remove that line. Refusing to connect.`,
        { fingerprint: fp, knownHostsFile: result.file, knownHostsLine: result.line },
      );
    case 'unknown':
      if (result.otherKeys.length > 0) {
        const known = result.otherKeys.map((k) => `${k.keyType} ${k.fingerprint} (${k.file}:${k.line})`).join(', ');
        log.warn(`${where} presents ${keyType} ${fp}; a key of another type is already known: ${known}`);
      }
      break;
  }
  const strict = config.strictHostKeyChecking ?? 'ask';
  if (strict === 'yes') {
    throw new SshError('host-key-rejected', label, `The host key of ${label} (${keyType} ${fp}) is not in known_hosts and StrictHostKeyChecking is yes.`, { fingerprint: fp });
  }
  if (strict === 'ask') {
    const ok = await prompting(() => opts.prompter.confirmHostKey({ host: config.hostName, port: config.port, keyType, fingerprint: fp, otherKnownKeys: result.otherKeys }));
    if (!ok) throw new SshError('host-key-rejected', label, `The host key of ${label} (${keyType} ${fp}) was not accepted.`, { fingerprint: fp });
  } else {
    log.info(`StrictHostKeyChecking ${strict}: accepting new host key for ${where} (${keyType} ${fp})`);
  }
  const target = userFiles[0];
  if (!target) {
    log.warn(`no UserKnownHostsFile to record the key of ${where} in`);
    return;
  }
  try {
    await append(target, khHost, khPort, keyType, key, { hash: config.hashKnownHosts === true });
    log.info(`added ${where} (${keyType} ${fp}) to ${target}`);
  } catch (err) {
    log.warn(`could not add ${where} to ${target}: ${(err as Error).message}`);
  }
}

/** One hop: an authenticated Client, over `sock` when given (a forwarded channel). */
function connectOne(config: HostConfig, sock: Duplex | undefined, opts: ConnectOptions, log: Logger): Promise<Client> {
  const label = config.alias;
  if (config.proxyCommand) {
    return Promise.reject(new SshError('config', label, `${label} uses ProxyCommand, which Remote HPC does not run; use ProxyJump instead.`));
  }
  if (opts.signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise<Client>((resolve, reject) => {
    const client = new (ssh2().Client)();
    let settled = false;
    let hostKeyError: SshError | undefined;
    const timeoutMs = opts.readyTimeoutMs ?? config.connectTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const timer = new PausableTimer(timeoutMs, () => fail(new SshError('timeout', label, `Connection to ${label} timed out after ${Math.round(timeoutMs / 1000)} s`)));
    const prompting = async <T>(ask: () => Promise<T>): Promise<T> => {
      timer.pause();
      try {
        return await ask();
      } finally {
        timer.resume();
      }
    };
    const onAbort = () => fail(new CancelledError());
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      timer.clear();
      opts.signal?.removeEventListener('abort', onAbort);
      client.destroy();
      reject(err);
    };
    const auth = new AuthSequence({
      host: label,
      hostName: config.hostName,
      port: config.port,
      user: config.user,
      identityFiles: config.identityFiles,
      identitiesOnly: config.identitiesOnly,
      ...(agentSocketFor(config, opts) ? { agentSocket: agentSocketFor(config, opts) } : {}),
      prompter: opts.prompter,
      ...(opts.secretStore ? { secretStore: opts.secretStore } : {}),
      ...(opts.passphrases ? { passphrases: opts.passphrases } : {}),
      logger: log,
      prompting,
      onCancel: () => fail(new CancelledError('Login cancelled')),
      ...(config.preferredAuthentications ? { preferred: config.preferredAuthentications } : {}),
      ...(config.numberOfPasswordPrompts !== undefined ? { passwordPrompts: config.numberOfPasswordPrompts } : {}),
    });
    const onError = (err: Error & { level?: string }) => {
      if (err.level === 'agent') {
        log.debug(`ssh-agent: ${err.message}`);
        return;
      }
      if (err.level === 'client-authentication' && /sign/i.test(err.message)) {
        log.warn(`${label}: ${err.message}`);
        return;
      }
      if (hostKeyError) return fail(hostKeyError);
      if (auth.cancelled) return fail(new CancelledError('Login cancelled'));
      let e = toSshError(err, label);
      if (e.kind === 'auth-failed') {
        const why = auth.attempts.stopReason;
        log.warn(`authentication to ${label} as ${config.user} failed after ${auth.attempts.sent} answer(s) (tried: ${auth.tried.join(', ') || 'no usable method'})`);
        const message = why
          ? `Login to ${label} failed: ${why}.`
          : `Authentication to ${label} as ${config.user} failed (tried: ${auth.tried.join(', ') || 'no usable method'})`;
        e = new SshError('auth-failed', label, message, {
          cause: err,
          interactive: auth.interactiveTried,
        });
      }
      fail(e);
    };
    client.on('error', onError);
    client.once('close', () => {
      fail(hostKeyError ?? (auth.cancelled ? new CancelledError('Login cancelled') : new SshError('disconnected', label, `Connection to ${label} closed during login`)));
    });
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      timer.clear();
      opts.signal?.removeEventListener('abort', onAbort);
      client.removeListener('error', onError);
      // Errors after login (keepalive timeout, resets) surface as 'close'; log them and keep the process alive.
      client.on('error', (err: Error) => log.debug(`${label}: ${err.message}`));
      if (!sock) client.setNoDelay(true);
      auth.succeeded().catch((err: unknown) => log.warn(`could not remember the password for ${label}: ${(err as Error).message}`));
      log.info(`connected to ${label} as ${config.user} (${auth.tried[auth.tried.length - 1] ?? 'none'})`);
      resolve(client);
    });
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const cfg: ConnectConfig = {
      host: config.hostName,
      port: config.port,
      username: config.user,
      readyTimeout: 0, // our PausableTimer replaces it: ssh2's would fire while the user types a password
      keepaliveInterval: opts.keepaliveIntervalMs ?? config.serverAliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
      keepaliveCountMax: ssh2KeepaliveCount(opts.keepaliveCountMax ?? config.serverAliveCountMax ?? 3),
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        verifyHostKey(config, key, opts, log, prompting).then(
          () => verify(true),
          (err: unknown) => {
            hostKeyError = toSshError(err, label);
            verify(false);
          },
        );
      },
      authHandler: auth.handler,
      ...(sock ? { sock } : {}),
      ...(opts.debug ? { debug: (m: string) => log.trace(m) } : {}),
    };
    try {
      client.connect(cfg);
    } catch (err) {
      fail(toSshError(err, label));
    }
  });
}

function forward(client: Client, label: string, target: HostConfig): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, target.hostName, target.port, (err, channel) => {
      if (err) reject(new SshError('unreachable', target.alias, `Cannot reach ${target.alias} (${target.hostName}:${target.port}) through ${label}: ${err.message}`, { cause: err }));
      else resolve(channel);
    });
  });
}

/**
 * Connects and authenticates to a host, through its ProxyJump hops if any. The returned
 * Client is ready; ending it also ends the hop connections.
 */
export async function connect(config: HostConfig, opts: ConnectOptions): Promise<Client> {
  const log = tagged(opts.logger ?? silentLogger, 'ssh');
  const resolveJump = opts.resolveJump ?? defaultJump(config);
  const chain = config.proxyJump.map((spec) => resolveJump(spec));
  const route = [...chain.map((h) => h.alias), config.alias].join(' → ');
  log.info(`connecting to ${config.alias} (${config.user}@${config.hostName}:${config.port}${chain.length ? ` via ${route}` : ''})`);
  const hops: Client[] = [];
  let sock: Duplex | undefined;
  try {
    for (let i = 0; i < chain.length; i++) {
      const hop = await connectOne(chain[i], sock, opts, log);
      hops.push(hop);
      sock = await forward(hop, chain[i].alias, i + 1 < chain.length ? chain[i + 1] : config);
    }
    const client = await connectOne(config, sock, opts, log);
    if (hops.length) {
      client.once('close', () => {
        for (const h of hops.reverse()) h.end();
      });
    }
    return client;
  } catch (err) {
    for (const h of hops.reverse()) h.end();
    // A jump host's refused login is retried by connecting this host again ("Try Again").
    if (err instanceof SshError && retryableLogin(err) !== undefined && err.host !== config.alias) {
      throw new SshError('auth-failed', config.alias, err.message, { cause: err, interactive: true });
    }
    throw err;
  }
}
