/**
 * The scheduler over the real RemoteOps (agent argv `run`, and the SFTP fallback's quoted exec),
 * and live job output through RemoteOps.follow, stopping by itself when the job ends.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectDirect, sandbox, TRANSPORTS, type TransportKind } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { waitUntil } from '../support/wait';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { JobWatcher } from '../../src/core/scheduler/watcher';
import { tailJobOutput, whenJobFinished, type TailEndReason } from '../../src/core/scheduler/tail';
import type { RemoteOps } from '../../src/core/remote/types';

const skip = sandboxSkip();
const conns: Partial<Record<TransportKind, Awaited<ReturnType<typeof connectDirect>>>> = {};
const opened: RemoteOps[] = [];

before(async () => {
  if (!skip) for (const t of TRANSPORTS) conns[t] = await connectDirect({ transport: t });
});
after(() => {
  if (skip) return;
  for (const o of opened) o.dispose();
  for (const c of Object.values(conns)) c.close();
});

for (const transport of TRANSPORTS)
for (const kind of ['agent', 'sftp'] as const) {
  test(`over RemoteOps (${kind}, ${transport}): submit, list, tail the output live until the job ends`, { skip }, async () => {
    const ops = await openRemote(conns[transport]!.session, silentLogger, { forceFallback: kind === 'sftp' });
    opened.push(ops);
    assert.equal(ops.kind, kind);
    const sched = new SlurmScheduler(ops);
    const home = await ops.home();
    const name = `tail 'me' ${kind} ✓`;
    const { id } = await sched.submit({
      scriptText: '#!/bin/bash\nfor i in 1 2 3 4; do echo "line $i"; sleep 0.4; done\necho done >&2\n',
      name,
      hold: true,
      cwd: home,
      output: 'rhpc-tail-%j.out',
    });
    const listed = (await sched.list(sandbox().user)).find((j) => j.id === id);
    assert.equal(listed?.name, name);
    const paths = await sched.outputPaths(id);
    assert.equal(paths.stdout, `${home}/rhpc-tail-${id}.out`);

    const w = new JobWatcher({ intervalMs: 300, maxIntervalMs: 600, jitter: 0, maxQueriesPerMinute: Infinity }); // fast cycles: no per-minute cap here
    w.setVisible(true);
    w.addHost('sandbox', sched, sandbox().user);
    const ended = whenJobFinished(w, 'sandbox', id);
    const chunks: Buffer[] = [];
    const offsets: number[] = [];
    let endReason: TailEndReason | undefined;
    const tailEnded = new Promise<void>((resolve) => {
      tailJobOutput(ops, paths.stdout, {
        onData: (c, off) => {
          offsets.push(off);
          chunks.push(c);
        },
        onEnd: (r) => {
          endReason = r;
          resolve();
        },
        jobEnded: ended.promise,
        quietMs: 1000,
      });
    });
    try {
      await sched.release([id]);
      await w.track('sandbox', [id]);
      await waitUntil('tail to end', async () => (endReason ? true : undefined), 60_000);
      await tailEnded;
      assert.equal(endReason, 'job-ended');
      assert.equal(Buffer.concat(chunks).toString(), 'line 1\nline 2\nline 3\nline 4\ndone\n');
      assert.ok(chunks.length >= 2, `arrived in pieces while the job ran (${chunks.length})`);
      let expect = 0;
      for (let i = 0; i < offsets.length; i++) {
        assert.equal(offsets[i], expect, 'each byte exactly once, in order');
        expect += (chunks[i] as Buffer).length;
      }
      const job = await ended.promise;
      assert.equal(job.state, 'COMPLETED');
      assert.equal(job.exitCode, 0);
    } finally {
      w.dispose();
      await ops.run(['rm', '-f', paths.stdout]);
    }
  });
}
