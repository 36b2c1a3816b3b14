/**
 * The pool commands' VS Code side through the vscode fake: Run on Pool on a plain script asks the
 * pool (when there are several) and a repeat count and starts one run of N jobs, the script
 * copied into each; Create or Edit Pool writes remoteHpc.pools and keeps the other pools; a pool
 * job's files are read on the host that ran it, and a pick of jobs offers pool jobs.
 */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import * as vscode from 'vscode';
import { answers, setSetting, settings, shown } from '../support/vscode/fake';
import type { PoolJobSpec, PoolService } from '../../src/core/scheduler/poolSpec';
import type { JobsContext } from '../../src/jobs/context';
import { editPool, jobOps, runOnPool } from '../../src/jobs/pools';
import type { RemoteOps, RemoteOpsProvider } from '../../src/core/remote/types';
import { JobsModel } from '../../src/core/jobs/model';
import { targetsOrPick } from '../../src/jobs/targets';
import { job } from '../support/jobs';

function fixture() {
  const started: { pool: string; name: string; jobs: PoolJobSpec[]; baseDir?: string }[] = [];
  const tracked: string[] = [];
  const pools = {
    start: async (run: (typeof started)[number]) => (started.push(run), 'p1'),
  } as unknown as PoolService;
  const ctx = {
    controller: { refresh: async () => undefined, track: async (h: string, ids: string[]) => void tracked.push(`${h} ${ids.join()}`) },
    hosts: { list: () => ['ws1', 'ws2', 'ws3'].map((alias) => ({ alias, status: 'disconnected' })) },
  } as unknown as JobsContext;
  return { started, tracked, pools, ctx };
}

test('Run on Pool on a script: the pool picked, a repeat count asked, N jobs in one run', async () => {
  const f = fixture();
  setSetting('remoteHpc.pools', { lab: { hosts: ['ws1', 'ws2'], slotsPerHost: 2 }, big: { hosts: ['ws3'] } });
  const asked: string[] = [];
  answers.pick = (items, opts) => (asked.push(`${opts?.title}: ${items.map((i) => i.label).join(', ')}`), items.find((i) => i.label === 'lab'));
  answers.input = (opts) => {
    asked.push(`${opts.title}: ${opts.value}`);
    assert.ok(opts.validateInput?.('0'), '0 copies refused');
    assert.ok(opts.validateInput?.('x'), 'not a number refused');
    return '3';
  };
  shown.length = 0;
  try {
    await runOnPool(f.ctx, f.pools, vscode.Uri.file('/work/exp/fit.sh'));
    assert.deepEqual(asked, ['Run on which pool?: lab, big', 'Run fit.sh on pool lab: 1']);
    assert.equal(f.started.length, 1);
    const run = f.started[0] as (typeof f.started)[number];
    assert.deepEqual([run.pool, run.name, posix.normalize(vscode.Uri.parse(run.baseDir ?? '').path)], ['lab', 'fit.sh', '/work/exp']);
    assert.deepEqual(run.jobs.map((j) => [j.name, j.argv.join(' '), j.files.join(), j.repeatIndex]), [
      ['fit.sh #1', 'bash fit.sh', 'fit.sh', 0],
      ['fit.sh #2', 'bash fit.sh', 'fit.sh', 1],
      ['fit.sh #3', 'bash fit.sh', 'fit.sh', 2],
    ]);
    assert.deepEqual(shown, ['info Pool lab: run fit.sh started (3 jobs).']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(f.tracked, ['pool:lab p1.1,p1.2,p1.3']);

    // Dismissing the repeat question starts nothing.
    answers.input = () => undefined;
    await assert.rejects(runOnPool(f.ctx, f.pools, vscode.Uri.file('/work/exp/fit.sh')), { name: 'CancelledError' });
    assert.equal(f.started.length, 1);
    await assert.rejects(runOnPool(f.ctx, f.pools, vscode.Uri.file('/work/exp/notes.txt')), /a \.pool\.json job list or a shell script/);
  } finally {
    delete answers.pick;
    delete answers.input;
    settings.clear();
  }
});

test('Create or Edit Pool: a new pool from the Hosts list with its slots, the other pools kept', async () => {
  const f = fixture();
  setSetting('remoteHpc.pools', { big: { hosts: ['ws3'], slotsPerHost: 1 } });
  answers.pick = ((items: readonly vscode.QuickPickItem[], opts: { title?: string }) => {
    if (opts.title === 'Create or edit which pool?') return items.find((i) => (typeof i === 'string' ? i : i.label).includes('New pool'));
    return items.filter((i) => i.label === 'ws1' || i.label === 'ws2');
  }) as unknown as typeof answers.pick;
  const inputs = ['lab', '2'];
  answers.input = (opts) => {
    if (opts.title === 'New pool') assert.equal(opts.validateInput?.('big'), 'That pool exists');
    else assert.ok(opts.validateInput?.('0'));
    return inputs.shift();
  };
  shown.length = 0;
  try {
    await editPool(f.ctx);
    assert.deepEqual(settings.get('remoteHpc.pools'), { big: { hosts: ['ws3'], slotsPerHost: 1 }, lab: { hosts: ['ws1', 'ws2'], slotsPerHost: 2 } });
    assert.deepEqual(shown, ['info Pool lab: 2 hosts × 2 slots saved in remoteHpc.pools.']);
  } finally {
    delete answers.pick;
    delete answers.input;
    settings.clear();
  }
});

test("a pool job's files are read on its own host (pool hosts need not share a file system)", async () => {
  const asked: string[] = [];
  const remote = { ops: async (h: string) => (asked.push(h), {} as RemoteOps) } as unknown as RemoteOpsProvider;
  await jobOps(remote, { host: 'pool:lab', job: { nodes: 'ws2' } });
  await jobOps(remote, { host: 'pool:lab' });
  await jobOps(remote, { host: 'hpc', job: { nodes: 'node[01-02]' } });
  assert.deepEqual(asked, ['ws2', 'pool:lab', 'hpc']);
});

test('a pick of jobs (the palette) offers pool jobs too', async () => {
  const model = new JobsModel();
  model.setHosts(['hpc', 'pool:lab']);
  model.setActive('pool:lab', [job({ id: 'p1.2', name: 'fit #2' })]);
  const ctx = { model, view: { selection: [] }, hosts: { list: () => [{ alias: 'hpc', status: 'connected' }] } } as unknown as JobsContext;
  const offered: string[] = [];
  answers.pick = (items) => (offered.push(...items.map((i) => i.label)), items.find((i) => i.label.includes('p1.2')));
  try {
    const [t] = await targetsOrPick(ctx, undefined, undefined, { title: 'Cancel which jobs?', many: false });
    assert.deepEqual(offered, ['pool:lab', '$(pulse) p1.2 fit #2']);
    assert.deepEqual([t?.host, t?.id], ['pool:lab', 'p1.2']);
  } finally {
    delete answers.pick;
    model.dispose();
  }
});
