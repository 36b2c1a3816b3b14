/**
 * Client authentication: the order OpenSSH users expect (agent → identity files →
 * keyboard-interactive → password), every question asked through an AuthPrompter.
 * Secrets never reach the logger.
 */
import { existsSync, promises as fsp } from 'node:fs';
import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware, IdentityCallback, OpenSSHAgent, ParsedKey, Prompt } from 'ssh2';
import { ssh2 } from './ssh2Lazy';
import { CancelledError } from '../cancel';
import { silentLogger, type Logger } from '../log';
import type { KnownKey } from './knownHosts';
import { LoginAttempts, answerKindOf, passwordPromptLimit } from './loginAttempts';

/**
 * Questions the core asks the user. `undefined` means the user cancelled. `retry`, when given,
 * says the previous answer was refused and how many tries are left ("Wrong password for
 * alice@hpc, try again (2 of 3)"): show it with the question.
 */
export interface AuthPrompter {
  password(host: string, user: string, retry?: string): Promise<string | undefined>;
  passphrase(keyPath: string): Promise<string | undefined>;
  keyboardInteractive(host: string, name: string, instructions: string, prompts: { prompt: string; echo: boolean }[], retry?: string): Promise<string[] | undefined>;
  confirmHostKey(info: HostKeyQuestion): Promise<boolean>;
}

/** An unknown host key to accept or refuse. */
export interface HostKeyQuestion {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  /** Keys of other types already known for this host: OpenSSH warns about these, so do we. */
  otherKnownKeys: KnownKey[];
}

/** Opt-in remembered passwords (the VS Code layer backs it with SecretStorage). */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The SecretStore key for a remembered password. */
export function passwordSecretKey(user: string, host: string, port: number): string {
  return `password:${user}@${host}:${port}`;
}

/**
 * Key passphrases, and the keys they unlocked, kept in this process's memory only (never
 * persisted). Keeping the unlocked key spares the slow bcrypt KDF on every reconnect.
 */
export class PassphraseCache {
  private readonly map = new Map<string, string>();
  private readonly keys = new Map<string, { mtimeMs: number; key: ParsedKey }>();
  /** An unlocked key, if the file has not changed since. */
  unlocked(keyPath: string, mtimeMs: number): ParsedKey | undefined {
    const k = this.keys.get(keyPath);
    return k && k.mtimeMs === mtimeMs ? k.key : undefined;
  }
  remember(keyPath: string, mtimeMs: number, key: ParsedKey): void {
    this.keys.set(keyPath, { mtimeMs, key });
  }
  get(keyPath: string): string | undefined {
    return this.map.get(keyPath);
  }
  set(keyPath: string, passphrase: string): void {
    this.map.set(keyPath, passphrase);
  }
  delete(keyPath: string): void {
    this.map.delete(keyPath);
    this.keys.delete(keyPath);
  }
  clear(): void {
    this.map.clear();
    this.keys.clear();
  }
}

/** The process-wide passphrase cache used when a caller gives none. */
const processPassphrases = new PassphraseCache();

const MAX_PASSPHRASE_TRIES = 3;

function isEncryptedKeyError(err: Error): boolean {
  return /no passphrase given/i.test(err.message);
}

function isBadPassphraseError(err: Error): boolean {
  return /bad passphrase|integrity check failed|decrypt/i.test(err.message);
}

/** The public key blob of an identity, from `<path>.pub` or an unencrypted private key, without prompting. */
async function identityPublicBlob(path: string): Promise<Buffer | undefined> {
  for (const candidate of [`${path}.pub`, path]) {
    let data: Buffer;
    try {
      data = await fsp.readFile(candidate);
    } catch {
      continue;
    }
    const parsed = ssh2().utils.parseKey(data);
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
    if (key && !(key instanceof Error)) return key.getPublicSSH();
  }
  return undefined;
}

interface LoadIdentityOptions {
  prompter: AuthPrompter;
  passphrases?: PassphraseCache;
  logger?: Logger;
  /** Wraps each prompt (the connection pauses its handshake timeout meanwhile). */
  prompting?: <T>(ask: () => Promise<T>) => Promise<T>;
}

/**
 * Reads and parses a private key. An encrypted key is unlocked with the cached passphrase or
 * one asked for (up to 3 tries). Returns undefined when the file is missing or unusable;
 * throws CancelledError when the user cancels the passphrase prompt.
 */
