import * as vscode from 'vscode';
import { tagged, type Logger } from '../core/log';
import { SessionPool, type HostStatus, type SessionLease } from '../core/ssh/pool';
import type { TransportInfo } from '../core/ssh/channel';
import { transportConnector } from '../core/ssh/transportConnector';
import type { TransportSetting } from '../core/ssh/transportChoice';
import { HostDirectory, SshConfig, type ExtraHost, type HostConfig } from '../core/ssh/sshConfig';
import { numberSetting, onDidChangeSettings, pathSetting, setting } from '../config/settings';
import { VsCodePrompter, VsCodeSecretStore } from './prompter';

export interface HostState {
  alias: string;
  status: HostStatus;
  config: HostConfig;
  source: 'settings' | 'ssh-config';
  /** Short message of the last failure. */
  error?: string;
  /** The transport of the last session (kept while connected). */
  transport?: TransportInfo;
}

const TRANSPORTS: readonly TransportSetting[] = ['auto', 'ssh2', 'openssh'];

/** `remoteHpc.transportByHost[alias]`, else `remoteHpc.transport`, else auto. */
function transportFor(alias: string): TransportSetting {
  const byHost = setting('transportByHost') as Record<string, unknown> | undefined;
  const v = byHost && typeof byHost === 'object' ? byHost[alias] : undefined;
  if (typeof v === 'string' && TRANSPORTS.includes(v as TransportSetting)) return v as TransportSetting;
  const all = setting('transport');
  return TRANSPORTS.includes(all) ? all : 'auto';
}

/** The `remoteHpc.*` settings that shape sessions, read fresh each time. */
function settings() {
  const hosts = setting('hosts');
  return {
    sshConfigFile: pathSetting('sshConfigFile'),
    knownHostsFile: pathSetting('knownHostsFile'),
    hosts: Array.isArray(hosts) ? (hosts as ExtraHost[]) : [],
    idleTimeoutMs: numberSetting('idleTimeoutMinutes', 0) * 60_000,
    keepaliveIntervalMs: numberSetting('keepaliveIntervalSeconds', 0) * 1000,
    rememberPasswords: setting('rememberPasswords') === true,
    sshPath: pathSetting('sshPath'),
  };
}

/**
 * The configured hosts and their cached sessions. Owns the SessionPool; the Hosts view, the
 * status bar and every feature read its model. Nothing here touches the network until a
 * feature or the user asks for a session.
 */
