import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeFrame, FrameDecoder, FrameType, HandshakeScanner, HEADER_SIZE, FLAG_JSON_ZLIB, type Frame } from '../../src/core/agent/protocol';

let seed = 42;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}

/** Splits a buffer at random points, sometimes into single bytes, sometimes hardly at all. */
function randomSplit(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const mode = rnd(4);
    const n = mode === 0 ? 1 : mode === 1 ? 1 + rnd(20) : mode === 2 ? 1 + rnd(4096) : 1 + rnd(200_000);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

function sampleFrames(): { type: FrameType; id: number; json?: unknown; payload?: Buffer }[] {
  const big = { names: Array.from({ length: 5000 }, (_, i) => `file-${i}.dat`), note: 'é🚀\n"q"' };
  return [
    { type: FrameType.Request, id: 1, json: { op: 'list', path: '/home/u' } },
    { type: FrameType.Response, id: 1, json: big },
    { type: FrameType.Response, id: 2, json: { length: 3 }, payload: Buffer.from([0, 1, 2]) },
    { type: FrameType.Event, id: 0xfffffff0, json: { kind: 'data', offset: 7 }, payload: randomBytes(300_000) },
    { type: FrameType.Error, id: 4, json: { message: 'nope', code: 'ENOENT' } },
    { type: FrameType.Cancel, id: 5 },
    { type: FrameType.Response, id: 6, json: {}, payload: Buffer.alloc(0) },
  ];
}

function normalise(f: Frame | { type: FrameType; id: number; json?: unknown; payload?: Buffer }) {
  return { type: f.type, id: f.id, json: f.json, payload: (f.payload ?? Buffer.alloc(0)).toString('hex') };
}

test('frames survive arbitrary chunk splits, in order', () => {
  const frames = sampleFrames();
  const wire = Buffer.concat(frames.flatMap((f) => encodeFrame(f)));
  for (let round = 0; round < 30; round++) {
    const dec = new FrameDecoder();
    const got: Frame[] = [];
    for (const c of randomSplit(wire)) got.push(...dec.push(c));
    assert.equal(dec.pending, 0);
    assert.deepEqual(got.map(normalise), frames.map(normalise));
  }
});

test('byte-at-a-time decoding', () => {
  const frames = sampleFrames().slice(0, 3);
  const wire = Buffer.concat(frames.flatMap((f) => encodeFrame(f)));
  const dec = new FrameDecoder();
  const got: Frame[] = [];
  for (let i = 0; i < wire.length; i++) got.push(...dec.push(wire.subarray(i, i + 1)));
  assert.deepEqual(got.map(normalise), frames.map(normalise));
});

test('large JSON is zlib-compressed and decoded back, small JSON is sent as is', () => {
  const [head] = encodeFrame({ type: FrameType.Response, id: 1, json: { names: Array.from({ length: 3000 }, (_, i) => `n${i}`) } });
  assert.equal(head[3] & FLAG_JSON_ZLIB, FLAG_JSON_ZLIB);
  assert.ok(head.readUInt32BE(8) < 10_000);
  const [small] = encodeFrame({ type: FrameType.Response, id: 1, json: { a: 1 } });
  assert.equal(small[3], 0);
  const [rt] = encodeFrame({ type: FrameType.Response, id: 1, json: { names: Array.from({ length: 3000 }, (_, i) => `n${i}`) } });
  const [f] = new FrameDecoder().push(Buffer.concat([rt]));
  assert.equal((f.json as { names: string[] }).names[2999], 'n2999');
});

test('binary payloads are sent raw (no base64) and can be compressed on request', () => {
  const payload = Buffer.alloc(100_000, 7);
  const plain = encodeFrame({ type: FrameType.Response, id: 9, json: {}, payload });
  assert.equal(plain[1], payload);
  assert.equal(plain[0].readUInt32BE(12), 100_000);
  const z = encodeFrame({ type: FrameType.Response, id: 9, json: {}, payload }, { compressPayloadFrom: 1024 });
  assert.ok(z[0].readUInt32BE(12) < 1000);
  const [f] = new FrameDecoder().push(Buffer.concat(z));
  assert.deepEqual(f.payload, payload);
});

test('a corrupted stream is reported, not silently resynchronised', () => {
  const dec = new FrameDecoder();
  const bad = Buffer.alloc(HEADER_SIZE);
  bad.write('XX');
  assert.throws(() => dec.push(bad), /Bad frame magic/);
});

test('handshake: login banners before the marker are skipped, bytes after it kept', () => {
  const junk = 'Welcome to the cluster!\n@@REMOTE-HPC fake\nquota: 93%\n';
  const frame = Buffer.concat(encodeFrame({ type: FrameType.Response, id: 1, json: { ok: true } }));
  const all = Buffer.concat([Buffer.from(junk), Buffer.from('\n@@REMOTE-HPC-AGENT 1 abcdef0123@@\n'), frame]);
  for (let round = 0; round < 20; round++) {
    const sc = new HandshakeScanner();
    let hs;
    const parts = randomSplit(all);
    let k = 0;
    for (; k < parts.length && !hs; k++) hs = sc.push(parts[k]);
    assert.ok(hs);
    assert.equal(hs.protocol, 1);
    assert.equal(hs.hash, 'abcdef0123');
    assert.equal(hs.preamble, junk);
    const restAll = Buffer.concat([hs.rest, ...parts.slice(k)]);
    const [f] = new FrameDecoder().push(restAll);
    assert.deepEqual(f.json, { ok: true });
  }
});