async function loadIdentity(path: string, opts: LoadIdentityOptions): Promise<ParsedKey | undefined> {
  const log = opts.logger ?? silentLogger;
  const cache = opts.passphrases ?? processPassphrases;
  const prompting = opts.prompting ?? ((ask) => ask());
  let data: Buffer;
  let mtimeMs: number;
  try {
    mtimeMs = (await fsp.stat(path)).mtimeMs;
    const unlocked = cache.unlocked(path, mtimeMs);
    if (unlocked) return unlocked;
    data = await fsp.readFile(path);
  } catch {
    return undefined;
  }
  const parse = (passphrase?: string): ParsedKey | Error => {
    const r = ssh2().utils.parseKey(data, passphrase);
    const key = Array.isArray(r) ? (r[0] as ParsedKey | Error) : r;
    if (key instanceof Error) return key;
    if (!key.isPrivateKey()) return new Error('not a private key');
    return key;
  };
  const first = parse();
  if (!(first instanceof Error)) return first;
  if (!isEncryptedKeyError(first)) {
    log.debug(`skipping identity ${path}: ${first.message}`);
    return undefined;
  }
  const cached = cache.get(path);
  if (cached !== undefined) {
    const key = parse(cached);
    if (!(key instanceof Error)) {
      cache.remember(path, mtimeMs, key);
      return key;
    }
    cache.delete(path);
  }
  for (let i = 0; i < MAX_PASSPHRASE_TRIES; i++) {
    const pass = await prompting(() => opts.prompter.passphrase(path));
    if (pass === undefined) throw new CancelledError('Passphrase entry cancelled');
    const key = parse(pass);
    if (!(key instanceof Error)) {
      cache.set(path, pass);
      cache.remember(path, mtimeMs, key);
      return key;
    }
    if (!isBadPassphraseError(key)) {
      log.debug(`skipping identity ${path}: ${key.message}`);
      return undefined;
    }
    log.info(`wrong passphrase for ${path}`);
  }
  log.warn(`giving up on ${path} after ${MAX_PASSPHRASE_TRIES} wrong passphrases`);
  return undefined;
}

/** An OpenSSH agent that offers only the keys a filter accepts, and remembers what it offered. */
const isNamedPipe = (p: string) => /^[\\/]{2}[.?][\\/]pipe[\\/]/i.test(p);

type SelectiveAgent = OpenSSHAgent & { readonly offered: Buffer[] };

/** An agent offering only the blobs `accept` takes (the class is made on first use: ssh2 loads lazily). */
function selectiveAgent(socketPath: string, accept: (blob: Buffer) => boolean): SelectiveAgent {
  selectiveAgentClass ??= class extends ssh2().OpenSSHAgent {
    readonly offered: Buffer[] = [];
    constructor(
      socketPath: string,
      private readonly accept: (blob: Buffer) => boolean,
    ) {
      super(socketPath);
    }
    override getIdentities(cb: IdentityCallback<ParsedKey>): void {
      super.getIdentities((err, keys) => {
        if (err || !keys) return cb(err ?? new Error('No keys from agent'));
        // OpenSSHAgent hands back parsed keys.
        const parsed = keys.filter((k): k is ParsedKey => typeof (k as Partial<ParsedKey>).getPublicSSH === 'function');
        const chosen = parsed.filter((k) => this.accept(k.getPublicSSH()));
        this.offered.push(...chosen.map((k) => k.getPublicSSH()));
        cb(undefined, chosen);
      });
    }
  };
  return new selectiveAgentClass(socketPath, accept);
}
let selectiveAgentClass: (new (socketPath: string, accept: (blob: Buffer) => boolean) => SelectiveAgent) | undefined;

export interface AuthSequenceOptions {
  /** Label for prompts and logs (the host alias). */
  host: string;
  /** Host name and port, for the remembered-password key. */
  hostName: string;
  port: number;
  user: string;
  identityFiles: readonly string[];
  identitiesOnly: boolean;
  /** ssh-agent socket; undefined = no agent. */
  agentSocket?: string;
  prompter: AuthPrompter;
  secretStore?: SecretStore;
  passphrases?: PassphraseCache;
  logger?: Logger;
  prompting?: <T>(ask: () => Promise<T>) => Promise<T>;
  /** Called at once when the user cancels a prompt (the caller ends the attempt). */
  onCancel?: () => void;
  /** PreferredAuthentications order; default publickey, keyboard-interactive, password. Others are ignored. */
  preferred?: readonly string[];
  /** NumberOfPasswordPrompts: password and keyboard-interactive answers in total; default 3. */
  passwordPrompts?: number;
}

type Step = 'agent' | 'identities' | 'keyboard-interactive' | 'password';

