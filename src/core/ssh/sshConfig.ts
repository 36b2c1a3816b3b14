/**
 * Host resolution from OpenSSH client config files, the way `ssh -G` does it for the options we
 * use: `Include` (globs, relative to ~/.ssh), first obtained value wins, `Host` patterns with
 * `*`, `?` and `!negation`; `Match` blocks are skipped (only `Match all` applies), never executed.
 * (The `ssh-config` package ships ESM-only typings that a CommonJS build cannot import, and its
 * `compute()` runs `Match exec` and ignores `Include`; the lexer here is the few lines we need.)
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import { isAbsolute, join } from 'node:path';
import { SshError } from './errors';
import { wildcardMatch } from './knownHosts';

type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask';

/** Everything needed to connect to one host alias. */
export interface HostConfig {
  alias: string;
  hostName: string;
  port: number;
  user: string;
  /** Absolute paths, in order; files that do not exist are skipped when connecting. */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** Jump hosts in order, each `[user@]host[:port]` (an alias or a host name); empty = direct. */
  proxyJump: string[];
  connectTimeoutMs?: number;
  serverAliveIntervalMs?: number;
  serverAliveCountMax?: number;
  /** UserKnownHostsFile, absolute; the first one receives accepted keys. */
  knownHostsFiles?: string[];
  /** GlobalKnownHostsFile, absolute; read only. */
  globalKnownHostsFiles?: string[];
  strictHostKeyChecking?: StrictHostKeyChecking;
  hashKnownHosts?: boolean;
  /** IdentityAgent: a socket path, or 'none' to not use an agent. Unset = SSH_AUTH_SOCK. */
  identityAgent?: string;
  /** HostKeyAlias: the name looked up and recorded in known_hosts instead of `[hostName]:port`. */
  hostKeyAlias?: string;
  /** PreferredAuthentications, e.g. ['publickey', 'keyboard-interactive', 'password']. */
  preferredAuthentications?: string[];
  /** NumberOfPasswordPrompts: password and keyboard-interactive answers per login, in total (unset = 3). */
  numberOfPasswordPrompts?: number;
  /** Set when the config asks for a ProxyCommand, which we do not run. */
  proxyCommand?: string;
}

/** A host declared in the `remoteHpc.hosts` setting. */
export interface ExtraHost {
  name: string;
  hostName: string;
  user?: string;
  port?: number;
  identityFile?: string;
  proxyJump?: string;
}

export interface SshConfigOptions {
  /** Home directory for `~` and `%d`; default os.homedir(). */
  home?: string;
  /** Local user name for the default User and `%u`; default os.userInfo().username. */
  localUser?: string;
  /** Local host name for `%l`/`%L`; default os.hostname(). */
  localHost?: string;
  /** Environment for `${VAR}`; default process.env. */
  env?: Record<string, string | undefined>;
}

type Node =
  | { kind: 'option'; key: string; args: string[]; file: string }
  | { kind: 'host'; patterns: string[]; body: Node[]; file: string; line: number }
  | { kind: 'match'; all: boolean; body: Node[] }
  | { kind: 'include'; files: { path: string; nodes: Node[] }[] };

const MAX_INCLUDE_DEPTH = 16;
const ACCUMULATING = new Set(['identityfile', 'certificatefile']);

const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'];

function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** Host line patterns: any positive pattern matches and no negated one does (case-insensitive). */
export function hostPatternsMatch(host: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const hit = wildcardMatch(host, negated ? raw.slice(1) : raw);
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** `[ssh://][user@]host[:port]` (IPv6 in brackets) → parts. */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } {
  let s = spec.trim();
  if (s.toLowerCase().startsWith('ssh://')) s = s.slice(6).replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let host = s;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1];
    if (bracket[2]) port = Number(bracket[2]);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon > 0 && s.indexOf(':') === colon && /^\d+$/.test(s.slice(colon + 1))) {
      host = s.slice(0, colon);
      port = Number(s.slice(colon + 1));
    }
  }
  if (!host) throw new SshError('config', spec, `Invalid ProxyJump host "${spec}"`);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new SshError('config', spec, `Invalid port in ProxyJump "${spec}"`);
  }
  return { ...(user ? { user } : {}), host, ...(port !== undefined ? { port } : {}) };
}

