/**
 * The New Job form's host side (NewJobPanel) through the vscode fake's webview panel, over a
 * submit sandbox: what a second save does, and where a refused submit is shown.
 */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { panels, setSetting, shown, type WebviewPanel } from '../support/vscode/fake';
import { submitSandbox, SUBMITTED_ID } from '../support/submitSandbox';
import { NewJobPanel } from '../../src/jobs/newJobPanel';
import { EMPTY_FORM } from '../../src/core/jobs/newJobForm';
import type { NewJobForm } from '../../src/shared/protocol';
import { waitUntil } from '../support/wait';

let nextId = 1;
async function request(panel: WebviewPanel, method: string, params: unknown): Promise<Record<string, unknown>> {
  const id = nextId++;
  panel.send({ kind: 'request', id, method, params });
  const reply = await waitUntil(`the ${method} reply`, () => panel.posted.find((m) => (m as { kind?: string; id?: number }).kind === 'reply' && (m as { id: number }).id === id), 10_000, 10);
  const r = reply as { ok: boolean; result?: Record<string, unknown>; error?: { message: string } };
  if (!r.ok) throw new Error(r.error?.message);
  return r.result ?? {};
}

test('new job form: saving again replaces its own file without asking; a refused partition shows at its field', async () => {
  const sb = submitSandbox();
  shown.length = 0;
  await NewJobPanel.show(sb.ctx, { host: 'h', folder: sb.dir });
  const panel = panels[panels.length - 1] as WebviewPanel;
  try {
    panel.send({ kind: 'ready', view: 'newJob' });
    const form: NewJobForm = { ...EMPTY_FORM, host: 'h', folder: sb.dir, name: 'fit', command: 'hostname', partition: 'nosuch' };
    const saved = await request(panel, 'save', { form, submit: false });
    assert.deepEqual(saved.errors, []);
    const file = join(sb.dir, 'fit.job.json');
    assert.ok(existsSync(file));
    // The user changes a field and saves again, then submits: no "already exists" question for the form's own file.
    const again = await request(panel, 'save', { form: { ...form, walltime: '10' }, submit: false });
    assert.deepEqual(again.errors, []);
    assert.match(readFileSync(file, 'utf8'), /"walltime": 10/);
    const submitted = await request(panel, 'save', { form: { ...form, walltime: '10' }, submit: true });
    assert.deepEqual(shown.filter((s) => s.startsWith('warn ')), [], 'nothing asked to replace the file');
    assert.deepEqual(submitted.errors, [
      { field: 'partition', message: 'Saved fit.job.json, but not submitted: sbatch: error: Batch job submission failed: Invalid partition name specified' },
    ]);
    const ok = await request(panel, 'save', { form: { ...form, partition: 'debug' }, submit: true });
    assert.deepEqual([ok.errors, ok.jobId], [[], SUBMITTED_ID]);
  } finally {
    NewJobPanel.disposeCurrent();
    sb.done();
  }
});

test('new job form: the host defaults it fills say where they came from (init and hostInfo)', async () => {
  const sb = submitSandbox();
  setSetting('remoteHpc.jobs.defaults', { h: { partition: 'debug', time: '9' } });
  await NewJobPanel.show(sb.ctx, { host: 'h', folder: sb.dir });
  const panel = panels[panels.length - 1] as WebviewPanel;
  try {
    panel.send({ kind: 'ready', view: 'newJob' });
    const init = (await waitUntil('init', () => panel.posted.find((m) => (m as { event?: string }).event === 'init'), 10_000, 10)) as { data: { form: NewJobForm; sources: unknown } };
    const msg = init.data;
    assert.deepEqual([msg.form.partition, msg.form.walltime], ['debug', '9']);
    assert.deepEqual(msg.sources, { partition: 'local', walltime: 'local' });
    const info = await request(panel, 'hostInfo', { host: 'h' });
    assert.deepEqual([info.partition, info.walltime, info.sources], ['debug', '9', { partition: 'local', walltime: 'local' }]);
  } finally {
    setSetting('remoteHpc.jobs.defaults', undefined);
    NewJobPanel.disposeCurrent();
    sb.done();
  }
});