const DEFAULT_PREFERRED = ['publickey', 'keyboard-interactive', 'password'];

function stepsFor(preferred: readonly string[]): Step[] {
  const steps: Step[] = [];
  for (const m of preferred) {
    if (m === 'publickey' && !steps.includes('agent')) steps.push('agent', 'identities');
    else if ((m === 'keyboard-interactive' || m === 'password') && !steps.includes(m)) steps.push(m);
  }
  return steps;
}

/**
 * One connection attempt's authentication state; `handler` is the ssh2 authHandler.
 * After the attempt, `cancelled` and `interactiveTried` tell the caller what happened.
 */
export class AuthSequence {
  /** The user cancelled a prompt; the attempt ended because of it. */
  cancelled = false;
  /** A password or keyboard-interactive answer was sent (so a failure should not be retried automatically). */
  interactiveTried = false;
  /** Methods attempted, in order (for logs and errors). */
  readonly tried: string[] = [];
  /** The interactive answers sent, and why asking stopped (for the error). */
  readonly attempts: LoginAttempts;
  private readonly steps: Step[];
  private stepIndex = 0;
  private identityIndex = 0;
  /** The last request was keyboard-interactive and the server has not asked anything in it yet. */
  private keyboardUnprompted = false;
  private storedPasswordTried = false;
  private lastWasStoredPassword = false;
  private noneTried = false;
  private pendingPassword: string | undefined;
  private agent: SelectiveAgent | undefined;
  private allowedBlobs: Buffer[] | undefined;
  private readonly log: Logger;
  private readonly prompting: <T>(ask: () => Promise<T>) => Promise<T>;

  constructor(private readonly o: AuthSequenceOptions) {
    this.log = o.logger ?? silentLogger;
    this.prompting = o.prompting ?? ((ask) => ask());
    this.steps = stepsFor(o.preferred ?? DEFAULT_PREFERRED);
    this.attempts = new LoginAttempts(`${o.user}@${o.host}`, passwordPromptLimit(o.passwordPrompts));
  }

