/**
 * SlurmScheduler against the sandbox's real SLURM (22.05 + slurmdbd), over a plain session.
 * Jobs are a second or two long; waits poll every 250 ms with timeouts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { sh, shInput } from '../support/shell';
import { jobProbe } from '../support/schedulerContract';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { SchedulerError, type CommandRunner } from '../../src/core/scheduler/command';
import { SpecError } from '../../src/core/scheduler/slurm/sbatch';

const skip = sandboxSkip();

let session: Awaited<ReturnType<typeof reconnectingSession>>['session'];
let close: () => void;
let runner: ReturnType<typeof sessionRunner>;
let sched: SlurmScheduler;
let user: string;
let dir: string;
const submitted: string[] = [];

const HOSTILE_NAME = `it's "q" $(touch pwned) \`id\` | 名前 ✓`;
const HOSTILE_DIR = `dir with space 'q' $(x) ✓`;

async function writeScript(path: string, body: string): Promise<void> {
  await shInput(session, `#!/bin/bash\n${body}\n`, 'cat > "$1" && chmod +x "$1"', path);
}

// The job as squeue shows it, or its accounting record once it left the queue; waits for a state.
let current: ReturnType<typeof jobProbe>['current'];
let waitState: ReturnType<typeof jobProbe>['waitState'];

/** The controller's attributes of a job (the first section of its details). */
async function controllerRecord(id: string): Promise<Record<string, string>> {
  const d = await sched.details(id);
  assert.equal(d.sections[0]?.source, 'controller');
  return d.sections[0]?.fields ?? {};
}

async function submit(spec: Parameters<SlurmScheduler['submit']>[0]): Promise<string> {
  const { id } = await sched.submit({ cwd: dir, ...spec });
  submitted.push(id);
  return id;
}

before(async () => {
  if (skip) return;
  ({ session, close } = await reconnectingSession());
  runner = sessionRunner(session);
  sched = new SlurmScheduler(runner);
  user = sandbox().user;
  ({ current, waitState } = jobProbe(sched, user));
  const home = await sh(session, 'printf %s "$HOME"');
  dir = `${home}/rhpc-slurm-test-${process.pid}/${HOSTILE_DIR}`;
  await session.exec(['mkdir', '-p', dir]);
  await writeScript(`${dir}/ok ✓ 'x'.sh`, 'echo "hello from $SLURM_JOB_ID"; echo "args:$#:$1"; sleep 1');
});

after(async () => {
  if (skip) return;
  const left = (await sched.list(user)).filter((j) => submitted.includes(j.arrayJobId ?? j.id));
  if (left.length) await sched.cancel([...new Set(left.map((j) => j.arrayJobId ?? j.id))]);
  await session.exec(['rm', '-rf', dir.replace(/\/[^/]*$/, '')]);
  close();
});

test('ping: the controller is up', { skip }, async () => {
  const s = await sched.ping();
  assert.equal(s.up, true);
  assert.match(s.message, /is UP/);
});

test('held → PENDING, released → RUNNING → COMPLETED, exit code 0, output where outputPaths says', { skip }, async () => {
  const id = await submit({ scriptText: '#!/bin/bash\necho "hi $SLURM_JOB_ID"\nsleep 2\n', name: HOSTILE_NAME, hold: true, tags: ['it', 'lifecycle'] });
  const pending = await waitState(id, ['PENDING']);
  assert.equal(pending.reason, 'JobHeldUser');
  assert.equal(pending.name, HOSTILE_NAME, 'name survives squeue unchanged');
  assert.deepEqual(pending.tags, ['it', 'lifecycle']);
  assert.equal(pending.workDir, dir);
  const paths = await sched.outputPaths(id);
  assert.equal(paths.stdout, `${dir}/slurm-${id}.out`);
  assert.equal(paths.stderr, undefined);

  await sched.release([id]);
  const running = await waitState(id, ['RUNNING', 'COMPLETING', 'COMPLETED']);
  assert.ok(['RUNNING', 'COMPLETING', 'COMPLETED'].includes(running.state));
  const done = await waitState(id, ['COMPLETED']);
  assert.equal(done.exitCode, 0);
  assert.equal(done.signal, 0);
  // slurmdbd stores `"` as a backquote, and a latin1 database non-ASCII as '?': accounting names are lossy.
  assert.ok(done.name === HOSTILE_NAME || done.name.startsWith("it's `q` $(touch pwned) `id` | "), done.name);
  const out = await session.exec(['cat', paths.stdout]);
  assert.equal(out.stdout.toString(), `hi ${id}\n`);
  assert.equal((await session.exec(['test', '-e', `${dir}/pwned`])).code, 1, '$() in the name never ran');
});

