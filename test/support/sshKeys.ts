/**
 * Keys for in-process ssh2 servers and their known_hosts lines, made by OpenSSH's ssh-keygen:
 * ssh2's own generateKeyPairSync('ed25519') writes a key its parser rejects about one time in
 * 256 (it strips a leading zero byte of the public key, mscdex/ssh2#1513), which failed a run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils, type ParsedKey } from 'ssh2';

/** ssh2's parse of a key text (the first key of a file); a parse error throws. */
export function parsedKey(text: string | Buffer, passphrase?: string): ParsedKey {
  const k = utils.parseKey(text, passphrase);
  if (k instanceof Error) throw k;
  return Array.isArray(k) ? (k[0] as ParsedKey) : k;
}

export interface TestKeyPair {
  /** The private key file's text (OpenSSH format, no passphrase). */
  private: string;
  /** The public key's wire blob, as a known_hosts line carries it. */
  blob: Buffer;
}

export function newKeyPair(type: 'ed25519' | 'rsa' = 'ed25519'): TestKeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'rhpc-key-'));
  try {
    const file = join(dir, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', '', '-f', file]);
    const text = readFileSync(file, 'utf8');
    return { private: text, blob: parsedKey(text).getPublicSSH() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
