/**
 * ssh2's SFTP client over the stdio of `ssh -s … sftp` (a multiplexed subsystem channel).
 *
 * ssh2's SFTP class is written against its own channel bookkeeping: it sends through
 * `client._protocol.channelData(id, data)`, reads what is `push()`ed into it and keeps an
 * SSH-level window. Here the window is the pipe's (infinite at this layer; the pipe applies
 * backpressure), data goes to the child's stdin and the child's stdout is pushed in. Both
 * transports thereby share one SFTP implementation, with its pipelining and limits.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { SFTPWrapper } from 'ssh2';
// Not part of ssh2's typed surface; the constructor is (client, chanInfo, cfg).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sftpClass = () => (require('ssh2/lib/protocol/SFTP.js') as { SFTP: new (client: unknown, chanInfo: unknown, cfg: unknown) => SFTPWrapper }).SFTP;

interface ChannelState {
  id: number;
  window: number;
  packetSize: number;
  state: string;
}

interface SftpInternals {
  incoming: ChannelState;
  outgoing: ChannelState;
  readable: boolean;
  push(data: Buffer | null): void;
  _init(): void;
}

/** Starts the SFTP conversation on a started `ssh -s … sftp` child; resolves when the server answered. */
export function sftpOverProcess(child: ChildProcessWithoutNullStreams, timeoutMs = 20_000): Promise<SFTPWrapper> {
  const protocol = {
    // The remote is OpenSSH's sftp-server almost everywhere: its 256 KiB read/write limit applies.
    _remoteIdentRaw: 'SSH-2.0-OpenSSH_via_ssh',
    channelData: (_id: number, data: Buffer) => child.stdin.write(data),
    channelClose: () => child.stdin.end(),
  };
  const open = (): ChannelState => ({ id: 0, window: Number.POSITIVE_INFINITY, packetSize: 256 * 1024, state: 'open' });
  const sftp = new (sftpClass())({ _protocol: protocol }, { type: 'session', incoming: open(), outgoing: open() }, {});
  const s = sftp as unknown as SftpInternals;
  child.stdin.on('error', () => undefined);
  child.stdout.on('data', (d: Buffer) => s.push(d));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
  child.on('close', () => {
    s.incoming.state = 'closed';
    s.outgoing.state = 'closed';
    if (s.readable) s.push(null);
    sftp.emit('close');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`No SFTP answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(e);
    };
    sftp.once('ready', () => {
      clearTimeout(timer);
      resolve(sftp);
    });
    sftp.once('error', (e: Error) => fail(e));
    child.once('close', (code) => fail(new Error(`The SFTP subsystem ended (exit ${code})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`)));
    s._init();
  });
}
