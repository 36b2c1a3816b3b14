/**
 * Errors (not the JSON schema's warnings) in `*.job.json` editors: what Submit would refuse,
 * marked where it is, as the file is typed. The checks are core's {@link jobFileProblems}.
 */
import * as vscode from 'vscode';
import { jobFileProblems } from '../core/jobs/jobFileProblems';
import { isJobFilePath } from '../core/remote/fileKinds';

export function registerJobFileDiagnostics(): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('remoteHpc.jobFile');
  const check = (doc: vscode.TextDocument) => {
    if (!isJobFilePath(doc.uri.path)) return;
    const problems = jobFileProblems(doc.getText()).map((p) => {
      const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end)), p.message, vscode.DiagnosticSeverity.Error);
      d.source = 'Remote HPC';
      return d;
    });
    collection.set(doc.uri, problems);
  };
  vscode.workspace.textDocuments.forEach(check);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => check(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
  );
}
