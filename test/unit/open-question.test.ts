/** Opening a file that is both large and binary asks once, naming both reasons (issue 15: two modals in a row). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openQuestion } from '../../src/core/remote/fileKinds';

const MB = 1024 * 1024;

test('large and binary: one question naming both', () => {
  const q = openQuestion({ name: 'core.1234', host: 'h', size: 80 * MB, binary: true, thresholdBytes: 50 * MB });
  assert.equal(q?.message, 'core.1234 is 80.0 MB and looks like a binary file. Open it in the text editor anyway?');
  assert.match(q?.detail ?? '', /reads the whole file from h \(threshold: 50\.0 MB, setting remoteHpc\.largeFileThresholdMB\)\. Download it/);
  assert.equal(q?.open, 'Open Anyway');
});

test('only large, only binary, neither', () => {
  assert.equal(openQuestion({ name: 'big.txt', host: 'h', size: 30_000, binary: false, thresholdBytes: 20_000 })?.message, 'big.txt is 29.3 KB. Open it anyway?');
  assert.equal(openQuestion({ name: 'blob.dat', host: 'h', size: 100, binary: true, thresholdBytes: 20_000 })?.message, 'blob.dat looks like a binary file. Open it in the text editor anyway?');
  assert.equal(openQuestion({ name: 'a.txt', host: 'h', size: 100, binary: false, thresholdBytes: 20_000 }), undefined);
  assert.equal(openQuestion({ name: 'huge', host: 'h', size: 10 * MB, binary: false, thresholdBytes: 0 }), undefined, '0 = no size limit');
});
