/**
 * A Session over an OpenSSH control master: every exec, agent channel, pty shell, SFTP
 * subsystem and forwarded stream is one `ssh -S <ControlPath>` client multiplexed over it,
 * so no login happens after the master's. Mux clients read no config (`-F /dev/null`) and can
 * never open a connection of their own (BatchMode, a ProxyCommand that fails): a master that
 * went away fails the channel instead of starting a second, prompting login.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import type { PtyOptions, RemoteChannel, TransportInfo } from '../channel';
import { commandLineWith, type CommandLineOptions } from '../quote';
import { collect, sharedSftp, type ExecOptions, type ExecResult, type Session } from '../session';
import { nullConfig } from './binary';
import { ProcessChannel } from './processChannel';
import { sftpOverProcess } from './sftpStdio';

export interface OpenSshSessionOptions {
  sshPath: string;
  controlPath: string;
  transport: TransportInfo;
  /** True while the master is alive (the connector watches it). */
  isAlive(): boolean;
}

// Reports the command's pid on stderr, then becomes the command: `kill` can reach it later.
const PID_PRELUDE = 'printf "%s\\n" "$$" >&2; exec "$@"';
// Sets the pty's modes and size (ssh has no local terminal to copy them from), reports its
// device on the pty, then becomes the command: `stty -F` can resize it later.
const TTY_PRELUDE = 'stty sane rows "$1" cols "$2" 2>/dev/null; printf "%s\\n" "$(tty)"; shift 2; exec "$@"';

// A spare exec client's remote side: reads a command line up to a line holding only the nonce,
// then runs it (the rest of stdin is the command's); a closed stdin ends it quietly.
const SPARE = 'n=$1; nl=$(printf "\\n_"); nl=${nl%_}; s=; while IFS= read -r l; do if [ "$l" = "$n" ]; then eval "$s"; exit; fi; s="$s$l$nl"; done';

