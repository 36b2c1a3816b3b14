/**
 * Interactive apps on the sandbox, through the product's own launcher (launchApp): a template as
 * a user writes it in remoteHpc.interactiveApps.templates, whose server is a tiny
 * `python3 -m http.server` readiness stand-in (Jupyter is not installed there), on a folder with
 * a hostile name. Submit, ready, forward, the page through the local port; the script private
 * (0600 in a 0700 folder) and the token in no process's argv; cancel ends the job (squeue lists
 * nothing left) and the forward closes. A server that never says it is ready is cancelled at its
 * time limit. Every test has its own time limit; every job is scancelled in `after`.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectDirect, sandbox, type DirectConnection } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sessionRunner } from '../support/schedulerRunner';
import { waitUntil } from '../support/wait';
import { portFree } from '../support/ports';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import { PortForwards } from '../../src/core/compute/portForwards';
import { launchApp, type AppLaunchDeps, type AppProgress } from '../../src/core/compute/appLaunch';
import { parseAppTemplate } from '../../src/core/compute/appTemplates';
import { TimeLimitError } from '../../src/core/cancel';
import { silentLogger } from '../../src/core/log';
import { openRemote } from '../../src/core/remote/openRemote';
import type { RemoteOps } from '../../src/core/remote/types';

const skip = sandboxSkip();
const TEST_LIMIT = { timeout: 90_000 };

describe('interactive apps on the sandbox (launchApp: submit, ready, forward, cancel)', { skip }, () => {
  let conn: DirectConnection;
  let sched: SlurmScheduler;
  let ops: RemoteOps;
  let forwards: PortForwards;
  let dir = '';
  const jobs: string[] = [];
  const dirs: string[] = [];
  const page = `app page ${randomBytes(6).toString('hex')}`;

  before(async () => {
    conn = await connectDirect();
    sched = new SlurmScheduler(sessionRunner(conn.session));
    ops = await openRemote(conn.session, silentLogger);
    forwards = new PortForwards({ acquire: async () => ({ session: conn.session, release: () => undefined }), log: silentLogger });
    // A folder name no shell line could carry unquoted.
    const base = (await conn.session.exec(['mktemp', '-d', '/tmp/rhpc-apps.XXXXXX'])).stdout.toString().trim();
    dir = `${base}/it's $(touch pwned) "runs"`;
    await conn.session.exec(['sh', '-c', 'mkdir -p -- "$1" && printf "%s" "$2" > "$1/index.html"', 'sh', dir, page]);
    dirs.push(base);
  });
  after(async () => {
    if (jobs.length) await sched?.cancel(jobs).catch(() => undefined);
    forwards?.dispose();
    for (const d of dirs) await conn?.session.exec(['rm', '-rf', '--', d]).catch(() => undefined);
    // The private folders of this file's templates (a failed start leaves its folder, with its output).
    await conn?.session.exec(['sh', '-c', 'rm -rf -- "$HOME"/.cache/remote-hpc/apps/http-standin.* "$HOME"/.cache/remote-hpc/apps/never-ready.*']).catch(() => undefined);
    ops?.dispose();
    conn?.close();
  });

  const deps = (): AppLaunchDeps => ({
    host: 'sandbox',
    scheduler: {
      submit: async (spec) => {
        const r = await sched.submit(spec);
        jobs.push(r.id);
        return r;
      },
      cancel: (ids) => sched.cancel(ids),
      expandNodeList: (n) => sched.expandNodeList(n),
    },
    ops,
    forwards,
    jobState: async (id) => (await sched.list(sandbox().user)).find((j) => j.id === id),
    log: silentLogger,
    pollMs: 500,
    queueTimeoutMs: 60_000,
  });

  test('the stand-in server comes up on the node and its page comes through the local port; cancel ends it all', TEST_LIMIT, async (t) => {
    const template = parseAppTemplate(
      {
        id: 'http-standin',
        name: 'HTTP stand-in',
        script: ['{environment}', 'export APP_TOKEN={token}', 'cd {folder} || exit 1', 'exec python3 -u -m http.server --bind 0.0.0.0 {port}'],
        ready: 'Serving HTTP on \\S+ port (?<port>\\d+)',
        tokenParam: 'token',
        readySeconds: 30,
        resources: { time: '5', cpus: 1 },
      },
      0,
    );
    const progress: AppProgress[] = [];
    const started = Date.now();
    const app = await launchApp(deps(), { template, folder: dir, environment: { commands: ['echo "environment ran"'] }, resources: template.resources }, { onProgress: (p) => progress.push(p) });
    dirs.push(app.jobDir);
    t.diagnostic(`submit → ready → forwarded in ${((Date.now() - started) / 1000).toFixed(1)} s (poll 0.5 s)`);
    assert.ok(progress.some((p) => p.phase === 'starting') && progress.at(-1)?.phase === 'ready', progress.map((p) => p.phase).join(' '));

    const res = await fetch(app.forward.url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), page);
    assert.match(app.openUrl, new RegExp(`^${app.forward.url.replace(/[.?/]/g, '\\$&')}\\?token=[0-9a-f]{48}$`));
    const token = /token=([0-9a-f]+)/.exec(app.openUrl)?.[1] as string;

    // Private: the folder 0700, the script 0600; the token in the script, in no command line on the cluster.
    const [d, s] = await ops.stat([app.jobDir, `${app.jobDir}/app.sh`]);
    assert.equal((d?.mode ?? 0) & 0o777, 0o700);
    assert.equal((s?.mode ?? 0) & 0o777, 0o600);
    assert.ok((await ops.readFile(`${app.jobDir}/app.sh`)).toString('utf8').includes(`APP_TOKEN=${token}`));
    const ps = (await conn.session.exec(['ps', '-eo', 'args'])).stdout.toString('utf8');
    assert.match(ps, /http\.server --bind 0\.0\.0\.0/);
    assert.ok(!ps.includes(token), 'the token is in no argv');
    assert.match((await ops.readFile(`${app.jobDir}/output.log`)).toString('utf8'), /environment ran/);

    // Cancel: the job leaves the queue, its forward closes, the local port is free again.
    await sched.cancel([app.jobId]);
    await waitUntil('the job to leave the queue', async () => !(await sched.list(sandbox().user)).some((j) => j.id === app.jobId), 30_000, 500);
    forwards.closeJob('sandbox', app.jobId);
    assert.deepEqual(forwards.list('sandbox', app.jobId), []);
    assert.equal(await portFree(app.forward.localPort), true);
    assert.deepEqual((await sched.list(sandbox().user)).filter((j) => jobs.includes(j.id)).map((j) => j.id), [], 'squeue lists none of our jobs');
  });

  test('a server that never says it is ready is cancelled at its time limit, with its output in the message', TEST_LIMIT, async () => {
    const template = parseAppTemplate({ id: 'never-ready', name: 'Never ready', script: ['echo loading {port}', 'exec sleep 120'], ready: '^up$', readySeconds: 5, resources: { time: '5', cpus: 1 } }, 0);
    const err = await launchApp(deps(), { template, folder: '/', environment: {}, resources: template.resources }).catch((e: Error) => e);
    assert.ok(err instanceof TimeLimitError, String(err));
    assert.match(err.message, /Never ready \(job \d+\) did not say it was ready within 5 s; it was cancelled\. Its output ends:\nloading \d+/);
    const id = /job (\d+)/.exec(err.message)?.[1] as string;
    await waitUntil('the cancelled job to leave the queue', async () => !(await sched.list(sandbox().user)).some((j) => j.id === id), 30_000, 500);
  });
});
