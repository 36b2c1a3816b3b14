/**
 * The pool's `connect` over both transports: per attempt it resolves the host (with `ssh -G`
 * where an ssh client exists and the host is in the SSH config, else with our parser), picks
 * the transport (transportChoice.ts) and connects with it. What was chosen and why is reported
 * for the Hosts view.
 */
import { silentLogger, tagged, type Logger } from '../log';
import type { TransportInfo } from './channel';
import { sshConnector, type SshConnectorOptions } from './connector';
import { SshError } from './errors';
import { first, masterPid, resolveWithSsh, sshVersion, type EffectiveConfig } from './openssh/binary';
import { connectOpenSsh } from './openssh/connector';
import type { PoolConnect } from './pool';
import type { ExtraHost, HostConfig, SshConfig } from './sshConfig';
import { chooseTransport, type TransportSetting } from './transportChoice';

export interface TransportConnectorOptions extends Omit<SshConnectorOptions, 'resolve' | 'transport'> {
  /** Our parse of the SSH config (and settings hosts): the fallback resolver. */
  resolve(alias: string): HostConfig;
  /** The parsed SSH config, to turn `ssh -G` output into a HostConfig. */
  sshConfig: SshConfig;
  /** A host declared in settings (not in the SSH config), if it is one. */
  settingsHost(alias: string): ExtraHost | undefined;
  transportFor(alias: string): TransportSetting;
  sshPath?: string;
  configFile?: string;
  /** ControlPersist of our OpenSSH masters, seconds. */
  persistSeconds?: number;
  runtimeDir?: string;
  platform?: NodeJS.Platform;
  onChosen?(alias: string, transport: TransportInfo): void;
  logger?: Logger;
}

/** `ssh -o` options that make a settings host (not in any SSH config) what its fields say. */
export function settingsHostOptions(h: ExtraHost): Record<string, string> {
  return {
    HostName: h.hostName,
    ...(h.user ? { User: h.user } : {}),
    ...(h.port !== undefined ? { Port: String(h.port) } : {}),
    ...(h.identityFile ? { IdentityFile: h.identityFile } : {}),
    ...(h.proxyJump ? { ProxyJump: h.proxyJump } : {}),
  };
}

export function transportConnector(o: TransportConnectorOptions): PoolConnect {
  const log = tagged(o.logger ?? silentLogger, 'transport');
  const sshPath = o.sshPath ?? 'ssh';
  let version: Promise<string | undefined> | undefined;
  return async (alias, ctx) => {
    version ??= sshVersion(sshPath);
    const sshAvailable = (await version) !== undefined;
    if (!sshAvailable) version = undefined; // look again next time (installed meanwhile)
    const extra = o.settingsHost(alias);
    const options = extra ? settingsHostOptions(extra) : {};
    let effective: EffectiveConfig | undefined;
    if (sshAvailable) {
      effective = await resolveWithSsh(sshPath, alias, o.configFile, options).catch((e: unknown) => {
        log.warn(`${alias}: ssh -G failed, using our own config parser: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
    }
    const userPath = effective && first(effective, 'controlpath');
    const userMaster = !!userPath && userPath !== 'none' && (await masterPid(sshPath, userPath)) !== undefined;
    const choice = chooseTransport({ setting: o.transportFor(alias), platform: o.platform ?? process.platform, sshAvailable, ...(effective ? { effective } : {}), userMaster });
    if (choice.kind === 'error') throw new SshError('config', alias, `Cannot connect to ${alias}: ${choice.reason}`);
    log.info(`${alias}: ${choice.kind} (${choice.reason})`);
    if (choice.kind === 'openssh') {
      const conn = await connectOpenSsh(alias, ctx, {
        prompter: o.prompter,
        sshPath,
        ...(o.configFile ? { configFile: o.configFile } : {}),
        options: { ...options, ...(o.knownHostsFiles?.length ? { UserKnownHostsFile: o.knownHostsFiles.join(' ') } : {}) },
        ...(o.persistSeconds ? { persistSeconds: o.persistSeconds } : {}),
        ...(o.runtimeDir ? { runtimeDir: o.runtimeDir } : {}),
        reason: choice.reason,
        ...(o.logger ? { logger: o.logger } : {}),
      });
      o.onChosen?.(alias, conn.transport);
      return conn;
    }
    // ssh2: the exact `ssh -G` resolution where we have it (settings hosts included, their fields as -o).
    const config = effective ? o.sshConfig.fromEffective(alias, effective) : o.resolve(alias);
    const transport: TransportInfo = { kind: 'ssh2', reason: choice.reason };
    const conn = await sshConnector({ ...o, resolve: () => config, transport })(alias, ctx);
    o.onChosen?.(alias, transport);
    return conn;
  };
}
