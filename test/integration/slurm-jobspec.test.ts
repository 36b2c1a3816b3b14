/**
 * A JSON job description end to end on the sandbox, through the product's own code: validate →
 * stage inputs (core/jobs/staging + stageInputs: a file, a folder and a copy on the cluster) → render → submit →
 * wait → fetch the declared outputs, globs included, and the logs (core/jobs/fetchFiles) into a
 * local folder. Content is compared by SHA-256 on both sides.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sandboxSkip } from '../support/prerequisites';
import { connectDirect } from '../support/sandbox';
import { waitUntil } from '../support/wait';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';
import { fetchJobs, planOutputs } from '../../src/core/jobs/fetchFiles';
import { reviewStaging } from '../../src/core/jobs/staging';
import { stageInputs } from '../../src/core/jobs/stageInputs';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { jobSpecToSubmit, planStaging, renderBatchScript, resolveWorkdir, validateJobSpec, type JobSpec } from '../../src/core/scheduler/jobSpec';
import type { Job } from '../../src/core/scheduler/types';

const skip = sandboxSkip();
const noConflicts = () => Promise.reject(new Error('nothing should be there yet'));

let conn: Awaited<ReturnType<typeof connectDirect>>;
let ops: RemoteOps;
let sched: SlurmScheduler;
let home: string;
let local: string;
const base = `rhpc-spec-${process.pid}`;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** sha256 of each remote file, computed on the cluster. */
async function remoteSha256(files: string[]): Promise<string[]> {
  const r = await ops.run(['sha256sum', '--', ...files]);
  assert.equal(r.code, 0, r.stderr.toString());
  return r.stdout.toString().trim().split('\n').map((l) => l.split(' ')[0] as string);
}

