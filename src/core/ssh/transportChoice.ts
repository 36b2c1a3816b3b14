/**
 * Which transport carries a host: `remoteHpc.transport` (and its per-host override) says
 * `ssh2`, `openssh` or `auto`. `auto` takes the system OpenSSH when the host needs what ssh2
 * cannot do — a user certificate, GSSAPI/Kerberos, a ProxyCommand, a FIDO (`sk-`) key, a
 * PKCS#11 token — or when the user already has a live master for it (no login at all), and the
 * built-in ssh2 otherwise (no dependency on a local `ssh`, one process).
 * On Windows, OpenSSH has no ControlMaster: every channel would be a new login, so `auto`
 * stays on ssh2 there and says what it cannot do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { TransportInfo } from './channel';
import { first, type EffectiveConfig } from './openssh/binary';

export type TransportSetting = 'auto' | 'ssh2' | 'openssh';

export interface ChoiceInput {
  setting: TransportSetting;
  platform: NodeJS.Platform;
  /** `ssh -V` answered. */
  sshAvailable: boolean;
  /** The host as `ssh -G` resolves it (undefined without ssh, or for a host only in settings). */
  effective?: EffectiveConfig;
  /** The user's own ControlPath for this host has a live master. */
  userMaster?: boolean;
  home?: string;
}

export type Choice = TransportInfo | { kind: 'error'; reason: string };

const tilde = (p: string, home: string) => (p === '~' || p.startsWith('~/') ? home + p.slice(1) : p);
const set = (v: string | undefined) => v !== undefined && v.toLowerCase() !== 'none' && v !== '';

/** What in this host's config only OpenSSH can do, in words for the Hosts view; undefined if nothing. */
export function needsOpenSsh(cfg: EffectiveConfig, home = homedir()): string | undefined {
  if ((cfg.get('certificatefile') ?? []).some(set)) return 'CertificateFile';
  const ids = (cfg.get('identityfile') ?? []).map((f) => tilde(f, home));
  if (ids.some((f) => existsSync(`${f}-cert.pub`))) return 'an SSH certificate beside the key';
  if (first(cfg, 'gssapiauthentication') === 'yes') return 'GSSAPI (Kerberos)';
  if (set(first(cfg, 'proxycommand'))) return 'ProxyCommand';
  if (set(first(cfg, 'pkcs11provider'))) return 'PKCS11Provider';
  const sk = ids.find((f) => {
    try {
      return /^sk-/.test(readFileSync(`${f}.pub`, 'utf8'));
    } catch {
      return false;
    }
  });
  if (sk) return 'a security key (sk-)';
  return undefined;
}

export function chooseTransport(i: ChoiceInput): Choice {
  const windows = i.platform === 'win32';
  if (i.setting === 'ssh2') return { kind: 'ssh2', reason: 'set in remoteHpc.transport' };
  if (i.setting === 'openssh') {
    if (!i.sshAvailable) return { kind: 'error', reason: 'remoteHpc.transport is "openssh" but no ssh client was found (set remoteHpc.sshPath)' };
    if (windows) return { kind: 'error', reason: 'OpenSSH for Windows has no ControlMaster, so every channel would log in again; use "ssh2" or "auto"' };
    return { kind: 'openssh', reason: 'set in remoteHpc.transport' };
  }
  if (!i.sshAvailable) return { kind: 'ssh2', reason: 'no ssh client here' };
  if (i.userMaster && !windows) return { kind: 'openssh', reason: 'reusing your ssh master' };
  const need = i.effective ? needsOpenSsh(i.effective, i.home) : undefined;
  if (need && windows) return { kind: 'ssh2', reason: `needs ${need}, which only OpenSSH does, and OpenSSH on Windows has no ControlMaster` };
  if (need) return { kind: 'openssh', reason: `needs ${need}` };
  return { kind: 'ssh2', reason: 'built in' };
}
