/**
 * Waiting for jobs (the `remote-hpc` task's and the API's core) and settings that live on the
 * cluster, against the sandbox's real SLURM and sshd:
 * - followJob with a JobsController over the real scheduler: a job's output arrives while it
 *   runs, and the end gives its exit code — non-zero (the job's own 3) when the job fails, 0 when
 *   it completes; waiting (whenFinished) resolves with the final state from accounting.
 * - the cluster settings file written by one "profile" (its own session, ops and nothing kept)
 *   is read by another after connecting, under that profile's local settings (local wins, origin
 *   shown); a file that is not JSON is reported and never replaced without the caller's yes; an
 *   oversized one is not read. The file lives in a test folder standing in for the home folder
 *   (the real ~/.config/remote-hpc is read by every e2e connect in the other lane).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectDirect, sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { sh } from '../support/shell';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { JobsController } from '../../src/core/jobs/controller';
import { JobsModel } from '../../src/core/jobs/model';
import { followJob, jobExitCode } from '../../src/core/jobs/followJob';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import { clusterSettingsPath, InvalidClusterSettings, MAX_CLUSTER_SETTINGS_BYTES, readClusterSettings, saveClusterDefaults } from '../../src/core/jobs/clusterSettings';
import { defaultsFor, mergeDefaults } from '../../src/core/jobs/submitOptions';
import type { RemoteOps } from '../../src/core/remote/types';

const skip = sandboxSkip();

let session: Awaited<ReturnType<typeof reconnectingSession>>['session'];
let close: () => void;
let sched: SlurmScheduler;
let dir: string;
const submitted: string[] = [];

before(async () => {
  if (skip) return;
  ({ session, close } = await reconnectingSession());
  sched = new SlurmScheduler(sessionRunner(session));
  const home = await sh(session, 'printf %s "$HOME"');
  dir = `${home}/rhpc-wait-${process.pid}`;
  await session.exec(['mkdir', '-p', dir]);
});

after(async () => {
  if (skip) return;
  const left = (await sched.list(sandbox().user)).filter((j) => submitted.includes(j.id));
  if (left.length) await sched.cancel(left.map((j) => j.id));
  await session.exec(['rm', '-rf', dir]);
  close();
});

test('followJob: live output, then the exit code of a failing job (3) and of a completing one (0)', { skip, timeout: 90_000 }, async () => {
  const model = new JobsModel();
  const controller = new JobsController({
    hosts: { list: () => [{ alias: 'sandbox', status: 'connected' }], onDidChange: () => ({ dispose() {} }) },
    schedulers: { scheduler: () => sched, user: async () => sandbox().user, userNames: async () => new Map(), forget: () => undefined },
    model,
    log: silentLogger,
    settings: () => ({ pollIntervalSeconds: 5, historyDays: 0, notifyStates: [] }),
    onNotices: () => undefined,
    maxQueriesPerMinute: Infinity,
    jitter: 0,
  });
  const direct = await connectDirect();
  const ops = await openRemote(direct.session, silentLogger);
  try {
    const fail = await sched.submit({ scriptText: '#!/bin/bash\necho first line\nsleep 2\necho to-stderr >&2\necho last line\nexit 3\n', name: 'wait-fail', cwd: dir, error: `${dir}/fail-%j.err` });
    const ok = await sched.submit({ scriptText: '#!/bin/bash\necho fine\n', name: 'wait-ok', cwd: dir });
    submitted.push(fail.id, ok.id);
    void controller.track('sandbox', [fail.id, ok.id]);
    const deps = (id: string) => ({ ops, outputPaths: (j: string) => sched.outputPaths(j), whenFinished: () => controller.whenFinished('sandbox', id) });
    const out = { stdout: '', stderr: '' };
    let sawOutputBeforeEnd = false;
    const isEnded = (id: string) => model.find('sandbox', id)?.state === 'FAILED';
    const followed = followJob(deps(fail.id), fail.id, {
      onOutput: (chunk, stream) => {
        out[stream] += chunk.toString();
        if (!isEnded(fail.id)) sawOutputBeforeEnd = true;
      },
    });
    const waited = controller.whenFinished('sandbox', fail.id).promise;
    const job = await followed.done;
    assert.equal(out.stdout, 'first line\nlast line\n');
    assert.equal(out.stderr, 'to-stderr\n', 'stderr in its own file is followed too');
    assert.ok(sawOutputBeforeEnd, 'output arrived while the job ran');
    assert.equal(job.state, 'FAILED');
    assert.equal(job.exitCode, 3);
    assert.equal(jobExitCode(job), 3, 'the task fails with the job\'s exit code');
    assert.equal((await waited).state, 'FAILED', 'wait() resolves with the final state');

    let okOut = '';
    const okJob = await followJob(deps(ok.id), ok.id, { onOutput: (c) => (okOut += c.toString()) }).done;
    assert.equal(okOut, 'fine\n');
    assert.equal(okJob.state, 'COMPLETED');
    assert.equal(jobExitCode(okJob), 0);
  } finally {
    controller.dispose();
    ops.dispose();
    direct.close();
  }
});

/** A profile's view of the host: its own ops, whose home is the test folder. */
async function profileOps(kind: 'agent' | 'sftp', home: string): Promise<{ ops: RemoteOps; close(): void }> {
  const conn = await connectDirect();
  const ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
  const scoped = new Proxy(ops, {
    get: (target, key) => {
      if (key === 'home') return async () => home;
      const v: unknown = Reflect.get(target, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    ops: scoped,
    close: () => {
      ops.dispose();
      conn.close();
    },
  };
}

for (const kind of ['agent', 'sftp'] as const)
  test(`cluster settings over ${kind}: saved by one profile, read by another under its local settings; bad JSON reported and kept`, { skip, timeout: 60_000 }, async () => {
    const home = `${dir}/home-${kind}`;
    await session.exec(['mkdir', '-p', home]);
    const path = clusterSettingsPath(home);
    const laptop = await profileOps(kind, home);
    try {
      assert.equal((await readClusterSettings(laptop.ops)).kind, 'missing');
      const saved = await saveClusterDefaults(laptop.ops, { partition: 'debug', account: 'proj', time: '30', mailType: ['end', 'fail'], mailUser: 'me@lab.example' });
      assert.equal(saved.path, path);
      assert.equal(saved.inPlace, false, 'written atomically (temp file + rename)');
      // Another key of the file (a pool, written by hand) survives a save.
      await session.exec(['sh', '-c', `python3 - "$1" <<'EOF'\nimport json,sys\np=sys.argv[1]\nd=json.load(open(p))\nd['pools']={'lab':{'hosts':['ws1']}}\njson.dump(d,open(p,'w'))\nEOF`, 'sh', path]);
      await saveClusterDefaults(laptop.ops, { partition: 'debug', account: 'proj', time: '30', mailType: ['end', 'fail'], mailUser: 'me@lab.example' });
    } finally {
      laptop.close();
    }

    const desktop = await profileOps(kind, home);
    try {
      const read = await readClusterSettings(desktop.ops);
      assert.equal(read.kind, 'ok');
      if (read.kind !== 'ok') return;
      assert.deepEqual(read.raw.pools, { lab: { hosts: ['ws1'] } }, 'other keys are kept');
      const local = defaultsFor({ hpc: { time: '5' } }, 'hpc');
      const { defaults, origin } = mergeDefaults(local, read.defaults);
      assert.deepEqual(defaults, { partition: 'debug', account: 'proj', time: '5', mailUser: 'me@lab.example', mailType: ['end', 'fail'] });
      assert.deepEqual(origin, { partition: 'cluster', account: 'cluster', time: 'local', mailUser: 'cluster', mailType: 'cluster' });

      const bad = '{ "jobs": { "defaults": { "partition": "debug", } }';
      await session.exec(['sh', '-c', 'printf %s "$2" > "$1"', 'sh', path, bad]);
      const invalid = await readClusterSettings(desktop.ops);
      assert.equal(invalid.kind, 'invalid');
      assert.match(invalid.kind === 'invalid' ? invalid.message : '', /not valid JSON/);
      await assert.rejects(saveClusterDefaults(desktop.ops, { partition: 'other' }), InvalidClusterSettings);
      assert.equal(await sh(session, 'cat "$1"', path), bad, 'never overwritten without a yes');
      await saveClusterDefaults(desktop.ops, { partition: 'other' }, { replaceInvalid: true });
      const replaced = await readClusterSettings(desktop.ops);
      assert.deepEqual(replaced.kind === 'ok' ? replaced.defaults : undefined, { partition: 'other' });

      await session.exec(['truncate', '-s', String(MAX_CLUSTER_SETTINGS_BYTES + 1), path]);
      const big = await readClusterSettings(desktop.ops);
      assert.equal(big.kind, 'invalid', 'an oversized file is not read');
      assert.match(big.kind === 'invalid' ? big.message : '', /bytes/);
    } finally {
      desktop.close();
    }
  });