function listLocal(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function finished(id: string): Promise<Job> {
  return waitUntil(`job ${id} to finish`, async () => {
    const f = (await sched.finalState([id], 1)).find((j) => j.id === id);
    return f && ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'].includes(f.state) ? f : undefined;
  }, 60_000);
}

before(async () => {
  if (skip) return;
  conn = await connectDirect();
  ops = await openRemote(conn.session, silentLogger);
  sched = new SlurmScheduler(ops);
  home = await ops.home();
  local = mkdtempSync(path.join(tmpdir(), 'rhpc-spec-'));
});

after(async () => {
  if (skip) return;
  await ops.run(['rm', '-rf', '--', `${home}/${base}`]);
  rmSync(local, { recursive: true, force: true });
  ops.dispose();
  conn.close();
});

test('job.json: inputs staged (file, folder, cluster copy), script rendered and submitted, outputs and logs fetched with globs', { skip }, async () => {
  const src = path.join(local, 'src');
  mkdirSync(path.join(src, 'in dir', 'deep'), { recursive: true });
  const blob = randomBytes(300_000);
  writeFileSync(path.join(src, 'data file ✓.txt'), '3\n4\n');
  writeFileSync(path.join(src, 'in dir', 'blob.bin'), blob);
  writeFileSync(path.join(src, 'in dir', 'deep', "it's.txt"), 'deep\n');
  await ops.run(['sh', '-c', 'mkdir -p "$1" && printf shared > "$1/shared.txt"', 'sh', `${home}/${base}/lib`]);
  const spec: JobSpec = {
    name: `spec job 'x' $(id)`,
    command: ['sh', '-c', [
      'awk \'{s+=$1} END {print s}\' "data in.txt" > result.txt',
      'mkdir -p results && sha256sum "in dir/blob.bin" | cut -c1-64 > results/blob.csv && cat lib.txt > results/lib.csv && echo skip > results/note.log',
      'echo "$GREETING"; echo oops >&2',
    ].join('; ')],
    inputs: [{ from: 'data file ✓.txt', to: 'data in.txt' }, 'in dir', { from: `~/${base}/lib/shared.txt`, to: 'lib.txt', remote: true }],
    outputs: ['result.txt', 'results/*.csv'],
    workdir: `~/${base}/w d`,
    walltime: '00:02:00',
    env: { GREETING: "hi 'there' $(nope)" },
    stdout: '%x-%j.out',
    stderr: 'err-%j.txt',
    tags: ['spec', 'it'],
    // Only on failure: the job succeeds, so no mail is sent (the sandbox has no mailer).
    mail: { to: 'hpcuser@localhost', on: ['fail'] },
  };
  assert.deepEqual(validateJobSpec(spec), []);
  const workdir = resolveWorkdir(spec.workdir, home) as string;
  assert.equal(workdir, `${home}/${base}/w d`);

  const steps: string[] = [];
  // What Submit does: plan, review (inputs outside the job file's folder flagged), stage.
  const plan = planStaging(spec, src, workdir, path);
  const review = await reviewStaging({ plan, specDir: src, remoteSpec: false, workdir, home });
  assert.deepEqual(review.outside, [], 'every local input is inside the job file folder');
  await stageInputs(ops, review, { onStep: (what, done, total) => steps.push(`${what} ${done}/${total}`) });
  assert.deepEqual(steps, ['uploading data file ✓.txt 1/3', 'uploading in dir 2/3', 'copying shared.txt 3/3']);
  // Staged on the cluster, byte for byte.
  assert.deepEqual(
    await remoteSha256([`${workdir}/data in.txt`, `${workdir}/in dir/blob.bin`, `${workdir}/in dir/deep/it's.txt`, `${workdir}/lib.txt`]),
    [sha256('3\n4\n'), sha256(blob), sha256('deep\n'), sha256('shared')],
  );

  const preview = renderBatchScript(spec, sched, { home, source: 'demo.job.json' });
  assert.ok(preview.includes(`#SBATCH --chdir="${workdir}"`), preview);
  const { id } = await sched.submit(jobSpecToSubmit(spec, sched, { home, source: 'demo.job.json' }));
  const job = await finished(id);
  assert.equal(job.state, 'COMPLETED');
  assert.equal(job.exitCode, 0);

  // Declared outputs: the glob takes the .csv files, not the .log beside them.
  const outputs = await planOutputs(ops, workdir, plan.outputs);
  assert.deepEqual(outputs.missing, []);
  assert.deepEqual(outputs.files.map((f) => f.relative).sort(), ['result.txt', 'results/blob.csv', 'results/lib.csv']);
  const paths = await sched.outputPaths(id);
  assert.equal(paths.stdout, `${workdir}/spec job 'x' $(id)-${id}.out`);
  assert.equal(paths.stderr, `${workdir}/err-${id}.txt`);
  const into = path.join(local, `job-${id}`);
  mkdirSync(into); // the folder the user picked
  const logs = [paths.stdout, paths.stderr as string].map((p) => ({ remote: p, relative: path.posix.basename(p) }));
  const got = await fetchJobs(into, [{ ops, id, files: [...outputs.files, ...logs] }], { perJobFolder: false, resolve: noConflicts });
  assert.deepEqual(got.failed, []);
  assert.equal(got.counts.written, 5);

  assert.deepEqual(listLocal(into), [`err-${id}.txt`, 'result.txt', 'results/blob.csv', 'results/lib.csv', `spec job 'x' $(id)-${id}.out`].sort());
  assert.equal(readFileSync(path.join(into, 'result.txt'), 'utf8'), '7\n');
  assert.equal(readFileSync(path.join(into, 'results', 'blob.csv'), 'utf8'), `${sha256(blob)}\n`, 'the job saw the uploaded bytes');
  assert.equal(readFileSync(path.join(into, 'results', 'lib.csv'), 'utf8'), 'shared');
  assert.equal(readFileSync(path.join(into, `spec job 'x' $(id)-${id}.out`), 'utf8'), "hi 'there' $(nope)\n");
  assert.equal(readFileSync(path.join(into, `err-${id}.txt`), 'utf8'), 'oops\n');
  const details = (await sched.details(id)).sections[0]?.fields ?? {};
  assert.equal(details.JobName, `spec job 'x' $(id)`);
  assert.equal(details.Comment, 'tags=spec,it');
  assert.equal(details.TimeLimit, '2:00', 'durations in the one neutral format');
  assert.equal(details.MailUser, 'hpcuser@localhost');
  assert.equal(details.MailType, 'FAIL');
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
  await ops.mkdir(`${home}/${base}/rep`, { recursive: true });
  const { id } = await sched.submit(jobSpecToSubmit(spec, sched, { home }));
  const tasks = await waitUntil('3 tasks done', async () => {
    const f = await sched.finalState([id], 1);
    return f.length === 3 && f.every((j) => j.state === 'COMPLETED') ? f : undefined;
  }, 60_000);
  assert.deepEqual(tasks.map((t) => t.arrayTaskId).sort(), ['0', '1', '2']);
  // The output glob expanded by Fetch Outputs' own code, then fetched by it.
  const outputs = await planOutputs(ops, `${home}/${base}/rep`, spec.outputs ?? []);
  assert.deepEqual(outputs.files.map((f) => f.relative).sort(), ['copy-0.txt', 'copy-1.txt', 'copy-2.txt']);
  const into = path.join(local, `rep-${id}`);
  mkdirSync(into);
  await fetchJobs(into, [{ ops, id, files: outputs.files }], { perJobFolder: false, resolve: noConflicts });
  assert.deepEqual(listLocal(into).map((f) => readFileSync(path.join(into, f), 'utf8')), ['copy 0\n', 'copy 1\n', 'copy 2\n']);
});
