/**
 * Helpers for SSH-layer integration tests: a scripted AuthPrompter that records what it was
 * asked, a TOTP source, temp known_hosts copies and a logger that keeps its lines.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthPrompter } from '../../src/core/ssh/auth';
import type { Logger } from '../../src/core/log';
import type { SandboxDetails } from './sandbox';

export interface RecordingPrompter extends AuthPrompter {
  /** One line per question: `password user@host`, `passphrase path`, `kbd prompt/echo,…`, `hostkey host:port type fp`. */
  readonly asked: string[];
}

export interface PrompterAnswers {
  password?: string | (() => string | undefined);
  passphrase?: string;
  /** Answers each keyboard-interactive prompt. */
  keyboard?: (prompt: string, echo: boolean) => string | undefined;
  acceptHostKey?: boolean;
}

export function recordingPrompter(a: PrompterAnswers = {}): RecordingPrompter {
  const asked: string[] = [];
  return {
    asked,
    async password(host, user) {
      asked.push(`password ${user}@${host}`);
      return typeof a.password === 'function' ? a.password() : a.password;
    },
    async passphrase(path) {
      asked.push(`passphrase ${path}`);
      return a.passphrase;
    },
    async keyboardInteractive(_host, _name, _instructions, prompts) {
      asked.push(`kbd ${prompts.map((p) => `${p.prompt.trim()}/${p.echo}`).join(',')}`);
      if (!a.keyboard) return undefined;
      const answers: string[] = [];
      for (const p of prompts) {
        const r = a.keyboard(p.prompt, p.echo);
        if (r === undefined) return undefined;
        answers.push(r);
      }
      return answers;
    },
    async confirmHostKey(info) {
      asked.push(`hostkey ${info.host}:${info.port} ${info.keyType} ${info.fingerprint}`);
      return a.acceptHostKey ?? false;
    },
  };
}

/** The current TOTP code of the sandbox's 2FA secret (the real `oathtool`). */
export function totp(d: SandboxDetails): string {
  return execFileSync('oathtool', ['--totp', d.totpSecretHex], { encoding: 'utf8' }).trim();
}

/** A temp directory with a copy of the sandbox known_hosts (or an empty file). Never ~/.ssh. */
export function tempKnownHosts(d: SandboxDetails, opts: { empty?: boolean } = {}): { file: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rhpc-kh-'));
  const file = join(dir, 'known_hosts');
  if (opts.empty) writeFileSync(file, '', { mode: 0o600 });
  else copyFileSync(d.knownHosts, file);
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface MemoryLogger extends Logger {
  readonly lines: string[];
}

export function memoryLogger(): MemoryLogger {
  const lines: string[] = [];
  const put =
    (level: string) =>
    (m: string | Error, ...args: unknown[]) =>
      lines.push(`${level} ${m instanceof Error ? m.message : m}${args.length ? ` ${args.map(String).join(' ')}` : ''}`);
  return { lines, trace: put('trace'), debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

/**
 * sshd's own count of refused password and keyboard-interactive answers (its LogLevel VERBOSE
 * log, .sandbox/log/sshd-*.log): `since()` marks the log's end, `failures()` then lists, per
 * client port, the `Failed password|keyboard-interactive/pam for <user>` lines written after it.
 * Undefined when the log cannot be read (not root).
 */
export function sshdAuthLog(file: string): { since(): void; failures(user: string): Map<number, number> } | undefined {
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return undefined;
  }
  let offset = 0;
  return {
    since: () => void (offset = statSync(file).size),
    failures: (user) => {
      const text = readFileSync(file).subarray(offset).toString('utf8');
      const byPort = new Map<number, number>();
      const re = new RegExp(`^Failed (?:password|keyboard-interactive/pam) for ${user} from \\S+ port (\\d+) `, 'gm');
      for (const m of text.matchAll(re)) byPort.set(Number(m[1]), (byPort.get(Number(m[1])) ?? 0) + 1);
      return byPort;
    },
  };
}
