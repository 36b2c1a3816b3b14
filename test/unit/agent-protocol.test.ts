import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  HandshakeScanner,
  HEADER_SIZE,
  FLAG_BIN_ZLIB,
  FLAG_JSON_ZLIB,
  MAX_JSON,
  MAX_PAYLOAD,
  MAX_PREAMBLE,
  ProtocolError,
  type Frame,
} from '../../src/core/agent/protocol';
import { AgentClient, AgentTimeoutError, type AgentTransport } from '../../src/core/agent/client';
import { silentLogger } from '../../src/core/log';

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

// --- a hostile agent: sizes, compression bombs, noise, silence ---

function header(type: FrameType, id: number, jsonLength: number, binLength: number, flags = 0): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  h.write('RH', 0, 'latin1');
  h[2] = type;
  h[3] = flags;
  h.writeUInt32BE(id, 4);
  h.writeUInt32BE(jsonLength, 8);
  h.writeUInt32BE(binLength, 12);
  return h;
}

test('a header announcing a 4 GiB payload or a 1 GiB JSON section is refused at once', () => {
  assert.throws(() => new FrameDecoder().push(header(FrameType.Response, 1, 2, 0xffffffff)), (e: Error) => e instanceof ProtocolError && /over the \d+-byte limit/.test(e.message));
  assert.throws(() => new FrameDecoder().push(header(FrameType.Response, 1, MAX_JSON + 1, 0)), ProtocolError);
  // Per-frame limits (the client passes each request's own).
  const dec = new FrameDecoder({ maxPayload: (_t, id) => (id === 7 ? 10 : MAX_PAYLOAD) });
  assert.equal(dec.push(header(FrameType.Response, 8, 0, 11)).length, 0);
  assert.throws(() => new FrameDecoder({ maxPayload: (_t, id) => (id === 7 ? 10 : MAX_PAYLOAD) }).push(header(FrameType.Response, 7, 0, 11)), ProtocolError);
});

test('zlib bombs are stopped at the inflate limit, quickly', () => {
  const bomb = deflateSync(Buffer.alloc(64 << 20), { level: 9 }); // 64 MiB of zeros in ~64 KiB
  const wire = Buffer.concat([header(FrameType.Response, 1, 0, bomb.length, FLAG_BIN_ZLIB), bomb]);
  const t0 = performance.now();
  assert.throws(() => new FrameDecoder({ maxPayload: 1 << 20 }).push(wire), (e: Error) => e instanceof ProtocolError && /inflates beyond/.test(e.message));
  assert.ok(performance.now() - t0 < 1000);
  const jsonBomb = deflateSync(Buffer.alloc(MAX_JSON + 1, 0x20), { level: 9 });
  assert.throws(() => new FrameDecoder().push(Buffer.concat([header(FrameType.Response, 1, jsonBomb.length, 0, FLAG_JSON_ZLIB), jsonBomb])), ProtocolError);
});

test('handshake scanning is linear: 200 KiB of noise a byte at a time, then the marker', () => {
  const noise = Buffer.alloc(200 * 1024, 'x\n@@REMOTE-HPC-AGENT 1 zz\n');
  const all = Buffer.concat([noise, Buffer.from('\n@@REMOTE-HPC-AGENT 1 abc@@')]);
  const sc = new HandshakeScanner();
  const t0 = performance.now();
  for (let i = 0; i < all.length; i++) assert.equal(sc.push(all.subarray(i, i + 1)), undefined);
  const hs = sc.push(Buffer.from('\nREST'));
  assert.ok(performance.now() - t0 < 3000, `took ${performance.now() - t0} ms`);
  assert.equal(hs?.hash, 'abc');
  assert.equal(hs?.rest.toString(), 'REST');
  assert.equal(hs?.preamble.length, noise.length);
});

test('handshake: more noise than MAX_PREAMBLE is refused', () => {
  const sc = new HandshakeScanner();
  assert.throws(() => {
    for (let i = 0; i < 10; i++) sc.push(Buffer.alloc(MAX_PREAMBLE / 4, 'n'));
  }, ProtocolError);
});

/** An agent on the other end of fake pipes: says hello, then answers as `answer` decides. */
async function fakeAgent(answer: (req: Frame, send: (b: Buffer[]) => void) => void) {
  let onData: (b: Buffer) => void = () => undefined;
  const written: Frame[] = [];
  const dec = new FrameDecoder();
  const send = (b: Buffer[]) => setImmediate(() => onData(Buffer.concat(b)));
  const transport: AgentTransport = {
    write: (chunks) => {
      for (const f of dec.push(Buffer.concat(chunks))) {
        written.push(f);
        answer(f, send);
      }
    },
    end: () => undefined,
    onData: (l) => (onData = l),
    onStderr: () => undefined,
    onClose: () => undefined,
  };
  setImmediate(() => onData(Buffer.from('\n@@REMOTE-HPC-AGENT 1 unknown@@\n')));
  const client = await AgentClient.connect(transport, silentLogger);
  return { client, written };
}

test('an unanswered request fails with AgentTimeoutError and is cancelled on the agent', async () => {
  const { client, written } = await fakeAgent(() => undefined);
  await assert.rejects(client.request('stat', { paths: ['/x'] }, undefined, { timeoutMs: 50 }), AgentTimeoutError);
  assert.deepEqual(
    written.map((f) => f.type),
    [FrameType.Request, FrameType.Cancel],
  );
  assert.ok(!client.isClosed, 'one slow request does not end the session');
});

test('an answer bigger than the request allows closes the stream with a clear error', async () => {
  const { client } = await fakeAgent((req, send) => {
    if (req.type === FrameType.Request) send(encodeFrame({ type: FrameType.Response, id: req.id, json: {}, payload: Buffer.alloc(100) }));
  });
  await assert.rejects(client.request('read', { path: '/x', offset: 0, length: 10 }, undefined, { maxPayload: 10 }), /100-byte payload, over the 10-byte limit/);
  assert.ok(client.isClosed);
});
