/**
 * The jobs UI's pure pieces against the sandbox's real SLURM: a script's #SBATCH lines merged with
 * host defaults and quick-pick overrides, the New Job form rendered and submitted, and the
 * JobsController (with the real scheduler) moving jobs to Recent and announcing them — arrays
 * grouped and announced once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { sh, shInput } from '../support/shell';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { jobSpecToSubmit } from '../../src/core/scheduler/jobSpec';
import { resolveSubmit, scriptSubmitSpec } from '../../src/core/jobs/submitOptions';
import { parseSbatchDirectives } from '../../src/core/scheduler/slurm/directives';
import { EMPTY_FORM, formToSpec } from '../../src/core/jobs/newJobForm';
import { JobsController } from '../../src/core/jobs/controller';
import { JobsModel } from '../../src/core/jobs/model';
import { groupJobs } from '../../src/core/jobs/grouping';
import type { FinishedNotice } from '../../src/core/jobs/notices';
import { jobContextValue } from '../../src/core/jobs/format';

const skip = sandboxSkip();

let session: Awaited<ReturnType<typeof reconnectingSession>>['session'];
let close: () => void;
let sched: SlurmScheduler;
let user: string;
let dir: string;
const submitted: string[] = [];

before(async () => {
  if (skip) return;
  ({ session, close } = await reconnectingSession());
  sched = new SlurmScheduler(sessionRunner(session));
  user = sandbox().user;
  const home = await sh(session, 'printf %s "$HOME"');
  dir = `${home}/rhpc-jobs-flow-${process.pid}`;
  await session.exec(['mkdir', '-p', dir]);
});

after(async () => {
  if (skip) return;
  const left = (await sched.list(user)).filter((j) => submitted.includes(j.arrayJobId ?? j.id));
  if (left.length) await sched.cancel([...new Set(left.map((j) => j.arrayJobId ?? j.id))]);
  await session.exec(['rm', '-rf', dir]);
  close();
});

test('Submit Job: the script keeps its #SBATCH options; defaults fill the rest; overrides win', { skip }, async () => {
  const script = `${dir}/flow.sbatch`;
  const text = '#!/bin/bash\n#SBATCH --job-name=from-script\n#SBATCH --comment="keep me; tags=old"\necho "in $PWD"\n';
  await shInput(session, text, 'cat > "$1"', script);
  const directives = parseSbatchDirectives(text);
  const resolved = resolveSubmit({ partition: 'debug', time: '5', extraArgs: ['--hold'] }, directives, { tags: ['it', 'flow'], nice: 5 });
  const spec = scriptSubmitSpec(script, dir, resolved, directives);
  assert.equal(spec.name, undefined, 'the script names the job itself');
  const { id } = await sched.submit(spec);
  submitted.push(id);
  const job = await waitUntil('job listed', async () => (await sched.list(user)).find((j) => j.id === id));
  assert.equal(job.name, 'from-script');
  assert.equal(job.partition, 'debug');
  assert.equal(job.timeLimit, '5:00');
  assert.equal(job.comment, 'keep me; tags=it,flow');
  assert.deepEqual(job.tags, ['it', 'flow']);
  assert.equal(job.nice, 5);
  assert.equal(job.workDir, dir, 'runs in the script folder');
  assert.equal(jobContextValue(job), 'job.pending.held', 'held by the default extra arg');
  await sched.cancel([id]);
});

test('New Job form → job description → sbatch: runs with its env, tags and work dir', { skip }, async () => {
  const { spec, errors } = formToSpec({
    ...EMPTY_FORM,
    host: 'hpc-sandbox',
    folder: dir,
    name: 'form-job',
    command: 'echo "msg=$MSG task=${SLURM_ARRAY_TASK_ID:-none}" > out-$SLURM_JOB_ID.txt',
    walltime: '2',
    partition: 'debug',
    tags: 'form, it',
    env: 'MSG=hello world',
  });
  assert.deepEqual(errors, []);
  const { id } = await sched.submit(jobSpecToSubmit({ ...spec, workdir: dir }, sched, { home: dir }));
  submitted.push(id);
  const out = await waitUntil('output file', async () => {
    const r = await session.exec(['cat', `${dir}/out-${id}.txt`]);
    return r.code === 0 && r.stdout.length ? r.stdout.toString() : undefined;
  }, 60_000);
  assert.equal(out, 'msg=hello world task=none\n');
});

test('controller with the real scheduler: finished jobs move to Recent, arrays are grouped and announced once', { skip }, async () => {
  const model = new JobsModel();
  const notices: FinishedNotice[][] = [];
  const hosts = { list: () => [{ alias: 'sandbox', status: 'connected' }], onDidChange: () => ({ dispose() {} }) };
  const controller = new JobsController({
    hosts,
    schedulers: { scheduler: () => sched, user: async () => user, userNames: async () => new Map(), forget: () => undefined },
    model,
    log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    settings: () => ({ pollIntervalSeconds: 5, historyDays: 1, notifyStates: ['COMPLETED', 'FAILED'] }),
    onNotices: (n) => notices.push(n),
    noticeDelayMs: 100,
  });
  try {
    const single = await sched.submit({ scriptText: '#!/bin/bash\nsleep 1\n', name: 'ctl-single', cwd: dir, tags: ['ctl'] });
    const array = await sched.submit({ scriptText: '#!/bin/bash\nsleep 1\n[ "$SLURM_ARRAY_TASK_ID" = 1 ] && exit 4\nexit 0\n', name: 'ctl-array', cwd: dir, array: '0-2' });
    submitted.push(single.id, array.id);
    await waitUntil('user looked up', async () => (model.get('sandbox') ? true : undefined));
    await controller.track('sandbox', [single.id, array.id]);
    const grouped = groupJobs(model.shownActive('sandbox'));
    assert.ok(grouped.some((e) => e.kind === 'array' && e.arrayJobId === array.id), 'array tasks under their parent');
    await waitUntil(
      'both ended',
      async () => {
        await controller.refreshNow('sandbox');
        const recent = model.get('sandbox')?.recent ?? [];
        const done = recent.filter((j) => j.id === single.id || j.arrayJobId === array.id);
        // Count only this test's notices: jobs of other suites on the shared sandbox end too.
        const announced = notices.flat().filter((n) => n.id === single.id || n.id === array.id);
        return done.length === 4 && announced.length >= 2 ? done : undefined;
      },
      90_000,
      1000,
    );
    const flat = notices.flat();
    const mine = flat.filter((n) => n.id === single.id || n.id === array.id);
    assert.equal(mine.length, 2, mine.map((n) => n.message).join(' | '));
    assert.match(mine.find((n) => n.id === single.id)?.message ?? '', /completed/);
    const arr = mine.find((n) => n.id === array.id);
    assert.equal(arr?.severity, 'error');
    assert.match(arr?.message ?? '', /3 tasks ended — 1 failed · 2 completed/);
    assert.deepEqual(model.shownActive('sandbox').filter((j) => j.id === single.id || j.arrayJobId === array.id), []);
  } finally {
    controller.dispose();
  }
});
