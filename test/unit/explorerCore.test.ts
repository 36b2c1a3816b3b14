import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileKind, isKnownText, looksBinary, extensionOf } from '../../src/core/remote/fileKinds';
import { formatMode, formatSize, formatTime } from '../../src/core/remote/format';
import { resolveRoots, rootSpecsFor, rootVariables, rootContaining, DEFAULT_ROOT_SPECS } from '../../src/core/remote/roots';
import {
  addPattern,
  checkFilter,
  checkPattern,
  describeFilter,
  filterEquals,
  filtersFromSetting,
  isEmptyFilter,
  isFilterActive,
  normalizeFilter,
  removePattern,
} from '../../src/core/remote/filterEdit';
import { checkNewName, isWithin, normalizeRemotePath } from '../../src/core/remote/paths';

test('file kinds by extension', () => {
  assert.equal(fileKind('/a/b/plot.PNG'), 'image');
  assert.equal(fileKind('movie.mp4'), 'video');
  assert.equal(fileKind('run.sbatch'), 'file');
  assert.equal(fileKind('.png'), 'file');
  assert.equal(extensionOf('/x.y/noext'), '');
  assert.equal(extensionOf('a.tar.GZ'), 'gz');
  assert.ok(isKnownText('job.slurm'));
  assert.ok(isKnownText('/x/Makefile'));
  assert.ok(!isKnownText('data.h5'));
  assert.ok(!isKnownText('run.dat'), '.dat is text or binary: sniffed');
});

test('binary sniffing: NUL bytes, except UTF-16 with a BOM', () => {
  assert.equal(looksBinary(Buffer.from('hello\nworld\n')), false);
  assert.equal(looksBinary(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01])), true);
  assert.equal(looksBinary(Buffer.from('\ufeffhi', 'utf16le')), false);
  assert.equal(looksBinary(Buffer.alloc(0)), false);
  const late = Buffer.alloc(9000, 0x61);
  late[8500] = 0;
  assert.equal(looksBinary(late), false, 'only the first 8000 bytes count');
});

test('sizes, modes and times', () => {
  assert.equal(formatSize(0), '0 B');
  assert.equal(formatSize(1023), '1023 B');
  assert.equal(formatSize(1536), '1.5 KB');
  assert.equal(formatSize(50 * 1024 * 1024), '50.0 MB');
  assert.equal(formatSize(300 * 1024 ** 3), '300 GB');
  assert.equal(formatSize(-1), '?');
  assert.equal(formatMode(0o755, 'directory'), 'drwxr-xr-x');
  assert.equal(formatMode(0o644), '-rw-r--r--');
  assert.equal(formatMode(0o4755), '-rwsr-xr-x');
  assert.equal(formatMode(0o1777, 'directory'), 'drwxrwxrwt');
  assert.equal(formatMode(0o777, 'symlink'), 'lrwxrwxrwx');
  assert.match(formatTime(Date.UTC(2024, 0, 2, 3, 4)), /^2024-01-0\d \d\d:\d\d$/);
  assert.equal(formatTime(0), '?');
});

test('roots: defaults, variables, home shortening, dedupe, skips', () => {
  assert.deepEqual(rootSpecsFor(undefined, 'h'), DEFAULT_ROOT_SPECS);
  assert.deepEqual(rootSpecsFor({ h: ['~', ' /data '] }, 'h'), ['~', '/data']);
  assert.deepEqual(rootSpecsFor({ '*': ['/x'] }, 'h'), ['/x']);
  assert.deepEqual(rootSpecsFor({ h: [] }, 'h'), DEFAULT_ROOT_SPECS);
  assert.deepEqual(rootVariables(['~', '$SCRATCH', '${WORK}/x', '$SCRATCH/y']), ['SCRATCH', 'WORK']);

  const r = resolveRoots(['~', '$SCRATCH', '$WORK', '${PROJ}/a/', '~/sub//dir', 'rel', '/home/u'], '/home/u', {
    SCRATCH: '/scratch/u',
    PROJ: '/proj',
  });
  assert.deepEqual(
    r.roots.map((x) => [x.label, x.path]),
    [
      ['~', '/home/u'],
      ['$SCRATCH', '/scratch/u'],
      ['/proj/a', '/proj/a'],
      ['~/sub/dir', '/home/u/sub/dir'],
    ],
  );
  assert.deepEqual(r.skipped, [
    { spec: '$WORK', reason: '$WORK is not set' },
    { spec: 'rel', reason: 'not an absolute path' },
  ]);
  assert.deepEqual(resolveRoots(['$SCRATCH'], '/home/u', { SCRATCH: '/home/u' }).roots[0].label, '$SCRATCH');
});

