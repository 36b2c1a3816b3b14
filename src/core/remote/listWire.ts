/**
 * A list answer of the agent, read into entries. The JSON holds the page's small columns (types,
 * symlink targets, counts); the payload the rest, as agent.py's list_payload writes it:
 *
 *   count × float64 sizes | count × float64 mtimes (ms) | count × uint16 modes   (little-endian)
 *   then each name's bytes, ended by a NUL (no name holds one)
 *
 * Binary, because for a 100,000-entry folder the JSON of these columns was the biggest cost after
 * the stats at both ends (encode ~30 ms in the agent, parse and its garbage here). Everything is
 * checked against the announced count before use: the remote may send anything.
 */
import type { WireList } from '../agent/operations';
import { ProtocolError } from '../agent/protocol';
import { TYPE_FROM_CHAR } from './common';
import { bytesToName } from './remoteName';
import type { EntryType, RemoteEntry } from './types';

const NUMBER_BYTES = 8 + 8 + 2;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(why: string): never {
  throw new ProtocolError(`Malformed folder listing from the agent: ${why}`);
}

/**
 * count little-endian float64s at `at`, copied into an aligned array (the payload may not be).
 * Typed arrays use the machine's byte order: VS Code runs only on little-endian machines.
 */
function float64s(payload: Buffer, at: number, count: number): Float64Array {
  const out = new Float64Array(count);
  new Uint8Array(out.buffer).set(payload.subarray(at, at + count * 8));
  return out;
}

/** The names of the payload's name section: one decode for the common all-UTF-8 case. */
function readNames(section: Buffer, count: number): string[] {
  if (count === 0) {
    if (section.length) malformed('names without entries');
    return [];
  }
  if (section[section.length - 1] !== 0) malformed('the last name is not ended');
  let names: string[];
  try {
    names = UTF8.decode(section).split('\0');
    names.pop();
  } catch {
    // Some name is not UTF-8: each one through the byte-exact mapping (remoteName.ts).
    names = [];
    for (let start = 0; start < section.length; ) {
      const end = section.indexOf(0, start);
      names.push(bytesToName(section.subarray(start, end)));
      start = end + 1;
    }
  }
  if (names.length !== count) malformed(`${names.length} names for ${count} entries`);
  return names;
}

/** The page's entries, their paths under `dir`. */
export function entriesFromWire(dir: string, r: WireList, payload: Buffer): RemoteEntry[] {
  const count = r.count;
  if (!Number.isSafeInteger(count) || count < 0 || count * NUMBER_BYTES > payload.length) malformed(`${count} entries in ${payload.length} bytes`);
  if (typeof r.types !== 'string' || r.types.length !== count) malformed('one type per entry expected');
  const sizes = float64s(payload, 0, count);
  const mtimes = float64s(payload, count * 8, count);
  const modesAt = count * 16;
  const names = readNames(payload.subarray(count * NUMBER_BYTES), count);
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  const entries: RemoteEntry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const name = names[i];
    if (!name || name === '.' || name === '..' || name.includes('/')) malformed(`the name ${JSON.stringify(name)}`);
    entries[i] = {
      name,
      path: base + name,
      type: (TYPE_FROM_CHAR[r.types[i]] ?? 'other') as EntryType,
      size: sizes[i] as number,
      mtimeMs: mtimes[i] as number,
      mode: payload.readUInt16LE(modesAt + i * 2),
    };
  }
  for (const [i, t] of Object.entries(r.targets ?? {})) {
    const e = entries[Number(i)];
    if (!e) malformed(`a link target for entry ${i}`);
    e.targetType = TYPE_FROM_CHAR[t] ?? 'other';
  }
  return entries;
}
