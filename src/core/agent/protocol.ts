/**
 * Wire format between the client and the remote agent (src/core/agent/agent.py is the other side).
 *
 * After the handshake line (`\n@@REMOTE-HPC-AGENT <protocol> <sha256>@@\n`, anything a login
 * script printed before it is skipped) both directions carry frames:
 *
 *   header, 16 bytes big endian: magic "RH", type u8, flags u8, id u32, jsonLength u32, binLength u32
 *   jsonLength bytes of UTF-8 JSON (zlib when flags & JSON_ZLIB)
 *   binLength raw bytes (zlib when flags & BIN_ZLIB) — never base64.
 */
import { deflateSync, inflateSync } from 'node:zlib';

export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 16;
const MAGIC0 = 0x52; // 'R'
const MAGIC1 = 0x48; // 'H'
const MAX_SECTION = 2 ** 31;

export enum FrameType {
  Request = 1,
  Response = 2,
  Error = 3,
  Event = 4,
  Cancel = 5,
}

export const FLAG_JSON_ZLIB = 1;
export const FLAG_BIN_ZLIB = 2;

export interface Frame {
  type: FrameType;
  id: number;
  json: unknown;
  payload: Buffer;
}

export interface EncodeOptions {
  /** Compress the JSON part from this many bytes on, when that saves at least 10% (default 16 KiB). */
  compressJsonFrom?: number;
  /** Also try compressing the binary payload from this size on (default: never). */
  compressPayloadFrom?: number;
}

const EMPTY: Buffer = Buffer.alloc(0);

function maybeDeflate(data: Buffer, from: number | undefined): Buffer | undefined {
  if (from === undefined || data.length < from) return undefined;
  const z = deflateSync(data, { level: 1 });
  return z.length < data.length * 0.9 ? z : undefined;
}

/** Encodes one frame as a list of buffers (header+JSON, then the payload uncopied). */
export function encodeFrame(frame: { type: FrameType; id: number; json?: unknown; payload?: Buffer }, opts: EncodeOptions = {}): Buffer[] {
  let json: Buffer = frame.json === undefined ? EMPTY : Buffer.from(JSON.stringify(frame.json), 'utf8');
  let payload: Buffer = frame.payload ?? EMPTY;
  let flags = 0;
  const zj = maybeDeflate(json, opts.compressJsonFrom ?? 16 * 1024);
  if (zj) {
    json = zj;
    flags |= FLAG_JSON_ZLIB;
  }
  const zp = maybeDeflate(payload, opts.compressPayloadFrom);
  if (zp) {
    payload = zp;
    flags |= FLAG_BIN_ZLIB;
  }
  if (json.length >= MAX_SECTION || payload.length >= MAX_SECTION) throw new Error('Frame too large');
  const head = Buffer.allocUnsafe(HEADER_SIZE + json.length);
  head[0] = MAGIC0;
  head[1] = MAGIC1;
  head[2] = frame.type;
  head[3] = flags;
  head.writeUInt32BE(frame.id >>> 0, 4);
  head.writeUInt32BE(json.length, 8);
  head.writeUInt32BE(payload.length, 12);
  json.copy(head, HEADER_SIZE);
  return payload.length > 0 ? [head, payload] : [head];
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Streaming frame parser: feed it chunks split anywhere, get whole frames back in order.
 * Chunks are kept as a list and each frame is copied out once, so big payloads cost O(n).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header: { type: FrameType; flags: number; id: number; jsonLength: number; binLength: number } | undefined;

  /** Bytes received but not yet part of a returned frame. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER_SIZE) break;
        const h = this.take(HEADER_SIZE);
        if (h[0] !== MAGIC0 || h[1] !== MAGIC1) throw new ProtocolError(`Bad frame magic 0x${h.subarray(0, 2).toString('hex')}`);
        this.header = { type: h[2] as FrameType, flags: h[3], id: h.readUInt32BE(4), jsonLength: h.readUInt32BE(8), binLength: h.readUInt32BE(12) };
      }
      const { type, flags, id, jsonLength, binLength } = this.header;
      if (this.buffered < jsonLength + binLength) break;
      this.header = undefined;
      let json: Buffer = jsonLength > 0 ? this.take(jsonLength) : EMPTY;
      let payload: Buffer = binLength > 0 ? this.take(binLength) : EMPTY;
      if (flags & FLAG_JSON_ZLIB) json = inflateSync(json);
      if (flags & FLAG_BIN_ZLIB) payload = inflateSync(payload);
      let parsed: unknown;
      try {
        parsed = json.length > 0 ? JSON.parse(json.toString('utf8')) : undefined;
      } catch (e) {
        throw new ProtocolError(`Bad frame JSON: ${(e as Error).message}`);
      }
      frames.push({ type, id, json: parsed, payload });
    }
    return frames;
  }

  /** Removes exactly n bytes (n <= buffered) from the front. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    // Copy across chunks, then drop the consumed ones in one splice (shift() per chunk is
    // quadratic when a large frame arrives in many tiny chunks).
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let used = 0;
    while (filled < n) {
      const c = this.chunks[used];
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) used++;
      else this.chunks[used] = c.subarray(k);
    }
    this.chunks.splice(0, used);
    this.buffered -= n;
    return out;
  }
}

export interface Handshake {
  protocol: number;
  hash: string;
  /** Whatever was printed before the marker (login banners), for the log. */
  preamble: string;
  /** Bytes after the marker: the start of the frame stream. */
  rest: Buffer;
}

const MARKER_RE = /\n@@REMOTE-HPC-AGENT (\d+) ([0-9a-f]+|unknown)@@\n/;
const MAX_PREAMBLE = 1 << 20;

/** Finds the handshake marker in the agent's first output, whatever login scripts printed first. */
export class HandshakeScanner {
  private seen: Buffer = Buffer.alloc(0);

  /** Returns the handshake once the marker is complete, undefined while more bytes are needed. */
  push(chunk: Buffer): Handshake | undefined {
    this.seen = this.seen.length ? Buffer.concat([this.seen, chunk]) : chunk;
    // latin1 keeps byte offsets equal to string offsets.
    const text = this.seen.toString('latin1');
    const m = MARKER_RE.exec(text);
    if (!m) {
      if (this.seen.length > MAX_PREAMBLE) throw new ProtocolError('No agent handshake in the first MiB of output');
      return undefined;
    }
    const end = m.index + m[0].length;
    return {
      protocol: Number(m[1]),
      hash: m[2],
      preamble: this.seen.subarray(0, m.index).toString('utf8'),
      rest: this.seen.subarray(end),
    };
  }

  get preamble(): string {
    return this.seen.toString('utf8');
  }
}
