import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { quoteArg, commandLine, commandLineWith } from '../../src/core/ssh/quote';

const hostile = ["plain", "with space", "it's", 'dq"x', '$(touch pwned)', '`id`', '*', 'a\nb', '-rf', 'données 数据', '', "'", "\\", '!bang'];

test('every hostile argument survives a real POSIX shell unchanged', () => {
  const line = commandLine(['printf', '%s\\0', ...hostile]);
  const out = execFileSync('/bin/sh', ['-c', line]).toString('utf8');
  assert.deepEqual(out.split('\0').slice(0, -1), hostile);
});

test('safe words are left bare, everything else single-quoted', () => {
  assert.equal(quoteArg('/home/u/a.txt'), '/home/u/a.txt');
  assert.equal(quoteArg('a b'), "'a b'");
  assert.equal(quoteArg("it's"), "'it'\\''s'");
  assert.equal(quoteArg(''), "''");
});

test('NUL bytes and bad env names are refused', () => {
  assert.throws(() => quoteArg('a\0b'), /NUL/);
  assert.throws(() => commandLineWith(['true'], { env: { 'A B': '1' } }), /Invalid environment/);
});

test('cwd and env are quoted too', () => {
  const line = commandLineWith(['sh', '-c', 'printf "%s|%s" "$PWD" "$X"'], { cwd: '/tmp', env: { X: "$(id) 'q'" } });
  assert.equal(execFileSync('/bin/sh', ['-c', line]).toString(), "/tmp|$(id) 'q'");
});
