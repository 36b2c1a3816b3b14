/**
 * widenReceiveWindow on ssh2's own Channel class (a fake client records the window adjusts it
 * sends): the window is topped up to the target while the reader keeps up, not while it stalls,
 * and anything that is not an ssh2 channel is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { widenReceiveWindow } from '../../src/core/ssh/channelWindow';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- ssh2's Channel is not exported by its index
const { Channel } = require('ssh2/lib/Channel.js') as { Channel: new (client: unknown, info: unknown) => NodeJS.ReadableStream & { push(b: Buffer): boolean; incoming: { window: number } } };

const MiB = 1 << 20;

function channel() {
  const adjusts: number[] = [];
  const client = { _protocol: { channelWindowAdjust: (_id: number, n: number) => adjusts.push(n) } };
  const ch = new Channel(client, { type: 'direct-tcpip', incoming: { id: 0, window: 2 * MiB, packetSize: 32768, state: 'open' }, outgoing: { id: 7, window: 2 * MiB, packetSize: 32768, state: 'open' } });
  /** What ssh2's CHANNEL_DATA handler does with a packet (lib/client.js). */
  const receive = (n: number) => {
    ch.incoming.window -= n;
    return ch.push(Buffer.alloc(n));
  };
  return { ch, adjusts, receive };
}

test('the window is widened at once and topped up as chunks are taken', () => {
  const { ch, adjusts, receive } = channel();
  assert.equal(widenReceiveWindow(ch, 16 * MiB), true);
  assert.deepEqual(adjusts, [14 * MiB]);
  assert.equal(ch.incoming.window, 16 * MiB);
  ch.resume(); // a reader that keeps up
  for (let i = 0; i < 3; i++) receive(32768);
  assert.deepEqual(adjusts, [14 * MiB], 'below one step (128 KiB): no adjust yet');
  receive(32768);
  assert.deepEqual(adjusts, [14 * MiB, 128 * 1024]);
  assert.equal(ch.incoming.window, 16 * MiB, 'the sender may always have the whole window in flight');
});

test('a reader that stops: the window runs down, nothing more is granted', () => {
  const { ch, adjusts, receive } = channel();
  widenReceiveWindow(ch, 8 * MiB);
  adjusts.length = 0;
  // paused (no reader): the readable buffer fills to its 2 MiB high-water mark
  let ok = true;
  let got = 0;
  while (ok) {
    ok = receive(32768);
    got += 32768;
  }
  const granted = adjusts.reduce((a, b) => a + b, 0);
  assert.ok(got <= 2 * MiB + 32768, `buffered ${got}`);
  assert.equal(ch.incoming.window + got - granted, 8 * MiB, 'grants only for what the buffer took');
  const before = adjusts.length;
  for (let i = 0; i < 10; i++) receive(32768);
  assert.equal(adjusts.length, before, 'no grant while the buffer is full');
});

test('not an ssh2 channel (the OpenSSH transport\'s process stream): left alone', () => {
  const s = new PassThrough();
  assert.equal(widenReceiveWindow(s, 16 * MiB), false);
  assert.equal(widenReceiveWindow(undefined, 16 * MiB), false);
});