test('a failing script ends FAILED with its exit code', { skip }, async () => {
  const id = await submit({ scriptText: '#!/bin/bash\necho oops >&2\nexit 3\n', name: 'fails' });
  const j = await waitState(id, ['FAILED']);
  assert.equal(j.exitCode, 3);
  assert.equal(j.signal, 0);
  assert.equal(j.rawState, 'FAILED');
});

test('cancel a running job: CANCELLED (by uid)', { skip }, async () => {
  const id = await submit({ scriptText: '#!/bin/bash\nsleep 120\n', name: 'to cancel' });
  await waitState(id, ['RUNNING']);
  await sched.cancel([id]);
  const j = await waitState(id, ['CANCELLED']);
  assert.match(j.rawState, /^CANCELLED by \d+$/);
});

test('array of 3: tasks listed one by one under the parent; one task cancelled alone', { skip }, async () => {
  const id = await submit({ scriptText: '#!/bin/bash\necho "task $SLURM_ARRAY_TASK_ID"\nsleep 1\n', name: 'arr', array: '0-2', hold: true });
  const tasks = await waitUntil('3 array tasks listed', async () => {
    const t = (await sched.list(user)).filter((j) => j.arrayJobId === id);
    return t.length === 3 ? t : undefined;
  });
  assert.deepEqual(tasks.map((t) => t.id).sort(), [`${id}_0`, `${id}_1`, `${id}_2`]);
  assert.deepEqual(tasks.map((t) => t.arrayTaskId).sort(), ['0', '1', '2']);
  assert.ok(tasks.every((t) => t.state === 'PENDING' && t.name === 'arr'));

  await sched.cancel([id], { arrayTask: 1 });
  await sched.release([id]);
  const finals = await waitUntil('array done', async () => {
    const f = await sched.finalState([id], 1);
    return f.length === 2 && f.every((j) => j.state === 'COMPLETED') ? f : undefined;
  });
  // 22.05: a task cancelled while pending (never split off the array) has no accounting record.
  const byId = Object.fromEntries(finals.map((j) => [j.id, j.state]));
  assert.deepEqual(byId, { [`${id}_0`]: 'COMPLETED', [`${id}_2`]: 'COMPLETED' });
  assert.ok(finals.every((j) => j.arrayJobId === id));
  const out = await session.exec(['cat', `${dir}/slurm-${id}_2.out`]);
  assert.equal(out.stdout.toString(), 'task 2\n');
  assert.equal((await sched.outputPaths(`${id}_2`)).stdout, `${dir}/slurm-${id}_2.out`);
});

test('hold and release a pending job (waiting on a dependency)', { skip }, async () => {
  const first = await submit({ scriptText: '#!/bin/bash\ntrue\n', hold: true, name: 'blocker' });
  const second = await submit({ scriptText: '#!/bin/bash\ntrue\n', dependency: `afterok:${first}`, name: 'dependent' });
  assert.equal((await waitState(second, ['PENDING'])).reason, 'Dependency');
  await sched.hold([second]);
  await waitUntil('held', async () => ((await current(second))?.reason === 'JobHeldUser' ? true : undefined));
  await sched.release([second]);
  await waitUntil('dependency again', async () => ((await current(second))?.reason === 'Dependency' ? true : undefined));
  await sched.cancel([first, second]);
  await waitState(second, ['CANCELLED']);
});

test('requeue a running job: back to pending, Restarts=1', { skip }, async () => {
  const id = await submit({ scriptText: '#!/bin/bash\nsleep 60\n', name: 'requeue me' });
  await waitState(id, ['RUNNING']);
  await sched.requeue([id]);
  const j = await waitState(id, ['PENDING', 'REQUEUED']);
  assert.ok(['PENDING', 'REQUEUED'].includes(j.state));
  const d = await controllerRecord(id);
  assert.equal(d.Restarts, '1');
  await sched.cancel([id]);
  await waitState(id, ['CANCELLED']);
});

