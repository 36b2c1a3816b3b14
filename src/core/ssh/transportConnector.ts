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

/** `ssh -V` per client path, for the process's life (the connector is rebuilt per attempt); a miss is asked again. */
const versions = new Map<string, Promise<string | undefined>>();
async function sshFound(sshPath: string): Promise<boolean> {
  let v = versions.get(sshPath);
  if (!v) versions.set(sshPath, (v = sshVersion(sshPath)));
  const found = (await v) !== undefined;
  if (!found) versions.delete(sshPath); // installed meanwhile: look again next time
  return found;
}

export function transportConnector(o: TransportConnectorOptions): PoolConnect {
  const log = tagged(o.logger ?? silentLogger, 'transport');
  const sshPath = o.sshPath ?? 'ssh';
  return async (alias, ctx) => {
    const sshAvailable = await sshFound(sshPath);
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
    const userMasterPid = userPath && userPath !== 'none' ? await masterPid(sshPath, userPath) : undefined;
    const userMaster = userMasterPid !== undefined;
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
        ...(effective ? { known: { effective, ...(userMaster ? { userMasterPid } : {}) } } : {}),
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
