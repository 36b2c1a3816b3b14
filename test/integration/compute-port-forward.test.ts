/**
 * Forward a Port on the sandbox: a batch job serves a page with `python3 -m http.server` on its
 * node; the product's PortForwards (over each transport's session) forwards node:port to a free
 * local port, the page is fetched through it, and closing frees the port. The server is also found
 * in the job's output, as the offer to forward it finds it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectDirect, sandbox, TRANSPORTS, type DirectConnection } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { portFree } from '../support/ports';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { ForwardTargetError, PortForwards } from '../../src/core/compute/portForwards';
import { jobNodes } from '../../src/core/compute/nodeShell';
import { silentLogger } from '../../src/core/log';
import { openRemote } from '../../src/core/remote/openRemote';
import { serversInOutput } from '../../src/core/compute/jobServers';
import type { Job } from '../../src/core/scheduler/types';

const skip = sandboxSkip();

for (const transport of TRANSPORTS) {
  describe(`port forward to a job's server (${transport})`, { skip }, () => {
    let conn: DirectConnection;
    let sched: SlurmScheduler;
    let job: Job;
    let dir: string;
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const page = `page ${randomBytes(6).toString('hex')}`;
    before(async () => {
      conn = await connectDirect({ transport });
      sched = new SlurmScheduler(sessionRunner(conn.session));
      dir = (await conn.session.exec(['mktemp', '-d', '/tmp/rhpc-fwd.XXXXXX'])).stdout.toString().trim();
      await conn.session.exec(['sh', '-c', 'cat > "$1/index.html"', 'sh', dir], { stdin: page });
      const script = `#!/bin/bash\nexec python3 -u -m http.server --bind 0.0.0.0 ${port}\n`;
      const { id } = await sched.submit({ scriptText: script, name: 'rhpc forward', time: '5', cwd: dir });
      job = await waitUntil('the job to run', async () => (await sched.list(sandbox().user)).find((j) => j.id === id && j.state === 'RUNNING'), 60_000);
    });
    after(async () => {
      if (job) await sched.cancel([job.id]).catch(() => undefined);
      await conn?.session.exec(['rm', '-rf', '--', dir]).catch(() => undefined);
      conn?.close();
    });

    test('the page comes through the local port; a port with no server is refused; close frees the port', async () => {
      let leases = 0;
      const forwards = new PortForwards({
        acquire: async () => (leases++, { session: conn.session, release: () => leases-- }),
        log: silentLogger,
      });
      const [node] = jobNodes(sched, job);
      const ops = await openRemote(conn.session, silentLogger);
      const found = await waitUntil('the server in the job output', async () => (await serversInOutput(ops, await sched.outputPaths(job.id))).find((s) => s.port === port), 20_000);
      assert.equal(found.kind, 'http');
      const target = { host: 'sandbox', jobId: job.id, node: node as string, port };
      // The server may still be starting: open refuses until it listens.
      const f = await waitUntil('the server to listen', () => forwards.open(target).catch((e) => (e instanceof ForwardTargetError ? undefined : Promise.reject(e))), 20_000);
      const res = await fetch(f.url);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), page);
      assert.deepEqual(forwards.list('sandbox', job.id).map((x) => x.localPort), [f.localPort]);
      await assert.rejects(forwards.open({ ...target, port: port + 1 }), ForwardTargetError, 'nothing listens on the next port');
      assert.equal(leases, 1);
      forwards.closeJob('sandbox', job.id);
      assert.equal(leases, 0);
      assert.equal(await portFree(f.localPort), true, 'the local port is released');
      forwards.dispose();
    });
  });
}
