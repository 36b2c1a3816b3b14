/** `*.job.json` problems as editor errors: the core spans and the adapter over the vscode fake. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { diagnostics, documentEvents, TextDocument } from '../support/vscode/fake';
import { jobFileProblems } from '../../src/core/jobs/jobFileProblems';
import { registerJobFileDiagnostics } from '../../src/jobs/jobFileDiagnostics';

const BAD = `{
  "name": "fit",
  "script": "run.sh",
  "walltime": "soon",
  "partiton": "debug",
  "tags": ["ok", "no way"]
}
`;

test('job file problems: each with the span it concerns (value, unknown key, array item, syntax)', () => {
  const spans = jobFileProblems(BAD).map((p) => [BAD.slice(p.start, p.end), p.message]);
  assert.deepEqual(spans, [
    ['"partiton"', 'Unknown property "partiton"'],
    ['"soon"', '"walltime" must be HH:MM:SS, D-HH:MM:SS or a number of minutes'],
    ['"no way"', `Tag "no way" must not contain spaces, commas, ';' or '='`],
  ]);
  assert.deepEqual(jobFileProblems('{ "script": "a.sh" }'), []);
  const missing = jobFileProblems('{ "name": "x" }');
  assert.equal(missing.length, 1);
  assert.equal(missing[0]?.start, 0, 'a file-level problem marks the opening brace');
  assert.deepEqual(jobFileProblems('{ "script": "a.sh", }'), [{ message: 'JSON: a property name expected', start: 20, end: 21 }], 'at the brace after the trailing comma');
  assert.deepEqual(jobFileProblems('{ "script": "a.sh"'), [{ message: "JSON: ',' or '}' expected before the end", start: 17, end: 18 }]);
  assert.deepEqual(jobFileProblems('{ "script": "a\\"b.sh", "tags": [1] }').map((p) => p.message), ['"tags" items must be strings']);
});

test('job file diagnostics: errors (not warnings) as the file is opened and typed, cleared on close', () => {
  const sub = registerJobFileDiagnostics();
  try {
    const errors = () => diagnostics.get('remoteHpc.jobFile')?.get(doc.uri.toString()) ?? [];
    const doc = new TextDocument(vscode.Uri.parse('hpc://h/home/u/fit.job.json'), BAD);
    documentEvents.open.fire(doc);
    assert.equal(errors().length, 3);
    assert.ok(errors().every((d) => d.severity === vscode.DiagnosticSeverity.Error));
    const walltime = errors().find((d) => d.message.startsWith('"walltime"'));
    assert.deepEqual([walltime?.range.start.line, walltime?.range.start.character], [3, 14]);
    doc.text = '{ "script": "run.sh" }';
    documentEvents.change.fire({ document: doc });
    assert.deepEqual(errors(), []);
    const other = new TextDocument(vscode.Uri.parse('hpc://h/home/u/notes.json'), '{ "x": 1 }');
    documentEvents.open.fire(other);
    assert.equal(diagnostics.get('remoteHpc.jobFile')?.has(other.uri.toString()), false, 'other JSON files are not ours');
    documentEvents.close.fire(doc);
    assert.equal(diagnostics.get('remoteHpc.jobFile')?.has(doc.uri.toString()), false);
  } finally {
    sub.dispose();
  }
});
