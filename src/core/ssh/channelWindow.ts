/**
 * A wider receive window for one ssh2 channel. ssh2 offers every channel 2 MiB and tops it up
 * only once half of it is used, so one stream carries at most about 1–2 MiB per round trip (a
 * port forward at 30 ms RTT: ~25 MB/s, where OpenSSH, which tops its window up after every few
 * packets, gets twice that). Here the window is topped up to `bytes` each time ssh2 hands a chunk
 * on (its own test for "consumed": the stream's buffer took it), in steps of at least 128 KiB.
 * When the reader stops, ssh2 stops handing chunks on and the window runs down as before, so
 * what is buffered stays bounded (the window plus the stream's high-water mark). ssh2 has no
 * option for this: it reaches into the channel's `incoming`/`outgoing` state, and leaves a
 * channel that does not look like ssh2's alone. No `vscode`.
 */

/** The parts of an ssh2 Channel (lib/Channel.js) this uses. */
interface Ssh2ChannelState {
  incoming: { window: number };
  outgoing: { id: number; state: string };
  _client: { _protocol: { channelWindowAdjust(id: number, amount: number): void } };
  push(chunk: unknown, encoding?: BufferEncoding): boolean;
}

function looksLikeSsh2(ch: unknown): ch is Ssh2ChannelState {
  const c = ch as Partial<Ssh2ChannelState> | null;
  return (
    typeof c?.incoming?.window === 'number' &&
    typeof c.outgoing?.id === 'number' &&
    typeof c._client?._protocol?.channelWindowAdjust === 'function' &&
    typeof c.push === 'function'
  );
}

const STEP = 128 * 1024;

/** Keeps `channel`'s receive window near `bytes` while its reader keeps up; true when applied. */
export function widenReceiveWindow(channel: unknown, bytes: number): boolean {
  if (!looksLikeSsh2(channel)) return false;
  const c = channel;
  const top = () => {
    const amount = bytes - c.incoming.window;
    if (amount < STEP || c.outgoing.state !== 'open') return;
    c.incoming.window += amount;
    c._client._protocol.channelWindowAdjust(c.outgoing.id, amount);
  };
  const push = c.push.bind(c);
  c.push = (chunk: unknown, encoding?: BufferEncoding) => {
    const ok = push(chunk, encoding);
    if (ok && chunk !== null) top();
    return ok;
  };
  top();
  return true;
}
