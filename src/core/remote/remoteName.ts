/**
 * Remote names are bytes, features use strings. The one lossless mapping both RemoteOps use:
 * valid UTF-8 decodes as usual, and every byte that is not part of valid UTF-8 becomes the lone
 * surrogate U+DC80..U+DCFF (Python's "surrogateescape", which agent.py applies on its side, so
 * the agent's JSON already carries names this way). Valid UTF-8 never yields a lone surrogate, so
 * `dup\xff.txt` is "dup\uDCFF.txt" and never the different file "dup\uFFFD.txt".
 *
 * Never pass such a string to Buffer.from(s, 'utf8') (that turns the escape into U+FFFD, the
 * twin's bytes): use nameToBytes, or refuse where bytes cannot be passed (isEscaped).
 */

const ESCAPED_RE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** True when the name (or path) holds bytes that are not valid UTF-8. */
export function isEscaped(name: string): boolean {
  return ESCAPED_RE.test(name);
}

/** For messages and labels: each escaped byte shown as U+FFFD. */
export function displayName(name: string): string {
  return isEscaped(name) ? name.replace(new RegExp(ESCAPED_RE.source, 'g'), '\uFFFD') : name;
}

/** Length of the valid UTF-8 sequence at b[i], 0 when the byte there is not its start. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0; // overlong
    if (c === 0xed) hi = 0x9f; // UTF-16 surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90; // overlong
    if (c === 0xf4) hi = 0x8f; // above U+10FFFF
  } else return 0;
  if (i + n > b.length || b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return n;
}

/** The name of raw bytes: exact inverse of nameToBytes. */
export function bytesToName(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let out = '';
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const n = sequenceLength(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', start, i) + String.fromCharCode(0xdc00 + buf[i]);
    i++;
    start = i;
  }
  return out + buf.toString('utf8', start);
}

/** The exact bytes of a name; throws on a lone surrogate that is no escaped byte. */
export function nameToBytes(name: string): Buffer {
  if (!/[\uD800-\uDFFF]/.test(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = name.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++; // a surrogate pair: an ordinary astral character
      continue;
    }
    if (c < 0xdc80 || c > 0xdcff) throw new Error(`Name holds an unpaired UTF-16 surrogate: ${JSON.stringify(name)}`);
    parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
    start = i + 1;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}
