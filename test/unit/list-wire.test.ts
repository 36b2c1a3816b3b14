/**
 * The agent's list answer as the client reads it (src/core/remote/listWire.ts). The answers here
 * are built by hand in agent.py's layout, as a compromised or broken remote could send them; the
 * real agent's answers are covered by agent-local and agent-hardening.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entriesFromWire } from '../../src/core/remote/listWire';
import { ProtocolError } from '../../src/core/agent/protocol';

/** A payload in list_payload's layout. */
function payload(entries: { size: number; mtime: number; mode: number }[], names: Buffer): Buffer {
  const n = entries.length;
  const b = Buffer.alloc(n * 18);
  entries.forEach((e, i) => {
    b.writeDoubleLE(e.size, i * 8);
    b.writeDoubleLE(e.mtime, n * 8 + i * 8);
    b.writeUInt16LE(e.mode, n * 16 + i * 2);
  });
  return Buffer.concat([b, names]);
}

const two = [
  { size: 5, mtime: 1_700_000_000_123, mode: 0o644 },
  { size: 2 ** 40, mtime: 1, mode: 0o755 },
];
const names = (...n: (string | Buffer)[]) => Buffer.concat(n.map((x) => Buffer.concat([Buffer.isBuffer(x) ? x : Buffer.from(x), Buffer.from([0])])));
const wire = (count: number, types = 'fl', targets: Record<string, string> = { 1: 'd' }) => ({ total: 10, count, types, targets, offset: 0 });

test('a well-formed answer: numbers, modes, names (one not UTF-8), types and link targets', () => {
  const entries = entriesFromWire('/data/', wire(2), payload(two, names('a.txt', Buffer.from([0x62, 0xff]))));
  assert.deepEqual(entries, [
    { name: 'a.txt', path: '/data/a.txt', type: 'file', size: 5, mtimeMs: 1_700_000_000_123, mode: 0o644 },
    { name: 'b\uDCFF', path: '/data/b\uDCFF', type: 'symlink', size: 2 ** 40, mtimeMs: 1, mode: 0o755, targetType: 'directory' },
  ]);
  assert.deepEqual(entriesFromWire('/data', { total: 0, count: 0, types: '', targets: {}, offset: 0 }, Buffer.alloc(0)), []);
});

test('malformed answers are refused with a ProtocolError, never half-read', () => {
  const bad: [string, () => unknown][] = [
    ['more entries than the payload holds', () => entriesFromWire('/d', wire(3, 'fff', {}), payload(two, names('a', 'b')))],
    ['a negative count', () => entriesFromWire('/d', wire(-1, '', {}), Buffer.alloc(0))],
    ['a fractional count', () => entriesFromWire('/d', wire(1.5, 'f', {}), payload(two, names('a', 'b')))],
    ['one name short', () => entriesFromWire('/d', wire(2), payload(two, names('a')))],
    ['a name too many', () => entriesFromWire('/d', wire(2), payload(two, names('a', 'b', 'c')))],
    ['the last name not ended', () => entriesFromWire('/d', wire(2), payload(two, Buffer.from('a\0b')))],
    ['types of another length', () => entriesFromWire('/d', wire(2, 'f'), payload(two, names('a', 'b')))],
    ['a name with a slash', () => entriesFromWire('/d', wire(2), payload(two, names('a', '../../etc/passwd')))],
    ['the name ..', () => entriesFromWire('/d', wire(2), payload(two, names('a', '..')))],
    ['an empty name', () => entriesFromWire('/d', wire(2), payload(two, names('a', '')))],
    ['a link target past the page', () => entriesFromWire('/d', wire(2, 'ff', { 7: 'f' }), payload(two, names('a', 'b')))],
    ['names without entries', () => entriesFromWire('/d', wire(0, '', {}), names('a'))],
  ];
  for (const [what, f] of bad) assert.throws(f, (e: Error) => e instanceof ProtocolError && /Malformed folder listing/.test(e.message), what);
});