interface Spare {
  child: ChildProcessWithoutNullStreams;
  nonce: string;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export class OpenSshSession implements Session {
  private readonly children = new Set<ChildProcessWithoutNullStreams>();
  /**
   * An exec client started ahead, its remote `sh` waiting for a command: an exec then does not
   * wait for a local `ssh` process to start and open its channel (most of an exec's round trip).
   * One at a time, started after the first exec, replaced as soon as it is taken.
   */
  private spare: Spare | undefined;
  private closed = false;
  constructor(
    readonly host: string,
    private readonly o: OpenSshSessionOptions,
  ) {}

  get transport(): TransportInfo {
    return this.o.transport;
  }

  get connected(): boolean {
    return this.o.isAlive();
  }

  /** One mux client: `ssh -S ctl … <args>` with stdio piped. */
  private client(args: readonly string[], term?: string): ChildProcessWithoutNullStreams {
    const base = ['-F', nullConfig(), '-S', this.o.controlPath, '-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-o', 'ProxyCommand=false', '-e', 'none'];
    // ssh sends its own TERM with a pty request; the pty starts at 0×0 (no local terminal) until resized.
    const env = term ? { ...process.env, TERM: term } : process.env;
    const child = spawn(this.o.sshPath, [...base, ...args], { stdio: 'pipe', windowsHide: true, env });
    this.children.add(child);
    child.once('close', () => this.children.delete(child));
    return child;
  }

  /** A helper command (kill, stty) on its own channel; settles when it ended (never rejects). */
  private aside(argv: readonly string[]): Promise<void> {
    const c = this.client(['-T', 'remote-hpc', '--', commandLineWith(argv)]);
    c.on('error', () => undefined);
    c.stdin.end();
    c.stdout.resume();
    c.stderr.resume();
    return new Promise((resolve) => c.once('close', () => resolve()));
  }

  spawn(argv: readonly string[], opts: CommandLineOptions & { pty?: PtyOptions } = {}): Promise<RemoteChannel> {
    return new Promise((resolve, reject) => {
      let channel: ProcessChannel;
      if (opts.pty) {
        const pty = opts.pty;
        const command = commandLineWith(['/bin/sh', '-c', TTY_PRELUDE, 'remote-hpc', String(pty.rows ?? 24), String(pty.cols ?? 80), ...argv], opts);
        const child = this.client(['-tt', 'remote-hpc', '--', command], pty.term ?? 'xterm-256color');
        channel = new ProcessChannel(
          child,
          {
            // The prelude's line is the pty's device; resizes wait for it.
            setWindow: async (rows, cols) => {
              const dev = await channel.preludeLine;
              if (dev?.startsWith('/dev/')) await this.aside(['stty', '-F', dev, 'rows', String(rows), 'cols', String(cols)]);
            },
          },
          { stream: 'stdout', holdInput: true },
        );
      } else {
        let pid: string | undefined;
        const command = commandLineWith(['/bin/sh', '-c', PID_PRELUDE, 'remote-hpc', ...argv], opts);
        const child = this.execClient(command);
        channel = new ProcessChannel(
          child,
          {
            signal: (name) => {
              if (pid && /^[A-Z0-9]+$/.test(name)) void this.aside(['kill', `-${name}`, pid]);
              channel.close();
            },
          },
          { stream: 'stderr', onLine: (line) => (pid = /^\d+$/.test(line) ? line : undefined) },
        );
      }
      channel.once('error', reject);
      // A mux client is usable at once: its failures arrive as exit 255 with ssh's message.
      queueMicrotask(() => resolve(channel));
    });
  }

  /** A mux client running `command`: the spare when there is a live one, else a new client. */
  private execClient(command: string): ChildProcessWithoutNullStreams {
    const spare = this.spare;
    this.spare = undefined;
    if (!this.closed) setImmediate(() => this.refill());
    if (spare && spare.child.exitCode === null && spare.child.signalCode === null && spare.child.stdin.writable) {
      spare.child.stdin.write(`${command}\n${spare.nonce}\n`);
      return spare.child;
    }
    return this.client(['-T', 'remote-hpc', '--', command]);
  }

  private refill(): void {
    if (this.spare || this.closed || !this.o.isAlive()) return;
    const nonce = randomBytes(16).toString('hex');
    const child = this.client(['-T', 'remote-hpc', '--', commandLineWith(['/bin/sh', '-c', SPARE, 'remote-hpc', nonce])]);
    child.on('error', () => undefined);
    child.stdin.on('error', () => undefined);
    const spare = { child, nonce };
    // A spare that dies unused (the master went away) is not replaced until the next exec.
    child.once('exit', () => {
      if (this.spare === spare) this.spare = undefined;
    });
    this.spare = spare;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return collect(await this.spawn(argv, opts), argv, opts);
  }

  readonly sftp = sharedSftp(() => this.openSftp());

  openSftp(): Promise<SFTPWrapper> {
    return sftpOverProcess(this.client(['-T', '-s', 'remote-hpc', 'sftp']));
  }

  /** Ends every channel still open (the session is being closed). */
  closeChannels(): void {
    this.closed = true;
    this.spare = undefined;
    for (const c of this.children) c.kill('SIGTERM');
  }

  shell(pty: PtyOptions): Promise<RemoteChannel> {
    return this.spawn(['/bin/sh', '-c', 'exec "${SHELL:-/bin/sh}" -l'], { pty });
  }

  /**
   * `ssh -W` over the master. With `-v` the mux client says `master session id` once the master's
   * channel to host:port is confirmed and `Stdio forwarding request failed: …` when it is refused,
   * so this resolves and rejects when ssh2's forwardOut would (a port nobody listens on rejects).
   */
  forward(host: string, port: number): Promise<Duplex> {
    const child = this.client(['-v', '-W', hostPort(host, port), 'remote-hpc']);
    const channel = new ProcessChannel(child);
    return new Promise((resolve, reject) => {
      let said = '';
      const heard = (d: Buffer) => {
        said += d.toString('utf8');
        if (/master session id/.test(said)) {
          child.stderr.off('data', heard);
          resolve(channel);
        }
      };
      child.stderr.on('data', heard);
      channel.once('error', reject);
      channel.once('close', () => {
        const why = said.split('\n').filter((l) => l.trim() && !/^(OpenSSH_|debug)/.test(l)).pop();
        reject(new Error(`Channel open failure: ${why?.trim() ?? `cannot reach ${hostPort(host, port)}`}`));
      });
    });
  }
}
