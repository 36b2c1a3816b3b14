import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locationOfArg, resolveArgs, resolveLocations } from '../../src/core/remote/commandTarget';

/** The shape of a vscode.Uri as the resolver reads it. */
const uri = (scheme: string, authority: string, path: string) => ({ scheme, authority, path, fragment: '', query: '' });
const entry = (host: string, path: string) => ({ kind: 'entry', id: `${host}:${path}`, host, path });

test('one argument: hpc URIs, tree items and tab inputs carrying one, explorer entries; nothing else', () => {
  assert.deepEqual(locationOfArg(uri('hpc', 'cluster', '/home/u/run.sh')), { host: 'cluster', path: '/home/u/run.sh' });
  assert.deepEqual(locationOfArg(uri('hpc', 'cluster', '/a/./b/../c/')), { host: 'cluster', path: '/a/c' }, 'normalised');
  assert.deepEqual(locationOfArg(uri('hpc', 'cluster', '')), { host: 'cluster', path: '/' });
  assert.deepEqual(locationOfArg({ resourceUri: uri('hpc', 'h', '/x') }), { host: 'h', path: '/x' });
  assert.deepEqual(locationOfArg({ uri: uri('hpc', 'h', '/tab') }), { host: 'h', path: '/tab' });
  assert.deepEqual(locationOfArg(entry('h', '/d/job.job.json')), { host: 'h', path: '/d/job.job.json' });
  for (const none of [undefined, null, 'hpc://h/x', 3, uri('file', '', '/x'), uri('hpc', '', '/x'), { resourceUri: uri('file', '', '/x') }, { kind: 'host', host: 'h' }, { host: 'h', path: 'relative' }, { host: '', path: '/x' }, { kind: 'job', host: 'h', id: '1' }]) {
    assert.equal(locationOfArg(none), undefined, JSON.stringify(none));
  }
});

test('a context menu on a multi-selection acts on all of it; on an item outside it, on that item only', () => {
  const a = entry('h', '/a');
  const b = entry('h', '/b');
  const c = entry('h', '/c');
  assert.deepEqual(resolveLocations(a, [a, b]), [{ host: 'h', path: '/a' }, { host: 'h', path: '/b' }]);
  assert.deepEqual(resolveLocations(c, [a, b]), [{ host: 'h', path: '/c' }]);
  assert.deepEqual(resolveLocations(a, [a]), [{ host: 'h', path: '/a' }]);
  assert.deepEqual(resolveLocations(uri('hpc', 'h', '/f'), [uri('hpc', 'h', '/f'), uri('file', '', '/local')]), [{ host: 'h', path: '/f' }], 'what names nothing in the selection is left out');
});

test('an argument that names nothing gives nothing; no argument falls back in order', () => {
  let asked = 0;
  const active = () => (asked++, uri('hpc', 'h', '/active'));
  assert.deepEqual(resolveLocations({ kind: 'host', host: 'h' }, undefined, active), [], 'a host node is not a location');
  assert.deepEqual(resolveLocations(uri('file', '', '/local'), undefined, active), []);
  assert.equal(asked, 0, 'fallbacks are only read for palette calls');
  assert.deepEqual(resolveLocations(undefined, undefined, () => [], () => undefined, active), [{ host: 'h', path: '/active' }]);
  assert.deepEqual(resolveLocations(undefined, undefined, () => [entry('h', '/sel1'), entry('h', '/sel2')], active), [{ host: 'h', path: '/sel1' }, { host: 'h', path: '/sel2' }], 'the tree selection before the editor');
  assert.equal(asked, 1);
  assert.deepEqual(resolveLocations(undefined, undefined), []);
});

test('a feature keeps its own reading of an argument (the explorer keeps the node)', () => {
  const a = entry('h', '/a');
  const of = (x: unknown) => (x === a ? { node: a } : undefined);
  assert.deepEqual(resolveArgs(of, undefined, undefined, () => [a]), [{ node: a }]);
  assert.deepEqual(resolveArgs(of, a, [a, entry('h', '/b')]), [{ node: a }]);
});
