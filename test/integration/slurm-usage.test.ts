/**
 * What a job uses, on the sandbox: a job holds 200 MiB with --mem=400M; sstat (live, through the
 * scheduler) sees the memory while it runs, and once it ended accounting gives seff's figures
 * (about half of the requested memory) and the Show Details section says so; sinfo lists the partition.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectDirect, sandbox, type DirectConnection } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { job } from '../support/jobs';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { efficiencyFractions } from '../../src/core/jobs/usageText';
import { usageSection, withEfficiency } from '../../src/core/jobs/usage';

const skip = sandboxSkip();
const MiB = 1024 * 1024;
let conn: DirectConnection;
let sched: SlurmScheduler;
let id: string;

before(async () => {
  if (skip) return;
  conn = await connectDirect();
  sched = new SlurmScheduler(sessionRunner(conn.session));
  const script = '#!/usr/bin/env python3\nimport time\nx = bytearray(200 * 1024 * 1024)\nt = time.time()\nwhile time.time() - t < 2: pass\ntime.sleep(3)\n';
  ({ id } = await sched.submit({ scriptText: script, name: 'rhpc usage', mem: '400M', cpusPerTask: 1, time: '2', cwd: '/tmp', output: '/dev/null' }));
});

after(async () => {
  if (skip) return;
  await sched.cancel([id]).catch(() => undefined);
  conn.close();
});

test('live memory while it runs, seff figures once it ended (one command each, batched ids)', { skip }, async () => {
  const user = sandbox().user;
  const live = await waitUntil('sstat to see the 200 MiB', async () => {
    const [u] = await sched.usage([id, '999999']);
    return u && u.maxRssBytes >= 190 * MiB ? u : undefined;
  }, 30_000, 300);
  assert.equal(live.id, id);
  assert.ok(live.memoryBytes >= 190 * MiB && live.memoryBytes < 260 * MiB, `memory now ${live.memoryBytes}`);
  await waitUntil('the job to end', async () => !(await sched.list(user)).some((j) => j.id === id), 30_000, 300);
  const e = await waitUntil('accounting of its steps', async () => (await sched.efficiency([id])).find((x) => x.maxRssBytes !== undefined), 30_000, 300);
  const f = efficiencyFractions(e);
  assert.equal(e.requestedMemoryBytes, 400 * MiB);
  assert.ok(f.memory !== undefined && f.memory > 0.45 && f.memory < 0.65, `memory efficiency ${f.memory}`);
  assert.ok(f.cpu !== undefined && f.cpu > 0.1 && f.cpu <= 1.05, `CPU efficiency ${f.cpu}`);
  assert.equal(e.timeLimitSeconds, 120);
  const section = await usageSection(sched, { id, elapsed: '', state: 'COMPLETED' });
  assert.match(section?.fields['Memory efficiency'] ?? '', /^(4[5-9]|5\d|6[0-4]) % \(2\d\d MB of 400 MB requested\)$/);
  const [notice] = await withEfficiency([{ host: 'sandbox', id, message: `Job ${id} completed`, jobs: [job({ id, state: 'COMPLETED' })] }], () => sched);
  assert.match(notice?.message ?? '', / — used \d+ % of requested memory, \d+ % CPU efficiency$/);
});

test('partitions from sinfo: the sandbox partition, default and up, with its node', { skip }, async () => {
  const [p, ...rest] = await sched.partitions();
  assert.deepEqual(rest, []);
  assert.equal(p?.name, sandbox().partition);
  assert.equal(p?.isDefault, true);
  assert.equal(p?.up, true);
  assert.equal(p?.nodes.total, 1);
});