export class HostService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private directory: HostDirectory | undefined;
  private loading: Promise<HostDirectory> | undefined;
  private readonly pool: SessionPool;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly log: Logger;
  private readonly transports = new Map<string, TransportInfo>();

  constructor(
    logger: Logger,
    private readonly secrets: vscode.SecretStorage,
  ) {
    this.log = tagged(logger, 'hosts');
    this.pool = this.createPool();
    this.disposables.push(
      this.changed,
      onDidChangeSettings(['sshConfigFile', 'hosts'], () => void this.reload()),
      // Applies to open sessions too, without a reload.
      onDidChangeSettings(['idleTimeoutMinutes'], () => this.pool.setIdleTimeout(settings().idleTimeoutMs)),
    );
  }

  private createPool(): SessionPool {
    const prompter = new VsCodePrompter();
    const secretStore = new VsCodeSecretStore(this.secrets, () => settings().rememberPasswords);
    const pool = new SessionPool({
      idleTimeoutMs: settings().idleTimeoutMs,
      logger: this.log,
      // Built per attempt, so edited settings apply to the next connection.
      connect: async (alias, ctx) => {
        const s = settings();
        const dir = await this.hostDirectory();
        return transportConnector({
          prompter,
          secretStore,
          logger: this.log,
          ...(s.knownHostsFile ? { knownHostsFiles: [s.knownHostsFile] } : {}),
          ...(s.keepaliveIntervalMs ? { keepaliveIntervalMs: s.keepaliveIntervalMs } : {}),
          ...(s.sshPath ? { sshPath: s.sshPath } : {}),
          ...(s.sshConfigFile ? { configFile: s.sshConfigFile } : {}),
          // Our master outlives its last channel by the idle timeout (then exits by itself, even if VS Code died).
          ...(s.idleTimeoutMs ? { persistSeconds: s.idleTimeoutMs / 1000 } : {}),
          resolve: (a) => dir.resolve(a),
          resolveJump: (spec) => dir.resolveJump(spec),
          sshConfig: dir.config,
          settingsHost: (a) => dir.settingsHost(a),
          transportFor,
          onChosen: (a, t) => {
            this.transports.set(a, t);
            this.changed.fire();
          },
        })(alias, ctx);
      },
    });
    const sub = pool.onStatus((e) => {
      this.log.info(`${e.alias}: ${e.status}${e.error ? ` (${e.error.message})` : ''}`);
      this.updateContext();
      this.changed.fire();
    });
    this.disposables.push({ dispose: () => sub.dispose() });
    return pool;
  }

  /** Parses the SSH config once (and again after a settings change). */
  hostDirectory(): Promise<HostDirectory> {
    if (this.directory) return Promise.resolve(this.directory);
    this.loading ??= this.loadDirectory().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async loadDirectory(): Promise<HostDirectory> {
    const s = settings();
    const config = await SshConfig.load(s.sshConfigFile);
    const dir = new HostDirectory(config, s.hosts);
    this.directory = dir;
    this.log.info(`${dir.list().length} hosts from ${config.files.join(', ') || 'no SSH config file'} and settings`);
    this.changed.fire();
    return dir;
  }

  /** Re-reads the SSH config and settings; open sessions keep running, new ones use the new settings. */
  async reload(): Promise<void> {
    this.directory = undefined;
    this.loading = undefined;
    this.log.info(`reloading hosts from ${settings().sshConfigFile ?? '~/.ssh/config'} and settings`);
    await this.hostDirectory();
  }

  /** The model of the Hosts view (empty until the SSH config has been read). */
  list(): HostState[] {
    const dir = this.directory;
    if (!dir) {
      void this.hostDirectory().catch((err: unknown) => this.log.error(`reading SSH config failed: ${String(err)}`));
      return [];
    }
    return dir.list().map(({ alias, source }) => {
      const status = this.pool.status(alias);
      const err = this.pool.lastError(alias);
      let config: HostConfig;
      try {
        config = dir.resolve(alias);
      } catch {
        config = { alias, hostName: alias, port: 22, user: '', identityFiles: [], identitiesOnly: false, proxyJump: [] };
      }
      const transport = status === 'connected' || status === 'reconnecting' ? this.transports.get(alias) : undefined;
      return { alias, status, config, source, ...(err && (status === 'failed' || status === 'reconnecting') ? { error: err.message } : {}), ...(transport ? { transport } : {}) };
    });
  }

  status(alias: string): HostStatus {
    return this.pool.status(alias);
  }

  /** A user-initiated connection, with a progress notification; ignores backoff. */
  async connect(alias: string): Promise<void> {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Connecting to ${alias}…`, cancellable: true },
      async (_progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          await this.pool.connect(alias, abort.signal);
        } finally {
          sub.dispose();
        }
      },
    );
  }

  /** A lease on the host's session for a feature; release it when done. */
  acquire(alias: string): Promise<SessionLease> {
    return this.pool.acquire(alias);
  }

  /** Reports whether a connected host still answers. */
  check(alias: string): Promise<boolean> {
    return this.pool.check(alias);
  }

  onStatus(listener: (alias: string, status: HostStatus) => void): vscode.Disposable {
    const d = this.pool.onStatus((e) => listener(e.alias, e.status));
    return { dispose: () => d.dispose() };
  }

  disconnect(alias: string): void {
    this.pool.close(alias);
  }

  disconnectAll(): void {
    this.pool.closeAll();
  }

  private updateContext(): void {
    const any = this.pool.statuses().some((e) => e.status === 'connected');
    void vscode.commands.executeCommand('setContext', 'remoteHpc.anyConnected', any);
  }

  dispose(): void {
    this.pool.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
