/**
 * Connection details of the sandbox cluster (scripts/sandbox/start.sh writes them) and a
 * direct ssh2 connection for integration tests of layers below the session pool.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { ClientSession, type Session } from '../../src/core/ssh/session';
import { connectOpenSsh } from '../../src/core/ssh/openssh/connector';
import type { AuthPrompter } from '../../src/core/ssh/auth';

export interface SandboxDetails {
  host: string;
  port: number;
  port2fa: number;
  user: string;
  password: string;
  key: string;
  publicKey: string;
  knownHosts: string;
  sshConfig: string;
  totpSecretHex: string;
  totpSecretBase32: string;
  hostKeyFingerprint: string;
  /** The host key line (`<type> <base64> <comment>`). */
  hostKey: string;
  altHostKeyFingerprint: string;
  sandboxDir: string;
  slurmConf: string;
  /** The SLURM partition and its one node. */
  partition: string;
  nodeName: string;
  /** ssh_config aliases (missing in a sandbox started before the auth hosts). */
  sshHosts?: { main: string; twoFactor: string; jump: string; cert: string; kerberos: string; proxyCommand: string; gridEngine?: string };
  /** Certificate-only sshd (TrustedUserCAKeys, no authorized_keys). */
  portCert?: number;
  /** GSSAPI-only sshd. */
  portKrb?: number;
  certificate?: {
    /** Private key that is authorized nowhere by itself. */
    key: string;
    /** Its short-lived certificate (renewed by start.sh when under 1 h is left). */
    certificate: string;
    /** The same key certified with a validity in 2020. */
    expiredCertificate: string;
    caPublicKey: string;
    principals: string[];
    /** ISO 8601 UTC. */
    validUntil: string;
  };
  kerberos?: {
    realm: string;
    principal: string;
    password: string;
    /** Client keytab: `kinit -k -t <keytab> <principal>`. */
    keytab: string;
    /** `FILE:` ticket cache start.sh fills from the keytab. */
    ccache: string;
    ticketValidUntil: string;
    krb5Config: string;
    kdc: string;
    /** The HostName the client asks a service ticket for (host/<hostName>). */
    hostName: string;
    hostPrincipal: string;
    /** KRB5_CONFIG and KRB5CCNAME for an `ssh` that should log in with the ticket. */
    env: Record<string, string>;
  };
  /** The host pool's sshds (scripts/sandbox/pool-hosts.sh): ssh_config alias, port, N of `pool-hosts.sh stop-one N`. */
  poolHosts?: { alias: string; port: number; index: number }[];
  /** hpc-sandbox-proxycmd: the main sshd behind `ProxyCommand`, HostName unresolvable. */
  proxyCommand?: { hostName: string; port: number; command: string };
  /** The Grid Engine cluster (scripts/sandbox/gridengine.sh): its own sshd whose sessions see qsub and not sbatch. */
  gridEngine?: { sshHost: string; port: number; root: string; cell: string; queue: string; host: string; slots: number };
  /** The fault cluster (scripts/sandbox/faults-cluster.sh): a SLURM controller of its own, for the outage test. */
  faultsCluster?: { sshHost: string; port: number; clusterName: string; slurmConf: string; controllerPort: number };
}

export const repoRoot = join(__dirname, '..', '..');
const detailsPath = join(repoRoot, '.sandbox', 'details.json');

export function sandboxAvailable(): boolean {
  return existsSync(detailsPath);
}

export function sandbox(): SandboxDetails {
  if (!sandboxAvailable()) throw new Error(`Sandbox not running: ${detailsPath} is missing (npm run sandbox:start)`);
  return JSON.parse(readFileSync(detailsPath, 'utf8')) as SandboxDetails;
}

/** Both transports: integration suites that run over a session run once over each. */
export const TRANSPORTS = ['ssh2', 'openssh'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

const refusingPrompter: AuthPrompter = {
  password: async () => undefined,
  passphrase: async () => undefined,
  keyboardInteractive: async () => undefined,
  confirmHostKey: async () => false,
};

/**
 * A key-authenticated session to the sandbox's main host. ssh2: direct, Nagle off, host key
 * trusted. openssh: the product's OpenSSH transport (its own control master, host key checked
 * by ssh against the sandbox known_hosts), through the sandbox ssh_config alias.
 */
export interface DirectConnection {
  session: Session;
  close(): void;
  /** Kills the connection under the session (ssh2: the socket; openssh: the master process). */
  destroy(): void;
}

export async function connectDirect(opts: { port?: number; host?: string; noDelay?: boolean; transport?: TransportKind } = {}): Promise<DirectConnection> {
  if (opts.transport === 'openssh') {
    if (opts.port !== undefined || opts.host !== undefined) throw new Error('connectDirect: the openssh transport connects to the hpc-sandbox alias only');
    const d = sandbox();
    const conn = await connectOpenSsh('hpc-sandbox', { signal: new AbortController().signal }, { prompter: refusingPrompter, configFile: d.sshConfig, persistSeconds: 300 });
    return { session: conn.session, close: () => conn.close(), destroy: () => killIfAlive(conn.masterPid) };
  }
  const d = sandbox();
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({
      host: opts.host ?? d.host,
      port: opts.port ?? d.port,
      username: d.user,
      privateKey: readFileSync(d.key),
      // Tests below the pool trust the sandbox they started; the pool's own tests check host keys.
      hostVerifier: () => true,
      readyTimeout: 10_000,
    });
  });
  (client as unknown as { _sock?: { setNoDelay?(v: boolean): void } })._sock?.setNoDelay?.(opts.noDelay ?? true);
  const session = new ClientSession(`${d.host}:${opts.port ?? d.port}`, client);
  client.on('error', () => undefined);
  return { session, close: () => client.end(), destroy: () => client.destroy() };
}

/** SIGKILL, a second time harmless (the master is gone already). */
function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
