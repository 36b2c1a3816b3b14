import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileFilter, pythonFilter, validateFilter, validatePattern, translatePattern, joinPath, isGlobPattern } from '../../src/core/remote/filters';
import type { PathFilter } from '../../src/core/remote/types';

interface Case {
  filter: PathFilter;
  path: string;
  isDir: boolean;
  keep: boolean;
}

const f = (fileReject: string[], fileAllow: string[] = []): PathFilter => ({ fileReject, fileAllow });

/** One table, run against the TypeScript matcher and the agent's Python Filter class. */
const TABLE: Case[] = [
  { filter: {}, path: '/d/anything', isDir: false, keep: true },
  // Globs on the name (issue 15: `*.csv` was refused as "Nothing to repeat").
  { filter: f(['*'], ['*.csv']), path: '/d/a.csv', isDir: false, keep: true },
  { filter: f(['*'], ['*.csv']), path: '/d/a.txt', isDir: false, keep: false },
  { filter: f(['*.csv']), path: '/d/a.csv.gz', isDir: false, keep: true },
  { filter: f(['*.csv']), path: '/d.csv/x', isDir: false, keep: true },
  { filter: f(['*.csv']), path: '/d/xcsv', isDir: false, keep: true },
  { filter: f(['run_??.out']), path: '/d/run_01.out', isDir: false, keep: false },
  { filter: f(['run_??.out']), path: '/d/run_001.out', isDir: false, keep: true },
  { filter: f(['core.*']), path: '/d/xcore', isDir: false, keep: false }, // `.*` stays a regex, unanchored (as a glob it would keep xcore)
  { filter: f(['.*'], ['[.]csv$']), path: '/d/a.csv', isDir: false, keep: true },
  { filter: f(['.*'], ['[.]csv$']), path: '/d/a.txt', isDir: false, keep: false },
  { filter: f(['.*'], ['[.]csv$']), path: '/d/sub', isDir: true, keep: true },
  { filter: f(['[.]jpg$|[.]jpeg$']), path: '/x/a.jpg', isDir: false, keep: false },
  { filter: f(['[.]jpg$|[.]jpeg$']), path: '/x/a.JPG', isDir: false, keep: true },
  { filter: f(['[.]jpg$|[.]jpeg$']), path: '/x/a.jpg.txt', isDir: false, keep: true },
  { filter: { dirReject: ['/\\.'], dirAllow: ['/\\.config$'] }, path: '/h/.git', isDir: true, keep: false },
  { filter: { dirReject: ['/\\.'], dirAllow: ['/\\.config$'] }, path: '/h/.config', isDir: true, keep: true },
  { filter: { dirReject: ['/\\.'], dirAllow: ['/\\.config$'] }, path: '/h/.bashrc', isDir: false, keep: true },
  // `$` is the very end in both dialects (Python's own `$` would also match before a final newline).
  { filter: f(['a$']), path: '/d/a\n', isDir: false, keep: true },
  { filter: f(['a$']), path: '/d/a', isDir: false, keep: false },
  // `.` never matches a newline (JavaScript's would also skip \r and U+2028).
  { filter: f(['new.line']), path: '/d/new\nline.txt', isDir: false, keep: true },
  { filter: f(['x.y']), path: '/d/x\ry', isDir: false, keep: false },
  { filter: f(['x.y']), path: '/d/x\u2028y', isDir: false, keep: false },
  // ASCII classes.
  { filter: f(['\\s']), path: '/d/with space.txt', isDir: false, keep: false },
  { filter: f(['\\s']), path: '/d/nbsp\u00a0x', isDir: false, keep: true },
  { filter: f(['^/d/\\w+$']), path: '/d/données', isDir: false, keep: true },
  { filter: f(['^/d/\\w+$']), path: '/d/abc_1', isDir: false, keep: false },
  { filter: f(['\\d']), path: '/d/\u0663', isDir: false, keep: true },
  { filter: f(['[\\s_]x']), path: '/d/a x', isDir: false, keep: false },
  // Quantifier and class spellings that differ between the dialects.
  { filter: f(['^/d/a{,2}$']), path: '/d/aa', isDir: false, keep: false },
  { filter: f(['^/d/a{,2}$']), path: '/d/aaa', isDir: false, keep: true },
  { filter: f(['[]x]']), path: '/d/]', isDir: false, keep: false },
  { filter: f(['{x}']), path: '/d/{x}', isDir: false, keep: false },
  { filter: f(['\\A/tmp']), path: '/tmp/x', isDir: false, keep: false },
  { filter: f(['\\A/tmp']), path: '/a/tmp/x', isDir: false, keep: true },
  { filter: f(['x\\Z']), path: '/a/x', isDir: false, keep: false },
  { filter: f(['\\.o$', '\\.pyc$']), path: '/b/m.pyc', isDir: false, keep: false },
  { filter: f(['\\.o$', '\\.pyc$']), path: '/b/m.o', isDir: false, keep: false },
  { filter: f(['^/d/.$']), path: '/d/🚀', isDir: false, keep: false },
  { filter: f(['数据']), path: '/d/données 数据.txt', isDir: false, keep: false },
  { filter: f(['(ab)\\1']), path: '/d/abab', isDir: false, keep: false },
  { filter: f(['^(?!.*\\.keep$)']), path: '/d/x.keep', isDir: false, keep: true },
  { filter: f(['^(?!.*\\.keep$)']), path: '/d/x', isDir: false, keep: false },
  { filter: f(['\\x41\\u00e9\\U0001F680']), path: '/d/Aé🚀', isDir: false, keep: false },
  { filter: f(['\\$\\(']), path: '/d/$(touch pwned).txt', isDir: false, keep: false },
  { filter: f(['\\-x', '[\\-]y']), path: '/d/-y', isDir: false, keep: false },
  { filter: f(['(?<=/d/)z']), path: '/d/z', isDir: false, keep: false },
  // A file pattern never touches directories, and the other way round.
  { filter: { dirReject: ['.*'] }, path: '/d/f', isDir: false, keep: true },
  { filter: { fileReject: ['.*'] }, path: '/d/sub', isDir: true, keep: true },
];