/** Splits one config line into keyword and arguments like OpenSSH's argv_split (quotes, `\\`, `#` comments). */
export function splitConfigLine(line: string): { key: string; args: string[] } | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+|$)(.*)$/.exec(line);
  if (!m) return undefined;
  const args: string[] = [];
  const rest = m[2];
  let cur = '';
  let inArg = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (quote) {
      if (c === '\\' && rest[i + 1] === quote) cur += rest[++i];
      else if (c === quote) quote = undefined;
      else cur += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inArg) args.push(cur);
      cur = '';
      inArg = false;
    } else if (c === '#' && !inArg) {
      break;
    } else if (c === '"' || c === "'") {
      quote = c;
      inArg = true;
    } else if (c === '\\' && i + 1 < rest.length && /["'\\\s]/.test(rest[i + 1])) {
      cur += rest[++i];
      inArg = true;
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (quote) return undefined;
  if (inArg) args.push(cur);
  return { key: m[1].toLowerCase(), args };
}

/** An OpenSSH client configuration: its files, parsed once, resolved per alias. */
export class SshConfig {
  private constructor(
    private readonly nodes: Node[],
    /** Every file read (main file and includes), for watching. */
    readonly files: string[],
    private readonly opts: Required<SshConfigOptions>,
  ) {}

  private static options(opts: SshConfigOptions): Required<SshConfigOptions> {
    let localUser = opts.localUser;
    if (localUser === undefined) {
      try {
        localUser = os.userInfo().username;
      } catch {
        localUser = process.env.USER ?? 'root';
      }
    }
    return {
      home: opts.home ?? os.homedir(),
      localUser,
      localHost: opts.localHost ?? os.hostname(),
      env: opts.env ?? process.env,
    };
  }

  /**
   * Reads a config file (default ~/.ssh/config) and its includes, then the system-wide file,
   * like `ssh` does: the system file (default /etc/ssh/ssh_config) is read only when `path` is
   * not given, as `ssh -F <file>` skips it. Missing files are empty.
   */
  static async load(path?: string, opts: SshConfigOptions & { systemConfigFile?: string | null } = {}): Promise<SshConfig> {
    const o = SshConfig.options(opts);
    const file = path ?? join(o.home, '.ssh', 'config');
    const system = opts.systemConfigFile !== undefined ? opts.systemConfigFile : path === undefined ? '/etc/ssh/ssh_config' : null;
    const files: string[] = [];
    const nodes: Node[] = [];
    for (const [f, base] of [
      [file, join(o.home, '.ssh')],
      [system, '/etc/ssh'],
    ] as const) {
      if (!f) continue;
      const text = await readOptional(f);
      if (text === undefined) continue;
      files.push(f);
      // Each file starts a fresh context: a trailing Host block of one does not swallow the next.
      nodes.push({ kind: 'include', files: [{ path: f, nodes: await SshConfig.build(text, f, o, files, 0, base) }] });
    }
    return new SshConfig(nodes, files, o);
  }

  /** Parses config text (includes are still read from disk). */
  static async parse(text: string, opts: SshConfigOptions & { path?: string } = {}): Promise<SshConfig> {
    const o = SshConfig.options(opts);
    const files: string[] = [];
    const nodes = await SshConfig.build(text, opts.path ?? '<memory>', o, files, 0, join(o.home, '.ssh'));
    return new SshConfig(nodes, files, o);
  }

  /** An empty configuration (hosts come only from settings). */
  static empty(opts: SshConfigOptions = {}): SshConfig {
    return new SshConfig([], [], SshConfig.options(opts));
  }

  /** `base`: where relative Include paths point (~/.ssh for user files, /etc/ssh for the system file). */
  private static async build(text: string, file: string, o: Required<SshConfigOptions>, files: string[], depth: number, base: string): Promise<Node[]> {
    // Host and Match start a block that runs to the next Host or Match.
    const top: Node[] = [];
    let body = top;
    const lines = text.split(/\r?\n/);
    for (let index = 0; index < lines.length; index++) {
      const trimmed = lines[index].trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const line = splitConfigLine(trimmed);
      if (!line) throw new SshError('config', file, `Cannot parse SSH config ${file}: "${trimmed.slice(0, 80)}"`);
      const { key, args } = line;
      if (key === 'host') {
        const node: Node = { kind: 'host', patterns: args, body: [], file, line: index };
        top.push(node);
        body = node.body;
      } else if (key === 'match') {
        const node: Node = { kind: 'match', all: args.length === 1 && args[0].toLowerCase() === 'all', body: [] };
        top.push(node);
        body = node.body;
      } else if (key === 'include') {
        body.push(await SshConfig.include(args, o, files, depth, base));
      } else {
        body.push({ kind: 'option', key, args, file });
      }
    }
    return top;
  }

  private static async include(args: string[], o: Required<SshConfigOptions>, files: string[], depth: number, base: string): Promise<Node> {
    if (depth >= MAX_INCLUDE_DEPTH) throw new SshError('config', 'Include', 'SSH config Include nested too deeply');
    const included: { path: string; nodes: Node[] }[] = [];
    for (const arg of args) {
      let pattern = expandTilde(arg, o.home);
      if (!isAbsolute(pattern)) pattern = join(base, pattern);
      for (const path of await expandGlob(pattern)) {
        const text = await readOptional(path);
        if (text === undefined) continue;
        files.push(path);
        included.push({ path, nodes: await SshConfig.build(text, path, o, files, depth + 1, base) });
      }
    }
    return { kind: 'include', files: included };
  }

  /** Concrete host aliases (no wildcards, no negations), in file order, for the Hosts view. */
  aliases(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    const walk = (nodes: Node[]) => {
      for (const n of nodes) {
        if (n.kind === 'host') {
          for (const p of n.patterns) {
            if (p.startsWith('!') || hasGlob(p) || seen.has(p)) continue;
            seen.add(p);
            out.push(p);
          }
          walk(n.body);
        } else if (n.kind === 'include') {
          for (const f of n.files) walk(f.nodes);
        } else if (n.kind === 'match') {
          walk(n.body);
        }
      }
    };
    walk(this.nodes);
    return out;
  }

  /**
   * Where `alias` is declared: the first `Host` line naming it literally (not through a wildcard),
   * with its file, 0-based line and every pattern of that line; undefined when none does.
   */
  hostBlock(alias: string): { file: string; line: number; patterns: string[] } | undefined {
    type Found = { file: string; line: number; patterns: string[] } | undefined;
    const find = (nodes: Node[]): Found => {
      for (const n of nodes) {
        let hit: Found;
        if (n.kind === 'host') hit = n.patterns.includes(alias) ? { file: n.file, line: n.line, patterns: [...n.patterns] } : find(n.body);
        else if (n.kind === 'match') hit = find(n.body);
        else if (n.kind === 'include') for (const f of n.files) hit ??= find(f.nodes);
        if (hit) return hit;
      }
      return undefined;
    };
    return find(this.nodes);
  }

  /** The raw first-obtained values for an alias (lowercase keys), after `seed` values, which win. */
  collect(alias: string, seed: Record<string, string[]> = {}): Map<string, string[]> {
    const values = new Map<string, string[]>();
    for (const [k, v] of Object.entries(seed)) values.set(k.toLowerCase(), [...v]);
    const apply = (key: string, args: string[]) => {
      if (ACCUMULATING.has(key)) {
        values.set(key, [...(values.get(key) ?? []), ...args]);
      } else if (!values.has(key)) {
        values.set(key, args);
      }
    };
    const evaluate = (nodes: Node[], active: boolean) => {
      for (const n of nodes) {
        switch (n.kind) {
          case 'option':
            if (active) apply(n.key, n.args);
            break;
          case 'host':
            evaluate(n.body, active && hostPatternsMatch(alias, n.patterns));
            break;
          case 'match':
            evaluate(n.body, active && n.all);
            break;
          case 'include':
            for (const f of n.files) evaluate(f.nodes, active);
            break;
        }
      }
    };
    evaluate(this.nodes, true);
    return values;
  }

  /** Resolves an alias to a HostConfig; `seed` holds values that take precedence (e.g. from settings). */
  resolve(alias: string, seed: Record<string, string[]> = {}): HostConfig {
    return this.hostConfig(alias, this.collect(alias, seed));
  }

  /**
   * A HostConfig from what `ssh -G` printed (exact: Match, tokens, Include, canonical names):
   * one line per value, known-hosts lists space-separated on one line.
   */
  fromEffective(alias: string, effective: ReadonlyMap<string, readonly string[]>): HostConfig {
    const v = new Map<string, string[]>();
    for (const [k, list] of effective) v.set(k, k.endsWith('knownhostsfile') ? list.flatMap((l) => l.split(/\s+/).filter(Boolean)) : [...list]);
    for (const k of ['connecttimeout', 'proxycommand', 'proxyjump']) if (v.get(k)?.[0]?.toLowerCase() === 'none') v.delete(k);
    return this.hostConfig(alias, v);
  }

  private hostConfig(alias: string, v: Map<string, string[]>): HostConfig {
    const o = this.opts;
    const first = (k: string): string | undefined => v.get(k)?.[0];
    const baseTokens: Record<string, string> = {
      '%': '%',
      h: alias,
      n: alias,
      d: o.home,
      u: o.localUser,
      l: o.localHost,
      L: o.localHost.split('.')[0],
      i: String(typeof process.getuid === 'function' ? process.getuid() : 0),
    };
    const hostName = expandTokens(first('hostname') ?? alias, { '%': '%', h: alias }, alias);
    const port = parsePort(first('port'), alias);
    const user = expandTokens(first('user') ?? o.localUser, { ...baseTokens, h: hostName, p: String(port) }, alias);
    const jumpText = (v.get('proxyjump') ?? []).join(',');
    const tokens = {
      ...baseTokens,
      h: hostName,
      p: String(port),
      r: user,
      k: alias,
      j: jumpText.toLowerCase() === 'none' ? '' : jumpText,
      C: createHash('sha1').update(`${o.localHost}${hostName}${port}${user}${jumpText.toLowerCase() === 'none' ? '' : jumpText}`).digest('hex'),
    };
    const path = (p: string) => expandTilde(expandTokens(expandEnv(p, o.env), tokens, alias), o.home);

    const identityFiles = (v.get('identityfile') ?? []).filter((f) => f.toLowerCase() !== 'none').map(path);
    if (!v.has('identityfile')) identityFiles.push(...DEFAULT_IDENTITIES.map((f) => join(o.home, '.ssh', f)));

    const config: HostConfig = {
      alias,
      hostName,
      port,
      user,
      identityFiles,
      identitiesOnly: yesNo(first('identitiesonly'), 'IdentitiesOnly', alias) ?? false,
      proxyJump: [],
    };

    // ProxyJump and ProxyCommand exclude each other: whichever is obtained first wins.
    const jump = v.get('proxyjump');
    const command = v.get('proxycommand');
    const jumpWins = jump !== undefined && (command === undefined || isEarlier(v, 'proxyjump', 'proxycommand'));
    if (jumpWins && jump.join('').toLowerCase() !== 'none') {
      config.proxyJump = jump.join(',').split(',').map((s) => s.trim()).filter(Boolean);
      for (const hop of config.proxyJump) parseJumpSpec(hop);
    } else if (!jumpWins && command !== undefined && command.join('').toLowerCase() !== 'none') {
      config.proxyCommand = command.join(' ');
    }

    const connectTimeout = wholeNumber(first('connecttimeout'), 'ConnectTimeout', alias);
    if (connectTimeout !== undefined && connectTimeout > 0) config.connectTimeoutMs = connectTimeout * 1000;
    const alive = wholeNumber(first('serveraliveinterval'), 'ServerAliveInterval', alias);
    if (alive !== undefined && alive > 0) config.serverAliveIntervalMs = alive * 1000;
    const aliveMax = wholeNumber(first('serveralivecountmax'), 'ServerAliveCountMax', alias);
    if (aliveMax !== undefined) config.serverAliveCountMax = aliveMax;
    const passwordPrompts = wholeNumber(first('numberofpasswordprompts'), 'NumberOfPasswordPrompts', alias);
    if (passwordPrompts !== undefined) config.numberOfPasswordPrompts = passwordPrompts;

    const khf = v.get('userknownhostsfile');
    config.knownHostsFiles = khf && khf.length ? khf.filter((f) => f.toLowerCase() !== 'none').map(path) : [join(o.home, '.ssh', 'known_hosts'), join(o.home, '.ssh', 'known_hosts2')];

    const gkhf = v.get('globalknownhostsfile');
    config.globalKnownHostsFiles = gkhf && gkhf.length ? gkhf.filter((f) => f.toLowerCase() !== 'none').map(path) : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

    const strict = first('stricthostkeychecking');
    if (strict !== undefined) config.strictHostKeyChecking = parseStrict(strict, alias);
    const hash = yesNo(first('hashknownhosts'), 'HashKnownHosts', alias);
    if (hash !== undefined) config.hashKnownHosts = hash;
    const hostKeyAlias = first('hostkeyalias');
    if (hostKeyAlias !== undefined && hostKeyAlias.toLowerCase() !== 'none') config.hostKeyAlias = hostKeyAlias;
    const preferred = first('preferredauthentications');
    if (preferred !== undefined) config.preferredAuthentications = preferred.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
    const agent = first('identityagent');
    if (agent !== undefined) {
      if (agent.toLowerCase() === 'none') config.identityAgent = 'none';
      else if (agent === 'SSH_AUTH_SOCK') {
        /* the default */
      } else if (/^\$\w+$/.test(agent)) {
        const sock = o.env[agent.slice(1)];
        if (sock) config.identityAgent = sock;
      } else config.identityAgent = path(agent);
    }
    return config;
  }
}

/** Hosts from the SSH config and the `remoteHpc.hosts` setting, merged. */
export class HostDirectory {
  private readonly extra = new Map<string, ExtraHost>();

  constructor(
    readonly config: SshConfig,
    extraHosts: readonly ExtraHost[] = [],
  ) {
    for (const h of extraHosts) if (h && typeof h.name === 'string' && h.name && typeof h.hostName === 'string') this.extra.set(h.name, h);
  }

  /** Aliases for the Hosts view: settings hosts first, then SSH config aliases not overridden. */
  list(): { alias: string; source: 'settings' | 'ssh-config' }[] {
    const out: { alias: string; source: 'settings' | 'ssh-config' }[] = [...this.extra.keys()].map((alias) => ({ alias, source: 'settings' as const }));
    for (const alias of this.config.aliases()) if (!this.extra.has(alias)) out.push({ alias, source: 'ssh-config' });
    return out;
  }

  has(alias: string): boolean {
    return this.extra.has(alias) || this.config.aliases().includes(alias);
  }

  /** The settings entry of a host declared in `remoteHpc.hosts`, if it is one. */
  settingsHost(alias: string): ExtraHost | undefined {
    return this.extra.get(alias);
  }

  /**
   * Resolves an alias. A settings host acts like a `Host <name>` block placed before the SSH config:
   * its fields win, and the config (e.g. `Host *` defaults) fills in the rest.
   */
  resolve(alias: string): HostConfig {
    const e = this.extra.get(alias);
    const seed: Record<string, string[]> = {};
    if (e) {
      seed.hostname = [e.hostName];
      if (e.user) seed.user = [e.user];
      if (e.port !== undefined) seed.port = [String(e.port)];
      if (e.identityFile) seed.identityfile = [e.identityFile];
      if (e.proxyJump) seed.proxyjump = [e.proxyJump];
    }
    return this.config.resolve(alias, seed);
  }

  /** A jump hop `[user@]host[:port]`: the host is resolved like an alias, then user/port from the spec win. */
  resolveJump(spec: string): HostConfig {
    const { user, host, port } = parseJumpSpec(spec);
    const c = this.resolve(host);
    return { ...c, alias: spec, ...(user ? { user } : {}), ...(port !== undefined ? { port } : {}), proxyJump: [] };
  }
}

function isEarlier(v: Map<string, string[]>, a: string, b: string): boolean {
  const keys = [...v.keys()];
  return keys.indexOf(a) < keys.indexOf(b);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw err;
  }
}

