/**
 * A JSON job description end to end on the sandbox: validate → stage inputs (SFTP) →
 * render → submit → wait → fetch outputs (SFTP) into a local folder.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { jobSpecToSubmit, planStaging, renderBatchScript, resolveWorkdir, validateJobSpec, type JobSpec } from '../../src/core/scheduler/jobSpec';
import type { Job } from '../../src/core/scheduler/types';

const skip = sandboxSkip();

let conn: Awaited<ReturnType<typeof reconnectingSession>>;
let sched: SlurmScheduler;
let home: string;
let local: string;
const base = `rhpc-spec-${process.pid}`;

const put = (sftp: SFTPWrapper, from: string, to: string) => new Promise<void>((res, rej) => sftp.fastPut(from, to, (e) => (e ? rej(e) : res())));
const get = (sftp: SFTPWrapper, from: string, to: string) => new Promise<void>((res, rej) => sftp.fastGet(from, to, (e) => (e ? rej(e) : res())));

async function finished(id: string): Promise<Job> {
  return waitUntil(`job ${id} to finish`, async () => {
    const f = (await sched.finalState([id], 1)).find((j) => j.id === id);
    return f && ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'].includes(f.state) ? f : undefined;
  }, 60_000);
}

before(async () => {
  if (skip) return;
  conn = await reconnectingSession();
  sched = new SlurmScheduler(sessionRunner(conn.session));
  home = (await conn.session.exec(['sh', '-c', 'printf %s "$HOME"'])).stdout.toString();
  local = mkdtempSync(path.join(tmpdir(), 'rhpc-spec-'));
});

after(async () => {
  if (skip) return;
  await conn.session.exec(['rm', '-rf', `${home}/${base}`]);
  rmSync(local, { recursive: true, force: true });
  conn.close();
});

test('job.json: inputs staged, script rendered and submitted, outputs fetched', { skip }, async () => {
  writeFileSync(path.join(local, 'data file ✓.txt'), '3\n4\n');
  const spec: JobSpec = {
    name: `spec job 'x' $(id)`,
    command: ['sh', '-c', 'awk \'{s+=$1} END {print s}\' "data in.txt" > result.txt; echo "$GREETING"; echo oops >&2'],
    inputs: [{ from: 'data file ✓.txt', to: 'data in.txt' }],
    outputs: ['result.txt'],
    workdir: `~/${base}/w d`,
    walltime: '00:02:00',
    env: { GREETING: "hi 'there' $(nope)" },
    stdout: '%x-%j.out',
    stderr: 'err-%j.txt',
    tags: ['spec', 'it'],
  };
  assert.deepEqual(validateJobSpec(spec), []);
  const workdir = resolveWorkdir(spec.workdir, home) as string;
  assert.equal(workdir, `${home}/${base}/w d`);
  const plan = planStaging(spec, local, workdir, path);
  await conn.session.exec(['mkdir', '-p', workdir]);
  const sftp = await conn.session.sftp();
  for (const u of plan.uploads) await put(sftp, u.local, u.remote);

  const preview = renderBatchScript(spec, { home, source: 'demo.job.json' });
  assert.ok(preview.includes(`#SBATCH --chdir="${workdir}"`), preview);
  const { id } = await sched.submit(jobSpecToSubmit(spec, { home, source: 'demo.job.json' }));
  const job = await finished(id);
  assert.equal(job.state, 'COMPLETED');
  assert.equal(job.exitCode, 0);

  const paths = await sched.outputPaths(id);
  assert.equal(paths.stdout, `${workdir}/spec job 'x' $(id)-${id}.out`);
  assert.equal(paths.stderr, `${workdir}/err-${id}.txt`);
  const into = path.join(local, `job-${id}`);
  rmSync(into, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(into));
  for (const f of [...plan.outputs.map((o) => path.posix.join(workdir, o)), paths.stdout, paths.stderr as string]) {
    await get(sftp, f, path.join(into, path.posix.basename(f)));
  }
  assert.equal(readFileSync(path.join(into, 'result.txt'), 'utf8'), '7\n');
  assert.equal(readFileSync(path.join(into, `spec job 'x' $(id)-${id}.out`), 'utf8'), "hi 'there' $(nope)\n");
  assert.equal(readFileSync(path.join(into, `err-${id}.txt`), 'utf8'), 'oops\n');
  const details = (await sched.details(id)).sections[0]?.fields ?? {};
  assert.equal(details.JobName, `spec job 'x' $(id)`);
  assert.equal(details.Comment, 'tags=spec,it');
  assert.equal(details.TimeLimit, '00:02:00');
});

test('job.json repeat: 3 copies as an array, one output file per task', { skip }, async () => {
  const spec: JobSpec = {
    name: 'repeat',
    command: 'echo "copy $SLURM_ARRAY_TASK_ID" > "copy-$SLURM_ARRAY_TASK_ID.txt"',
    workdir: `${base}/rep`,
    repeat: 3,
    outputs: ['copy-*.txt'],
  };
  assert.deepEqual(validateJobSpec(spec), []);
  await conn.session.exec(['mkdir', '-p', `${home}/${base}/rep`]);
  const { id } = await sched.submit(jobSpecToSubmit(spec, { home }));
  const tasks = await waitUntil('3 tasks done', async () => {
    const f = await sched.finalState([id], 1);
    return f.length === 3 && f.every((j) => j.state === 'COMPLETED') ? f : undefined;
  }, 60_000);
  assert.deepEqual(tasks.map((t) => t.arrayTaskId).sort(), ['0', '1', '2']);
  // Output globs are expanded on the cluster (one ls), then fetched.
  const ls = await conn.session.exec(['sh', '-c', 'cd "$1" && ls -1 -- $2', 'sh', `${home}/${base}/rep`, spec.outputs?.[0] as string]);
  assert.deepEqual(ls.stdout.toString().trim().split('\n'), ['copy-0.txt', 'copy-1.txt', 'copy-2.txt']);
  const cat = await conn.session.exec(['cat', `${home}/${base}/rep/copy-2.txt`]);
  assert.equal(cat.stdout.toString(), 'copy 2\n');
});