test('details: every attribute, StdOut/StdErr expanded from patterns; outputPaths agrees', { skip }, async () => {
  const id = await submit({
    script: `${dir}/ok ✓ 'x'.sh`,
    scriptArgs: ['a b $(c)'],
    name: 'named out',
    output: 'out-%x-%j.txt',
    error: 'err %j.txt',
    hold: true,
    comment: 'free text',
    tags: ['t1'],
    time: '5',
  });
  const d = await controllerRecord(id);
  assert.equal(d.JobId, id);
  assert.equal(d.JobName, 'named out');
  assert.equal(d.JobState, 'PENDING');
  assert.equal(d.WorkDir, dir);
  assert.ok(d.Command?.startsWith(`${dir}/ok ✓ 'x'.sh`), d.Command);
  assert.equal(d.Comment, 'free text; tags=t1');
  assert.equal(d.TimeLimit, '5:00', 'scontrol prints 00:05:00: the one duration format');
  assert.equal(d.StdOut, `${dir}/out-named out-${id}.txt`);
  assert.equal(d.StdErr, `${dir}/err ${id}.txt`);
  assert.ok(Object.keys(d).length > 40, `many attributes (${Object.keys(d).length})`);
  assert.deepEqual(await sched.outputPaths(id), { stdout: `${dir}/out-named out-${id}.txt`, stderr: `${dir}/err ${id}.txt` });

  await sched.release([id]);
  const done = await waitState(id, ['COMPLETED']);
  assert.equal(done.exitCode, 0);
  const out = await session.exec(['cat', `${dir}/out-named out-${id}.txt`]);
  assert.equal(out.stdout.toString(), `hello from ${id}\nargs:1:a b $(c)\n`, 'script path and argument with spaces/quotes/$() intact');
  // Gone from the controller later: details fall back to accounting; paths to what was seen.
  assert.deepEqual(await sched.outputPaths(id), { stdout: `${dir}/out-named out-${id}.txt`, stderr: `${dir}/err ${id}.txt` });
});

test('unknown job: details and outputPaths fail with kind invalid-job', { skip }, async () => {
  await assert.rejects(sched.details('99999999'), (e: unknown) => e instanceof SchedulerError && e.kind === 'invalid-job');
  await assert.rejects(sched.outputPaths('99999999'), (e: unknown) => e instanceof SchedulerError && e.kind === 'invalid-job');
});

test('history: one sacct query lists finished jobs with exit codes', { skip }, async () => {
  const jobs = await sched.history(1);
  assert.ok(jobs.length > 0);
  const mine = jobs.filter((j) => submitted.includes(j.arrayJobId ?? j.id));
  assert.ok(mine.some((j) => j.state === 'FAILED' && j.exitCode === 3));
});

test('unreachable controller: list and ping report it (real error text, sandbox untouched)', { skip }, async () => {
  const conf = (await sh(session, 'cat -- "$1"', sandbox().slurmConf)).replace(/^(SlurmctldPort|MessageTimeout)=.*$/gm, '') + '\nSlurmctldPort=1\nMessageTimeout=1\n';
  const confPath = `/tmp/rhpc-deadctl-${process.pid}.conf`;
  await shInput(session, conf, 'cat > "$1"', confPath);
  const dead: CommandRunner = { run: (argv, opts = {}) => runner.run(argv, { ...opts, env: { ...opts.env, SLURM_CONF: confPath } }) };
  const deadSched = new SlurmScheduler(dead, { timeoutMs: 60_000 });
  try {
    await assert.rejects(deadSched.list(user), (e: unknown) => e instanceof SchedulerError && e.kind === 'unreachable');
    const p = await deadSched.ping();
    assert.equal(p.up, false);
  } finally {
    await session.exec(['rm', '-f', confPath]);
  }
});

test('bad submit specs are refused before anything runs', { skip }, async () => {
  const calls = runner.calls.length;
  await assert.rejects(sched.submit({ scriptText: 'x', extraArgs: ['qos=x'] }), SpecError);
  await assert.rejects(sched.submit({ scriptText: 'x', name: 'a\nb' }), SpecError);
  await assert.rejects(sched.submit({ scriptText: 'x', time: 'soon' }), SpecError);
  await assert.rejects(sched.cancel(['1; rm -rf ~']), /Not a job id/);
  assert.equal(runner.calls.length, calls);
});