export function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}

function expandEnv(p: string, env: Record<string, string | undefined>): string {
  return p.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => env[name] ?? '');
}

/** `%x` tokens; an unknown token is a config error, as in OpenSSH. */
function expandTokens(s: string, tokens: Record<string, string>, host: string): string {
  return s.replace(/%(.?)/g, (_m, t: string) => {
    const v = tokens[t];
    if (v === undefined) throw new SshError('config', host, `Unsupported token %${t} in SSH config value "${s}"`);
    return v;
  });
}

function parsePort(s: string | undefined, host: string): number {
  if (s === undefined) return 22;
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new SshError('config', host, `Invalid Port "${s}" for ${host}`);
  return n;
}

/** A whole number ≥ 0 (seconds or a count). */
function wholeNumber(s: string | undefined, name: string, host: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new SshError('config', host, `Invalid ${name} "${s}" for ${host}`);
  return Number(s);
}

function yesNo(s: string | undefined, name: string, host: string): boolean | undefined {
  if (s === undefined) return undefined;
  const l = s.toLowerCase();
  if (l === 'yes' || l === 'true') return true;
  if (l === 'no' || l === 'false') return false;
  throw new SshError('config', host, `Invalid ${name} "${s}" for ${host}`);
}

function parseStrict(s: string, host: string): StrictHostKeyChecking {
  const l = s.toLowerCase();
  if (l === 'yes' || l === 'true') return 'yes';
  if (l === 'no' || l === 'off' || l === 'false') return 'no';
  if (l === 'accept-new') return 'accept-new';
  if (l === 'ask') return 'ask';
  throw new SshError('config', host, `Invalid StrictHostKeyChecking "${s}" for ${host}`);
}

/** Expands `*`/`?` in path components like glob(3): sorted, no dot files unless the pattern starts with a dot. */
async function expandGlob(pattern: string): Promise<string[]> {
  if (!/[*?]/.test(pattern)) return [pattern];
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(part)) {
        next.push(join(base, part));
        continue;
      }
      let names: string[];
      try {
        names = await fsp.readdir(base);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (globSegment(name, part)) next.push(join(base, name));
      }
    }
    bases = next;
  }
  return bases;
}

function globSegment(name: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(name);
}

const GENERIC_LABEL = /^(login|ln|ssh|gw|gateway|frontend|front|access|submit|head|hpc-login)-?\d*$/i;

/**
 * An alias for a new host from its name: the first label, unless that is a generic login-node
 * name (login2.cluster.example.org → cluster); an IP address stays whole.
 */
export function suggestAlias(hostName: string): string {
  if (/^[\d.]+$/.test(hostName) || hostName.includes(':')) return hostName;
  const labels = hostName.split('.').filter(Boolean);
  const pick = labels.length > 2 && GENERIC_LABEL.test(labels[0]) ? labels[1] : labels[0];
  return (pick ?? hostName).toLowerCase();
}
