/**
 * The system OpenSSH client: where it is, and a host's configuration exactly as it reads it
 * (`ssh -G`: Include, Match, tokens, CanonicalizeHostname — no parser of ours can match that).
 */
import { execFile } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the ssh binary with argv (no shell), collecting its output. */
export function runSsh(sshPath: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(sshPath, args, { timeout: opts.timeoutMs ?? 10_000, env: opts.env ?? process.env, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `ssh -V` → e.g. "OpenSSH_9.2p1"; undefined when there is no usable ssh. */
export async function sshVersion(sshPath = 'ssh'): Promise<string | undefined> {
  const r = await runSsh(sshPath, ['-V'], { timeoutMs: 5000 });
  return /OpenSSH[_\w.-]*/.exec(r.stderr + r.stdout)?.[0];
}

/** A host's effective options from `ssh -G`: lower-case keys, every value of repeatable ones in order. */
export type EffectiveConfig = ReadonlyMap<string, string[]>;

export function parseSshG(text: string): EffectiveConfig {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const key = m[1].toLowerCase();
    const list = out.get(key);
    if (list) list.push(m[2]);
    else out.set(key, [m[2]]);
  }
  return out;
}

/** `-o Key=Value` pairs (given on the command line they win over the config file). */
export function optionArgs(options: Record<string, string>): string[] {
  return Object.entries(options).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

/** `ssh -G alias` with the user's (or the given) config file. Rejects with ssh's message on a config error. */
export async function resolveWithSsh(sshPath: string, alias: string, configFile?: string, options: Record<string, string> = {}): Promise<EffectiveConfig> {
  const r = await runSsh(sshPath, [...(configFile ? ['-F', configFile] : []), ...optionArgs(options), '-G', '--', alias]);
  if (r.code !== 0) throw new Error(`ssh -G ${alias}: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
  return parseSshG(r.stdout);
}

/** OpenSSH's compiled-in cipher order (8.x, 9.x), as `ssh -G` prints it when nobody chose another. */
const DEFAULT_CIPHERS = 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
const GCM_FIRST = 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr';

/**
 * Where the user chose no ciphers: the same ciphers with AES-GCM first, the order ssh2 offers.
 * With AES instructions (x86-64, Apple silicon) it moves bulk data a quarter faster than
 * chacha20-poly1305 (bench/transport.ts). A user's own choice is never touched.
 */
export function cipherArgs(cfg: EffectiveConfig): string[] {
  return first(cfg, 'ciphers') === DEFAULT_CIPHERS ? ['-o', `Ciphers=${GCM_FIRST}`] : [];
}

export function first(cfg: EffectiveConfig, key: string): string | undefined {
  return cfg.get(key)?.[0];
}

/** A live master at `controlPath`: its pid, else undefined (`ssh -O check`, local only). */
export async function masterPid(sshPath: string, controlPath: string): Promise<number | undefined> {
  const r = await runSsh(sshPath, ['-F', nullConfig(), '-S', controlPath, '-O', 'check', 'remote-hpc'], { timeoutMs: 5000 });
  if (r.code !== 0) return undefined;
  const pid = /pid=(\d+)/.exec(r.stderr + r.stdout)?.[1];
  return pid ? Number(pid) : undefined;
}

/** An empty ssh config, so mux clients do not re-read (and re-run Match exec of) the user's. */
export function nullConfig(): string {
  return process.platform === 'win32' ? 'NUL' : '/dev/null';
}
