/**
 * Waiting and the extension API over a real JobsModel (vscode fake; the controller and the
 * remote stand-ins record what is asked of them): a cancelled wait rejects and stops watching
 * without touching the job, wait() gives the task's exit code, list() and onDidChangeJobs follow
 * the model, and bad requests are refused before anything reaches the cluster.
 */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { JobsModel } from '../../src/core/jobs/model';
import { CancelledError } from '../../src/core/cancel';
import { silentLogger } from '../../src/core/log';
import type { Job } from '../../src/core/scheduler/types';
import type { JobsContext } from '../../src/jobs/context';
import { waitForJob } from '../../src/jobs/waitJob';
import { createApi } from '../../src/jobs/api';
import { job } from '../support/jobs';

function fixture() {
  const model = new JobsModel();
  model.setHosts(['hpc']);
  const calls: string[] = [];
  let finish: (j: Job) => void = () => undefined;
  const ctx = {
    log: silentLogger,
    model,
    remote: { ops: async (h: string) => (calls.push(`ops ${h}`), {}) },
    controller: {
      whenFinished: (h: string, id: string) => {
        calls.push(`await ${h} ${id}`);
        return { promise: new Promise<Job>((r) => (finish = r)), dispose: () => calls.push(`stop ${id}`) };
      },
      track: async (h: string, ids: string[]) => void calls.push(`track ${h} ${ids.join()}`),
      refreshNow: async () => undefined,
    },
    schedulers: { scheduler: () => ({ cancel: async (ids: string[]) => void calls.push(`scancel ${ids.join()}`) }) },
  } as unknown as JobsContext;
  return { ctx, model, calls, finish: (j: Job) => finish(j) };
}

test('waitForJob: resolves with the end; a cancelled token rejects, stops watching, leaves the job alone', async () => {
  const f = fixture();
  const done = waitForJob(f.ctx, 'hpc', '7');
  await new Promise((r) => setImmediate(r));
  f.finish(job({ id: '7', state: 'FAILED', exitCode: 2 }));
  assert.equal((await done).exitCode, 2);
  assert.deepEqual(f.calls, ['ops hpc', 'await hpc 7', 'track hpc 7'], 'connects, then waits through the watcher');

  const g = fixture();
  const source = new vscode.EventEmitter<void>();
  const token = { isCancellationRequested: false, onCancellationRequested: source.event };
  const waiting = waitForJob(g.ctx, 'hpc', '8', token);
  await new Promise((r) => setImmediate(r));
  source.fire();
  await assert.rejects(waiting, CancelledError);
  assert.ok(g.calls.includes('stop 8'), 'the watcher is no longer asked to watch for us');
  assert.ok(!g.calls.some((c) => c.startsWith('scancel')), 'the job is not cancelled');
});

test('API: version 1, wait() as a task ends, list() and onDidChangeJobs from the model, bad requests refused', async () => {
  const f = fixture();
  const api = createApi(f.ctx);
  assert.equal(api.version, 1);
  const changes: unknown[] = [];
  const sub = api.onDidChangeJobs((e) => changes.push(e));
  f.model.setActive('hpc', [job({ id: '9', state: 'RUNNING' })]);
  assert.deepEqual(changes.at(-1), { host: 'hpc' });
  assert.deepEqual(api.list('hpc').map((j) => [j.host, j.id, j.state, j.finished]), [['hpc', '9', 'RUNNING', false]]);
  assert.deepEqual(api.list('other'), []);

  const waited = api.wait({ host: 'hpc', id: '9' });
  await new Promise((r) => setImmediate(r));
  f.finish(job({ id: '9', state: 'TIMEOUT', rawState: 'TIMEOUT' }));
  const r = await waited;
  assert.deepEqual([r.exitCode, r.ok, r.job.state, r.job.finished], [124, false, 'TIMEOUT', true]);

  await assert.rejects(api.wait({ host: 'hpc', id: '9; rm -rf ~' }), /job id/);
  await assert.rejects(api.submit({ host: 'hpc', script: '/s.sh', options: { colour: 'red' } as never }), /unknown option "colour"/);
  await assert.rejects(api.submit({ host: 'hpc', script: 'relative.sh' }), /absolute path/);
  await assert.rejects(api.submit({ script: '/s.sh' } as never), /takes \{ host, script/);
  await api.cancel({ host: 'hpc', id: '9' });
  assert.ok(f.calls.includes('scancel 9'));
  sub.dispose();
  api.dispose();
});
