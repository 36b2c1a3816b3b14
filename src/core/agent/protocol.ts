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
/** Largest JSON section a peer may send (after inflating). */
export const MAX_JSON = 64 * 1024 * 1024;
/** Largest binary payload a peer may send unless the request allows more (after inflating). */
export const MAX_PAYLOAD = 1024 * 1024 * 1024;

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

export interface DecoderLimits {
  /** Largest JSON section, compressed or inflated (default MAX_JSON). */
  maxJson?: number;
  /** Largest payload of a frame, compressed or inflated (default MAX_PAYLOAD); per frame when a function. */
  maxPayload?: number | ((type: FrameType, id: number) => number);
}

function inflateCapped(data: Buffer, max: number, what: string): Buffer {
  try {
    return inflateSync(data, { maxOutputLength: Math.max(1, max) });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw new ProtocolError(`Frame ${what} inflates beyond the ${max}-byte limit`);
    throw new ProtocolError(`Bad compressed frame ${what}: ${(e as Error).message}`);
  }
}

/**
 * Streaming frame parser: feed it chunks split anywhere, get whole frames back in order.
 * Chunks are kept as a list and each frame is copied out once, so big payloads cost O(n).
 * Section sizes are checked against the limits as soon as the header arrives (the peer is not
 * trusted): a violation throws ProtocolError before anything is buffered for it.
 */
export class FrameDecoder {
  constructor(private readonly limits: DecoderLimits = {}) {}

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
        this.checkSizes(this.header.type, this.header.id, this.header.jsonLength, this.header.binLength);
      }
      const { type, flags, id, jsonLength, binLength } = this.header;
      if (this.buffered < jsonLength + binLength) break;
      this.header = undefined;
      let json: Buffer = jsonLength > 0 ? this.take(jsonLength) : EMPTY;
      let payload: Buffer = binLength > 0 ? this.take(binLength) : EMPTY;
      if (flags & FLAG_JSON_ZLIB) json = inflateCapped(json, this.maxJson, 'JSON');
      if (flags & FLAG_BIN_ZLIB) payload = inflateCapped(payload, this.maxPayload(type, id), 'payload');
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

  private get maxJson(): number {
    return this.limits.maxJson ?? MAX_JSON;
  }

  private maxPayload(type: FrameType, id: number): number {
    const m = this.limits.maxPayload;
    return typeof m === 'function' ? m(type, id) : (m ?? MAX_PAYLOAD);
  }

  private checkSizes(type: FrameType, id: number, jsonLength: number, binLength: number): void {
    if (jsonLength > this.maxJson) throw new ProtocolError(`Frame ${id} announces ${jsonLength} bytes of JSON, over the ${this.maxJson}-byte limit`);
    const maxPayload = this.maxPayload(type, id);
    if (binLength > maxPayload) throw new ProtocolError(`Frame ${id} announces a ${binLength}-byte payload, over the ${maxPayload}-byte limit`);
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

const MARKER_PREFIX = Buffer.from('\n@@REMOTE-HPC-AGENT ', 'latin1');
/** The rest of the marker line: protocol, hash, `@@\n` (the hash is a sha256). */
const MARKER_TAIL_RE = /^(\d{1,9}) ([0-9a-f]{1,128}|unknown)@@\n/;
const MAX_MARKER_TAIL = 160;
/** Login-script output accepted before the marker. */
export const MAX_PREAMBLE = 256 * 1024;

/**
 * Finds the handshake marker in the agent's first output, whatever login scripts printed first.
 * Linear in the bytes received: the buffer grows by doubling and each push searches only the new
 * bytes (plus the few a marker could straddle).
 */
export class HandshakeScanner {
  private buf: Buffer = Buffer.alloc(0);
  private length = 0;
  /** Bytes before this offset hold no marker start. */
  private searched = 0;

  /** Returns the handshake once the marker is complete, undefined while more bytes are needed. */
  push(chunk: Buffer): Handshake | undefined {
    this.append(chunk);
    const seen = this.buf.subarray(0, this.length);
    for (;;) {
      const at = seen.indexOf(MARKER_PREFIX, this.searched);
      if (at < 0) {
        this.searched = Math.max(this.searched, this.length - MARKER_PREFIX.length + 1);
        break;
      }
      const tailStart = at + MARKER_PREFIX.length;
      const tail = seen.subarray(tailStart, tailStart + MAX_MARKER_TAIL).toString('latin1');
      const m = MARKER_TAIL_RE.exec(tail);
      if (m) {
        return {
          protocol: Number(m[1]),
          hash: m[2],
          preamble: seen.subarray(0, at).toString('utf8'),
          rest: Buffer.from(seen.subarray(tailStart + m[0].length)),
        };
      }
      // Wait for more only while the line could still become a marker.
      if (tail.length < MAX_MARKER_TAIL && /^(\d{0,9}|\d{1,9} ([0-9a-f]{0,128}|u|un|unk|unkn|unkno|unknow|unknown)@{0,2})$/.test(tail)) break;
      this.searched = at + 1;
    }
    if (this.length > MAX_PREAMBLE) throw new ProtocolError(`No agent handshake in the first ${MAX_PREAMBLE / 1024} KiB of output`);
    return undefined;
  }

  get preamble(): string {
    return this.buf.subarray(0, this.length).toString('utf8');
  }

  private append(chunk: Buffer): void {
    if (this.length + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(4096, 2 * (this.length + chunk.length)));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.length);
    this.length += chunk.length;
  }
}
