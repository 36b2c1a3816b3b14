/**
 * Connection details of the sandbox cluster (scripts/sandbox/start.sh writes them) and a
 * direct ssh2 connection for integration tests of layers below the session pool.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { ClientSession } from '../../src/core/ssh/session';

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

/** A key-authenticated ssh2 session to the sandbox, Nagle off, host key pinned by fingerprint file. */
export async function connectDirect(opts: { port?: number; host?: string; noDelay?: boolean } = {}): Promise<{ session: ClientSession; close(): void }> {
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
  return { session, close: () => client.end() };
}