test('rootContaining picks the longest prefix on path boundaries', () => {
  const roots = [{ path: '/home/u' }, { path: '/home/u/proj' }, { path: '/' }];
  assert.equal(rootContaining(roots, '/home/u/proj/a.txt')?.path, '/home/u/proj');
  assert.equal(rootContaining(roots, '/home/u/project')?.path, '/home/u');
  assert.equal(rootContaining(roots, '/etc/hosts')?.path, '/');
  assert.equal(rootContaining([{ path: '/home/u' }], '/home/uu'), undefined);
});

test('filter editing is immutable, dedupes and drops empty lists', () => {
  let f = normalizeFilter({ fileReject: ['\\.log$', '\\.log$', '', 3], dirAllow: 'x', junk: ['a'] });
  assert.deepEqual(f, { fileReject: ['\\.log$'] });
  const before = f;
  f = addPattern(f, 'fileReject', '\\.o$');
  assert.deepEqual(before, { fileReject: ['\\.log$'] });
  assert.deepEqual(f.fileReject, ['\\.log$', '\\.o$']);
  assert.equal(addPattern(f, 'fileReject', '\\.o$'), f);
  f = addPattern(f, 'dirAllow', 'keep');
  f = removePattern(f, 'fileReject', '\\.log$');
  f = removePattern(f, 'fileReject', '\\.o$');
  assert.deepEqual(f, { dirAllow: ['keep'] });
  assert.ok(!isEmptyFilter(f));
  assert.ok(!isFilterActive(f), 'allow lists alone hide nothing');
  assert.ok(isFilterActive({ dirReject: ['x'] }));
  assert.ok(isEmptyFilter({ fileReject: [] }));
  assert.ok(filterEquals({}, { fileAllow: [] }));
  assert.ok(!filterEquals({ fileReject: ['a'] }, { fileReject: ['b'] }));
});

test('filters from the setting: per host, garbage ignored', () => {
  assert.deepEqual(filtersFromSetting({ a: { fileReject: ['x'] }, b: {}, c: 5 }), { a: { fileReject: ['x'] } });
  assert.deepEqual(filtersFromSetting(null), {});
  assert.deepEqual(filtersFromSetting(['a']), {});
});

test('pattern validation gives a clear message', () => {
  assert.equal(checkPattern('\\.log$'), undefined);
  assert.equal(checkPattern('/tmp/'), undefined);
  assert.equal(checkPattern('('), 'Invalid regular expression: Unterminated group (patterns are regular expressions on the full path, or globs on the name like *.csv)');
  assert.equal(checkPattern('*.csv'), undefined, 'a glob is accepted');
  assert.match(checkPattern('(?<name>x)') ?? '', /Named groups are not supported/, 'Python-incompatible syntax is refused');
  assert.match(checkPattern('(?i)log') ?? '', /Inline flags/);
  assert.match(checkPattern('[a-') ?? '', /Invalid regular expression/);
  assert.match(checkPattern('  ') ?? '', /Enter a glob on the name \(\*\.log\) or a regular expression/);
  assert.match(checkFilter({ dirReject: ['ok', '+bad'] }) ?? '', /^hide folders "\+bad": Invalid/);
  assert.equal(checkFilter({ fileReject: ['a', 'b'] }), undefined);
});

test('filter summary', () => {
  assert.equal(describeFilter({ fileReject: ['\\.log$', '\\.o$'], dirReject: ['/\\.git$'] }), 'hide files \\.log$, \\.o$ · hide folders /\\.git$');
  assert.equal(describeFilter(undefined), '');
  const long = describeFilter({ fileReject: ['x'.repeat(200)] }, 20);
  assert.equal(long.length, 20);
  assert.ok(long.endsWith('…'));
});

test('remote paths and new names', () => {
  assert.equal(normalizeRemotePath('/a/b/../c/'), '/a/c');
  assert.equal(normalizeRemotePath('a//b'), '/a/b');
  assert.equal(normalizeRemotePath('/'), '/');
  assert.ok(isWithin('/a', '/a/b'));
  assert.ok(isWithin('/', '/x'));
  assert.ok(!isWithin('/a', '/ab'));
  assert.equal(checkNewName('x.txt', false), undefined);
  assert.equal(checkNewName('a/b.txt', true), undefined);
  assert.match(checkNewName('a/b.txt', false) ?? '', /cannot contain/);
  assert.match(checkNewName('  ', true) ?? '', /Enter a name/);
  assert.match(checkNewName('/abs', true) ?? '', /relative/);
  assert.match(checkNewName('a/../b', true) ?? '', /not allowed/);
  assert.match(checkNewName('x'.repeat(256), false) ?? '', /255 bytes/);
});
