/**
 * Read-only text tabs of the jobs feature under the `remote-hpc-job` scheme: job details and
 * rendered batch scripts. Content lives in memory, keyed by URI, while a tab shows it.
 */
import * as vscode from 'vscode';
import { posix } from 'node:path';

export const JOB_DOC_SCHEME = 'remote-hpc-job';

const MAX_DOCS = 50;

/** `remote-hpc-job://<host>/<id>/Job <id>`: the tab reads "Job 123". */
export function detailsUri(host: string, id: string): vscode.Uri {
  return vscode.Uri.from({ scheme: JOB_DOC_SCHEME, authority: host, path: `/details/${id}/Job ${id}` });
}

/** `remote-hpc-job:/preview/<n>/<name>.sbatch`: one per preview, so several can be open side by side. */
export function previewUri(name: string, seq: number): vscode.Uri {
  const safe = posix.basename(name).replace(/[^\w.+-]+/g, '_') || 'job';
  return vscode.Uri.from({ scheme: JOB_DOC_SCHEME, path: `/preview/${seq}/${safe}.sbatch` });
}

export class JobDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '# This document is no longer available: run the command again.\n';
  }

  /** Sets the text of `uri` and shows it (read-only) in `language`. */
  async show(uri: vscode.Uri, text: string, language: string, opts: vscode.TextDocumentShowOptions = {}): Promise<vscode.TextEditor> {
    // Kept while likely shown; the oldest go (a document close is no sign: setTextDocumentLanguage closes and reopens).
    this.contents.delete(uri.toString());
    this.contents.set(uri.toString(), text);
    while (this.contents.size > MAX_DOCS) this.contents.delete(this.contents.keys().next().value as string);
    this.emitter.fire(uri);
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
    return vscode.window.showTextDocument(doc, { preview: false, ...opts });
  }

  dispose(): void {
    this.emitter.dispose();
    this.contents.clear();
  }
}
