/**
 * OpenSSH known_hosts files: parsing, host matching (plain, wildcard, negated, hashed,
 * `[host]:port`), key checks, SHA256 fingerprints and appending accepted keys.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';

type KnownHostsMarker = 'revoked' | 'cert-authority';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  text: string;
  marker?: KnownHostsMarker;
  /** Host patterns as written (possibly `!negated`, `[host]:port` or hashed `|1|salt|hash`). */
  patterns: string[];
  /** The key type named on the line. */
  keyType: string;
  keyBlob: Buffer;
}

export type KnownHostsResult =
  | { status: 'match'; file: string; line: number }
  | { status: 'mismatch'; file: string; line: number; text: string; knownKeyType: string }
  | { status: 'revoked'; file: string; line: number; text: string }
  | { status: 'unknown'; /** Keys of other types this host is known with (a new type was presented). */ otherKeys: KnownKey[] };

/** A key known_hosts holds for a host, as OpenSSH shows it when another type is presented. */
export interface KnownKey {
  keyType: string;
  fingerprint: string;
  file: string;
  line: number;
}

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise (lowercased). */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** `SHA256:<base64 without padding>`, exactly as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type embedded at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return undefined;
  const t = keyBlob.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(t) ? t : undefined;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as `ssh-keygen -H` writes. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

function hashedMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  if (salt.length === 0 || want.length !== 20) return false;
  const got = createHmac('sha1', salt).update(name).digest();
  return timingSafeEqual(got, want);
}

/** OpenSSH wildcard match: `*` any run, `?` one character; case-insensitive. */
export function wildcardMatch(text: string, pattern: string): boolean {
  const t = text.toLowerCase();
  const p = pattern.toLowerCase();
  let ti = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      ti++;
      pi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Whether a host name (as from knownHostsName) matches a line's patterns; a matching negation vetoes. */
export function hostMatchesPatterns(name: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    const hit = pattern.startsWith('|') ? hashedMatches(pattern, name) : wildcardMatch(name, pattern);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** Parses known_hosts text; malformed lines are skipped. */
export function parseKnownHosts(text: string, file = '<memory>'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostsMarker | undefined;
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!.toLowerCase();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const keyBlob = Buffer.from(b64, 'base64');
    if (keyBlob.length === 0) continue;
    entries.push({
      file,
      line: i + 1,
      text: raw,
      ...(marker ? { marker } : {}),
      patterns: hosts.split(',').filter(Boolean),
      keyType,
      keyBlob,
    });
  }
  return entries;
}

/** Entries of one or more known_hosts files, checked together. */
export class KnownHosts {
  constructor(readonly entries: readonly KnownHostEntry[]) {}

  /** Reads the files; a missing file counts as empty. */
  static async load(files: readonly string[]): Promise<KnownHosts> {
    const all: KnownHostEntry[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = await fsp.readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw err;
      }
      all.push(...parseKnownHosts(text, file));
    }
    return new KnownHosts(all);
  }

  /**
   * Checks a presented host key: a revoked key wins, then any exact match, then a different key of
   * the same type (mismatch, naming the first such line); otherwise unknown. @cert-authority lines are ignored.
   */
  check(host: string, port: number, keyType: string, keyBlob: Buffer): KnownHostsResult {
    const name = knownHostsName(host, port);
    const type = keyTypeOf(keyBlob) ?? keyType;
    let match: KnownHostsResult | undefined;
    let mismatch: KnownHostsResult | undefined;
    const others: KnownKey[] = [];
    for (const e of this.entries) {
      if (e.marker === 'cert-authority') continue;
      if (!hostMatchesPatterns(name, e.patterns)) continue;
      const same = e.keyBlob.equals(keyBlob);
      if (e.marker === 'revoked') {
        if (same) return { status: 'revoked', file: e.file, line: e.line, text: e.text };
        continue;
      }
      if (same) {
        match ??= { status: 'match', file: e.file, line: e.line };
        continue;
      }
      const entryType = keyTypeOf(e.keyBlob) ?? e.keyType;
      if (entryType === type) mismatch ??= { status: 'mismatch', file: e.file, line: e.line, text: e.text, knownKeyType: entryType };
      else others.push({ keyType: entryType, fingerprint: fingerprint(e.keyBlob), file: e.file, line: e.line });
    }
    return match ?? mismatch ?? { status: 'unknown', otherKeys: others };
  }
}

/** Loads the files and checks one key (files are read fresh each time). */
export async function checkKnownHosts(files: readonly string[], host: string, port: number, keyType: string, keyBlob: Buffer): Promise<KnownHostsResult> {
  return (await KnownHosts.load(files)).check(host, port, keyType, keyBlob);
}

/**
 * Appends `name keytype base64` to a known_hosts file, creating its directory (0700) and
 * the file (0600) if needed. With `hash`, the name is written hashed like `HashKnownHosts yes`.
 */
export async function append(
  file: string,
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  opts: { hash?: boolean } = {},
): Promise<void> {
  const name = knownHostsName(host, port);
  const type = keyTypeOf(keyBlob) ?? keyType;
  const line = `${opts.hash ? hashHostName(name) : name} ${type} ${keyBlob.toString('base64')}\n`;
  await fsp.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const fh = await fsp.open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fsp.appendFile(file, prefix + line, { mode: 0o600 });
}

/**
 * The words of the host-key question, as OpenSSH puts them: a plain "can't be established" for a
 * host never seen, and a warning naming the known keys when the host is known with another type.
 */
export function hostKeyQuestionText(q: { host: string; port: number; keyType: string; fingerprint: string; otherKnownKeys: readonly KnownKey[] }): {
  message: string;
  detail: string;
  accept: string;
} {
  const where = q.port === 22 ? q.host : `[${q.host}]:${q.port}`;
  const offered = `${q.keyType} key fingerprint is ${q.fingerprint}.`;
  if (q.otherKnownKeys.length === 0) {
    return {
      message: `The authenticity of host ${where} can't be established.`,
      detail: `${offered}\n\nCompare it with the fingerprint your cluster publishes. If you accept, the key is added to your known_hosts file.`,
      accept: 'Accept and Remember',
    };
  }
  const known = q.otherKnownKeys.map((k) => `  ${k.keyType} ${k.fingerprint}  (${k.file}:${k.line})`).join('\n');
  return {
    message: `Warning: ${where} presents a ${q.keyType} key, but a key of another type is already known for this host.`,
    detail:
      `${offered}\n\nKnown for this host:\n${known}\n\n` +
      'A server that adds a key type is normal after an upgrade; a different server is not. Accept only if your cluster publishes this fingerprint. ' +
      'If you accept, the key is added to your known_hosts file beside the known one.',
    accept: 'Accept Additional Key',
  };
}
