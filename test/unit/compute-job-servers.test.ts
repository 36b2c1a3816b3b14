/** Servers read from a job's output files (local RemoteOps on real files) and the watch that offers them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serversInOutput, ServerWatch } from '../../src/core/compute/jobServers';
import type { DetectedServer } from '../../src/core/compute/serverDetect';
import { JobsModel } from '../../src/core/jobs/model';
import { LocalOps } from '../support/localOps';
import { job } from '../support/jobs';
import { waitUntil } from '../support/wait';

test('the end of stdout and stderr is read; a missing file is no server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rhpc-srv-'));
  try {
    writeFileSync(join(dir, 'out'), `${'x'.repeat(300 * 1024)}\nTensorBoard 2.16 at http://c1:6006/ (Press CTRL+C to quit)\n`);
    writeFileSync(join(dir, 'err'), '[I NotebookApp] http://c1:8888/?token=abc\n');
    const ops = new LocalOps();
    const found = await serversInOutput(ops, { stdout: join(dir, 'out'), stderr: join(dir, 'err') });
    assert.deepEqual(found.map((s) => [s.kind, s.port]), [['tensorboard', 6006], ['jupyter', 8888]]);
    assert.deepEqual(await serversInOutput(ops, { stdout: join(dir, 'missing') }), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a running job is looked at until it prints a server, which is offered once; pending jobs are not read', async () => {
  const model = new JobsModel();
  model.setHosts(['h']);
  const scans: string[] = [];
  const offers: string[] = [];
  const server: DetectedServer = { kind: 'jupyter', label: 'Jupyter Lab', host: 'c1', port: 8888, path: '/lab?token=t', loopbackOnly: false };
  const watch = new ServerWatch({
    model,
    enabled: () => true,
    delaysMs: [0, 20, 40, 60],
    scan: async (_h, j) => (scans.push(j.id), scans.length >= 2 ? [server, server] : []),
    offer: (h, j, s) => offers.push(`${h} ${j.id} ${s.port}`),
  });
  model.setActive('h', [job({ id: '1' }), job({ id: '2', state: 'PENDING', nodes: '' })]);
  await waitUntil('the offer', () => offers.length > 0, 2000, 5);
  model.setActive('h', [job({ id: '1' }), job({ id: '2', state: 'PENDING', nodes: '' })]);
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(offers, ['h 1 8888']);
  assert.deepEqual(scans, ['1', '1'], 'read until the server showed, then no more; the pending job never');
  watch.dispose();
  model.dispose();
});