  readonly handler: AuthHandlerMiddleware = (methodsLeft, partial, next) => {
    // ssh2 accepts `false` (no more methods) although its typings omit it.
    const done = next as unknown as (m: AnyAuthMethod | false) => void;
    this.nextMethod(methodsLeft ?? undefined, partial === true).then(
      (m) => done(m),
      (err: unknown) => {
        if (err instanceof CancelledError) this.cancel();
        else this.log.warn(`authentication step failed: ${err instanceof Error ? err.message : String(err)}`);
        done(false);
      },
    );
  };

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stepIndex = this.steps.length;
    this.o.onCancel?.();
  }

  /** Call once the connection is ready: remembers a password the user typed (when a store is given). */
  async succeeded(): Promise<void> {
    if (this.pendingPassword !== undefined && this.o.secretStore) {
      await this.o.secretStore.set(passwordSecretKey(this.o.user, this.o.hostName, this.o.port), this.pendingPassword);
    }
    this.pendingPassword = undefined;
  }

  private allows(methodsLeft: AuthenticationType[] | undefined, method: string): boolean {
    return methodsLeft === undefined || (methodsLeft as string[]).includes(method);
  }

  private async nextMethod(methodsLeft: AuthenticationType[] | undefined, partial: boolean): Promise<AnyAuthMethod | false> {
    const username = this.o.user;
    this.attempts.judged(partial);
    // The server refused keyboard-interactive without asking anything: it has nothing to ask.
    if (this.keyboardUnprompted && !partial && this.steps[this.stepIndex] === 'keyboard-interactive') this.stepIndex++;
    this.keyboardUnprompted = false;
    if (this.lastWasStoredPassword) {
      this.lastWasStoredPassword = false;
      if (!partial) {
        // The remembered password was refused: forget it and ask.
        this.pendingPassword = undefined;
        this.log.info(`remembered password for ${username}@${this.o.host} was refused; forgetting it`);
        await this.o.secretStore?.delete(passwordSecretKey(username, this.o.hostName, this.o.port));
      }
    }
    for (;;) {
      const step = this.steps[this.stepIndex];
      if (step === undefined) return false;
      if ((step === 'keyboard-interactive' || step === 'password') && methodsLeft === undefined && !this.noneTried) {
        // Nothing tried yet: ask the server which methods it accepts.
        this.noneTried = true;
        return { type: 'none', username };
      }
      switch (step) {
        case 'agent': {
          this.stepIndex++;
          if (!this.o.agentSocket || !this.allows(methodsLeft, 'publickey')) break;
          // (A Windows named pipe is not a file: connecting tells, and a failure is only logged.)
          if (!isNamedPipe(this.o.agentSocket) && !existsSync(this.o.agentSocket)) {
            this.log.debug(`ssh-agent socket ${this.o.agentSocket} does not exist`);
            break;
          }
          if (this.o.identitiesOnly) this.allowedBlobs = await this.identityBlobs();
          const allowed = this.allowedBlobs;
          this.agent = selectiveAgent(this.o.agentSocket, (blob) => !allowed || allowed.some((b) => b.equals(blob)));
          this.tried.push('agent');
          this.log.debug(`trying ssh-agent for ${username}@${this.o.host}`);
          return { type: 'agent', username, agent: this.agent };
        }
        case 'identities': {
          if (!this.allows(methodsLeft, 'publickey') || this.identityIndex >= this.o.identityFiles.length) {
            this.stepIndex++;
            break;
          }
          const path = this.o.identityFiles[this.identityIndex++];
          if (!existsSync(path)) continue;
          const blob = await identityPublicBlob(path);
          if (blob && this.agent?.offered.some((b) => b.equals(blob))) {
            this.log.debug(`identity ${path} was already offered by the agent`);
            continue;
          }
          const key = await loadIdentity(path, {
            prompter: this.o.prompter,
            ...(this.o.passphrases ? { passphrases: this.o.passphrases } : {}),
            logger: this.log,
            prompting: this.prompting,
          });
          if (!key) continue;
          this.tried.push(`publickey ${path}`);
          this.log.debug(`trying identity ${path}`);
          return { type: 'publickey', username, key };
        }
        case 'keyboard-interactive': {
          if (methodsLeft === undefined || !methodsLeft.includes('keyboard-interactive') || !this.attempts.canAnswer) {
            this.stepIndex++;
            break;
          }
          this.keyboardUnprompted = true;
          this.tried.push('keyboard-interactive');
          return { type: 'keyboard-interactive', username, prompt: this.keyboardPrompt };
        }
        case 'password': {
          if (methodsLeft === undefined || !methodsLeft.includes('password') || !this.attempts.canAnswer) {
            this.stepIndex++;
            break;
          }
          if (!this.storedPasswordTried && this.o.secretStore) {
            this.storedPasswordTried = true;
            const stored = await this.o.secretStore.get(passwordSecretKey(username, this.o.hostName, this.o.port));
            if (stored !== undefined) {
              this.pendingPassword = undefined;
              this.lastWasStoredPassword = true;
              this.tried.push('password (remembered)');
              this.attempts.answered('password', { remembered: true });
              return { type: 'password', username, password: stored };
            }
          }
          this.storedPasswordTried = true;
          const retry = this.attempts.retryNotice();
          const password = await this.prompting(() => this.o.prompter.password(this.o.host, username, ...(retry ? [retry] : [])));
          if (password === undefined) throw new CancelledError('Password entry cancelled');
          this.attempts.answered('password');
          this.interactiveTried = true;
          this.pendingPassword = password;
          this.tried.push('password');
          return { type: 'password', username, password };
        }
      }
    }
  }

  private readonly keyboardPrompt = (
    name: string,
    instructions: string,
    _lang: string,
    prompts: Prompt[],
    finish: (answers: string[]) => void,
  ): void => {
    // An empty round (sshd sends one between PAM steps) asks nothing and sends no secret.
    if (prompts.length === 0) return finish([]);
    this.keyboardUnprompted = false;
    const list = prompts.map((p) => ({ prompt: p.prompt, echo: p.echo ?? false }));
    const retry = this.attempts.retryNotice();
    this.prompting(() => this.o.prompter.keyboardInteractive(this.o.host, name, instructions, list, ...(retry ? [retry] : []))).then(
      (answers) => {
        if (answers === undefined) {
          // The caller ends the connection; no answer is sent.
          this.cancel();
          return;
        }
        this.interactiveTried = true;
        this.attempts.answered(answerKindOf(list.map((p) => p.prompt), instructions));
        finish(answers);
      },
      (err: unknown) => {
        this.log.warn(`keyboard-interactive prompt failed: ${err instanceof Error ? err.message : String(err)}`);
        this.stepIndex = this.steps.length;
        finish(prompts.map(() => ''));
      },
    );
  };

  private async identityBlobs(): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const p of this.o.identityFiles) {
      const b = await identityPublicBlob(p);
      if (b) out.push(b);
    }
    return out;
  }
}