const agentDir = join(__dirname, '..', '..', 'src', 'core', 'agent');

/** Runs the agent's Filter class on many (filter, path, isDir) triples at once. */
function pythonKeep(cases: { filter: PathFilter | undefined; path: string; isDir: boolean }[]): boolean[] {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(agentDir)})`,
    'import agent',
    'cases = json.loads(sys.stdin.read())',
    'print(json.dumps([agent.Filter(c["filter"]).keep(c["path"], c["isDir"]) for c in cases]))',
  ].join('\n');
  // -B: importing agent.py must not leave a __pycache__ in the source tree (whatever the ambient env says).
  const env = { ...process.env };
  delete env.PYTHONDONTWRITEBYTECODE;
  const out = execFileSync('python3', ['-B', '-c', script], { input: JSON.stringify(cases), maxBuffer: 64 << 20, env });
  return JSON.parse(out.toString()) as boolean[];
}

test('running the agent\'s Python locally writes no bytecode into the source tree', () => {
  assert.deepEqual(pythonKeep([{ filter: {}, path: '/x', isDir: false }]), [true]);
  assert.equal(existsSync(join(agentDir, '__pycache__')), false);
});

test('shared table: TypeScript matcher', () => {
  for (const c of TABLE) {
    assert.equal(compileFilter(c.filter).keep(c.path, c.isDir), c.keep, `${JSON.stringify(c.filter)} on ${JSON.stringify(c.path)}`);
  }
});

test('shared table: the agent (Python) agrees', () => {
  const got = pythonKeep(TABLE.map((c) => ({ filter: pythonFilter(c.filter), path: c.path, isDir: c.isDir })));
  TABLE.forEach((c, i) => assert.equal(got[i], c.keep, `${JSON.stringify(c.filter)} on ${JSON.stringify(c.path)}`));
});

test('random patterns: both dialects keep exactly the same paths', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const tokens = ['a', 'b', '.', '*', '+', '?', '$', '^', '[ab]', '[^a]', '\\s', '\\S', '\\d', '\\w', '\\W', '\\b', '(', ')', '|', '{1,2}', '{,2}', '\\.', '/', ' ', 'é', '1', '[]a]', '\\A', '\\Z', '{'];
  const chars = ['a', 'b', '/', '.', ' ', '\n', 'é', '1', '_', '🚀', '\u00a0', '\r', ']', '{'];
  const patterns: string[] = [];
  while (patterns.length < 400) {
    let p = '';
    const n = 1 + rnd(6);
    for (let i = 0; i < n; i++) p += tokens[rnd(tokens.length)];
    if (validatePattern(p) === undefined) patterns.push(p);
  }
  const paths: string[] = [];
  for (let i = 0; i < 25; i++) {
    let s = '/';
    const n = rnd(8);
    for (let k = 0; k < n; k++) s += chars[rnd(chars.length)];
    paths.push(s);
  }
  const cases = patterns.flatMap((p) => paths.map((path) => ({ p, path })));
  const ts = cases.map((c) => compileFilter({ fileReject: [c.p] }).keep(c.path, false));
  const py = pythonKeep(cases.map((c) => ({ filter: pythonFilter({ fileReject: [c.p] }), path: c.path, isDir: false })));
  const diffs = cases.filter((_c, i) => ts[i] !== py[i]).map((c) => `${JSON.stringify(c.p)} on ${JSON.stringify(c.path)}`);
  assert.deepEqual(diffs.slice(0, 10), []);
});

test('globs: *.csv is accepted and read on the name', () => {
  assert.equal(validatePattern('*.csv'), undefined);
  assert.ok(isGlobPattern('*.csv') && isGlobPattern('data_??') && !isGlobPattern('.*\\.csv') && !isGlobPattern('a+*'));
  assert.equal(compileFilter({ fileReject: ['*.csv'] }).keep('/d/a.csv', false), false);
});

test('invalid patterns get clear messages', () => {
  const bad: [string, RegExp][] = [
    ['(?P<n>x)', /Named groups/],
    ['(?<n>x)', /Named groups/],
    ['(?i)abc', /Inline flags/],
    ['(?#c)', /Comments/],
    ['\\p{L}', /Unsupported escape \\p/],
    ['\\k<n>', /Unsupported escape \\k/],
    ['\\q', /Unsupported escape \\q/],
    ['[a-', /Unterminated \[/],
    ['+a', /Nothing to repeat/i],
    ['(', /Unterminated group/i],
    ['a++', /Possessive/],
    ['a{2}+', /Possessive/],
    ['\\012', /Octal/],
    ['x\\', /lone backslash/],
    ['\\xZ1', /two hex digits/],
    ['[\\S]', /\\S inside/],
  ];
  for (const [p, re] of bad) {
    const err = validatePattern(p);
    assert.ok(err, `${p} should be refused`);
    assert.match(err, re, p);
  }
  assert.equal(validateFilter({ fileAllow: ['ok$'], dirReject: ['fine'] }), undefined);
  assert.equal(validateFilter({ fileAllow: ['ok'], dirReject: ['(?i)x'] }), 'Directory reject pattern "(?i)x": Inline flags are not supported: (?i at position 1');
  assert.throws(() => compileFilter({ fileReject: ['('] }), /File reject pattern "\(":/);
});

test('every valid pattern compiles in Python too', () => {
  const ok = ['.*', '[.]csv$', '^/home/[^/]+/\\.cache', 'a{,3}b{2,}', '[]x-]', '\\s\\S\\d\\w\\b', '(?:a|b)(?=c)(?<!d)', '\\U0001F680', '\\Z\\A'];
  const script = 'import json,re,sys\nfor p in json.load(sys.stdin): re.compile(p, re.ASCII)\nprint("ok")';
  const out = execFileSync('python3', ['-W', 'error', '-c', script], { input: JSON.stringify(ok.map((p) => translatePattern(p).py)) });
  assert.equal(out.toString().trim(), 'ok');
});

test('joinPath never doubles the slash', () => {
  assert.equal(joinPath('/', 'a'), '/a');
  assert.equal(joinPath('/x', 'a'), '/x/a');
  assert.equal(joinPath('/x/', 'a'), '/x/a');
});
