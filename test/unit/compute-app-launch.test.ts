/**
 * Starting an interactive app: the private folder and script made by real shell commands (here
 * on this machine, HOME in a temp folder), the waits (queue → starting → ready → forward) against
 * a scripted queue, and what happens on every way it can fail: the job is cancelled, the token is
 * in no argv, spec, log line or message.
 */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lutimesSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_DIR_KEEP_DAYS, launchApp, type AppLaunchDeps, type AppProgress } from '../../src/core/compute/appLaunch';
import { parseAppTemplate, type AppTemplate } from '../../src/core/compute/appTemplates';
import { ForwardTargetError, type PortForward } from '../../src/core/compute/portForwards';
import { CancelledError, TimeLimitError } from '../../src/core/cancel';
import type { Job, JobSubmitSpec } from '../../src/core/scheduler/types';
import { LocalOps } from '../support/localOps';

const template: AppTemplate = parseAppTemplate(
  { id: 'srv', name: 'Srv', script: ['{environment}', 'export SRV_TOKEN={token}', 'exec srv --port {port} --dir {folder}'], ready: 'listening on (?<port>\\d+)', path: '/lab', tokenParam: 'token' },
  0,
);

function job(state: Job['state'], extra: Partial<Job> = {}): Job {
  return { id: '42', name: 'rhpc-srv', user: 'u', state, rawState: state, partition: 'debug', elapsed: '', timeLimit: '5:00', reason: '', nodes: '', workDir: '', comment: '', tags: [], ...extra };
}

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'rhpc-apps-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

interface World {
  deps: AppLaunchDeps;
  ops: LocalOps;
  specs: JobSubmitSpec[];
  cancelled: string[][];
  logs: string[];
  progress: AppProgress[];
  opens: number;
  /** The token and port as the rendered script holds them. */
  secret(): { token: string; port: number; script: string };
}

/** A queue that answers `states` in turn (the last one repeats); `onRunning` runs when RUNNING is first answered. */
function world(states: (Job | undefined)[], onRunning?: (w: World) => void, refuseFirst = 1): World {
  const ops = new LocalOps({ HOME: home });
  const specs: JobSubmitSpec[] = [];
  const cancelled: string[][] = [];
  const logs: string[] = [];
  let i = 0;
  let ran = false;
  const w: World = {
    ops,
    specs,
    cancelled,
    logs,
    progress: [],
    opens: 0,
    secret() {
      const script = readFileSync(specs[0]?.script as string, 'utf8');
      return { script, token: /SRV_TOKEN=(\w+)/.exec(script)?.[1] as string, port: Number(/--port (\d+)/.exec(script)?.[1]) };
    },
    deps: {
      host: 'hpc',
      ops,
      scheduler: {
        submit: async (spec) => (specs.push(spec), { id: '42' }),
        cancel: async (ids) => void cancelled.push(ids),
        expandNodeList: (s) => (s ? s.split(',') : []),
      },
      forwards: {
        open: async (target, opts) => {
          w.opens++;
          if (w.opens <= refuseFirst) throw new ForwardTargetError(target, 'connection refused');
          return { ...target, id: 'f', localPort: 5000, url: `http://127.0.0.1:5000${opts?.path ?? '/'}`, connections: 0 } satisfies PortForward;
        },
      },
      jobState: async () => {
        const s = states[Math.min(i++, states.length - 1)];
        if (s?.state === 'RUNNING' && !ran) {
          ran = true;
          onRunning?.(w);
        }
        return s;
      },
      log: { trace: () => undefined, debug: () => undefined, info: (m: string) => void logs.push(m), warn: (m: string) => void logs.push(m), error: (m: string | Error) => void logs.push(String(m)) },
      pollMs: 5,
    },
  };
  return w;
}

const running = job('RUNNING', { nodes: 'n1' });
const output = (w: World) => w.specs[0]?.output as string;

function noTokenOutside(w: World, token: string, ...texts: string[]) {
  assert.ok(token && token.length >= 32, 'a long random token');
  for (const argv of w.ops.runs) assert.ok(!argv.join(' ').includes(token), `token in argv ${argv.join(' ')}`);
  assert.ok(!JSON.stringify(w.specs).includes(token), 'token in the submit spec');
  for (const t of [...w.logs, ...w.progress.map((p) => p.message), ...texts]) assert.ok(!t.includes(token), `token in ${t}`);
}

test('queued → starting → ready: a private folder and script, the job submitted, the port forwarded once it answers', async () => {
  const w = world([undefined, job('PENDING', { reason: 'Priority' }), job('PENDING', { reason: 'Priority' }), running], (w) => writeFileSync(output(w), `starting\nlistening on ${w.secret().port}\n`));
  const app = await launchApp(w.deps, { template, folder: "/data/it's mine", environment: { modules: ['python/3.11'] }, resources: { time: '5', cpus: 1, mem: '100M' } }, { onProgress: (p) => w.progress.push(p) });
  const { token, port, script } = w.secret();
  assert.equal(app.jobId, '42');
  assert.equal(app.node, 'n1');
  assert.equal(app.forward.port, port);
  assert.equal(app.openUrl, `http://127.0.0.1:5000/lab?token=${token}`);
  assert.equal(app.forward.url, 'http://127.0.0.1:5000/lab', 'the forward shown in the Jobs view has no token');
  assert.ok(app.jobDir.startsWith(join(home, '.cache/remote-hpc/apps/srv.')));
  assert.equal(statSync(app.jobDir).mode & 0o777, 0o700);
  assert.equal(statSync(`${app.jobDir}/app.sh`).mode & 0o777, 0o600);
  assert.match(script, /^module load python\/3\.11 \|\| exit 1$/m);
  assert.match(script, /--dir '\/data\/it'\\''s mine'$/m);
  const spec = w.specs[0] as JobSubmitSpec;
  assert.deepEqual({ ...spec, script: undefined }, { script: undefined, cwd: app.jobDir, name: 'rhpc-srv', output: `${app.jobDir}/output.log`, time: '5', cpusPerTask: 1, mem: '100M' });
  assert.equal(spec.script, `${app.jobDir}/app.sh`);
  assert.deepEqual([...new Set(w.progress.map((p) => p.phase))], ['preparing', 'queued', 'starting', 'forwarding', 'ready']);
  assert.ok(w.progress.some((p) => p.message === 'Srv: job 42 waits in the queue (Priority)…'));
  assert.deepEqual(
    w.progress.filter((p) => p.phase === 'queued').map((p) => p.message),
    ['Srv: job 42 submitted…', 'Srv: job 42 waits in the queue (Priority)…'],
    'the same queue line once',
  );
  assert.ok(w.progress.every((p) => p.phase === 'preparing' || p.jobId === '42'));
  assert.equal(w.opens, 2, 'a refused port is tried again');
  assert.deepEqual(w.cancelled, []);
  noTokenOutside(w, token, app.forward.url);
});

test('the job ends before it is ready: its last output lines (token taken out) in the message, the job cancelled', async () => {
  const w = world([running, running, job('FAILED', { rawState: 'FAILED' })], (w) => writeFileSync(output(w), `token is ${w.secret().token}\nsrv: command not found\n`));
  const err = await launchApp(w.deps, { template, folder: '/', environment: {}, resources: {} }).catch((e: Error) => e);
  assert.ok(err instanceof Error);
  assert.match(err.message, /Srv \(job 42\) ended before it said it was ready \(FAILED\)\. Its output ends:\ntoken is <token>\nsrv: command not found\n Job 42 was cancelled\./);
  assert.deepEqual(w.cancelled, [['42']]);
  noTokenOutside(w, w.secret().token, err.message);
});

test('no readiness line in time: a time limit error that says so, the job cancelled', async () => {
  const w = world([running], (w) => writeFileSync(output(w), 'still loading\n'));
  const err = await launchApp(w.deps, { template: { ...template, readySeconds: 0.05 }, folder: '/', environment: {}, resources: {} }).catch((e: Error) => e);
  assert.ok(err instanceof TimeLimitError, String(err));
  assert.match(err.message, /did not say it was ready within 0 s; it was cancelled\. Its output ends:\nstill loading/);
  assert.deepEqual(w.cancelled, [['42']]);
});

test('too long in the queue, gone from the queue, or ended while pending: clear errors, the job cancelled', async () => {
  const slow = world([job('PENDING', { reason: 'Resources' })]);
  const e1 = await launchApp({ ...slow.deps, queueTimeoutMs: 30 }, { template, folder: '/', environment: {}, resources: {} }).catch((e: Error) => e);
  assert.ok(e1 instanceof TimeLimitError);
  assert.match(e1.message, /Job 42 still waited in the queue after 0 s \(Resources\); it was cancelled/);
  assert.deepEqual(slow.cancelled, [['42']]);
  const gone = world([undefined]);
  const e2 = await launchApp(gone.deps, { template, folder: '/', environment: {}, resources: {} }).catch((e: Error) => e);
  assert.match((e2 as Error).message, /Job 42 is not in the queue any more; it did not start\. Job 42 was cancelled\./);
  const failed = world([job('CANCELLED', { rawState: 'CANCELLED by 0' })]);
  const e3 = await launchApp(failed.deps, { template, folder: '/', environment: {}, resources: {} }).catch((e: Error) => e);
  assert.match((e3 as Error).message, /Job 42 ended \(CANCELLED by 0\) before Srv started/);
});

test('cancel while queued or starting: CancelledError, and scancel of the job', async () => {
  for (const states of [[job('PENDING')], [running]]) {
    const w = world(states);
    const ctl = new AbortController();
    const p = launchApp(w.deps, { template, folder: '/', environment: {}, resources: {} }, { signal: ctl.signal, onProgress: (x) => x.phase === (states[0]?.state === 'PENDING' ? 'queued' : 'starting') && ctl.abort() });
    await assert.rejects(p, CancelledError);
    assert.deepEqual(w.cancelled, [['42']]);
  }
});

test('a port that never answers: the forward wait is bounded too', async () => {
  const w = world([running], (w) => writeFileSync(output(w), `listening on ${w.secret().port}\n`), Infinity);
  const err = await launchApp({ ...w.deps, forwardTimeoutMs: 30 }, { template, folder: '/', environment: {}, resources: {} }).catch((e: Error) => e);
  assert.ok(err instanceof TimeLimitError);
  assert.match(err.message, /Nothing answers on n1:\d+ from hpc .* \(tried for 0 s\)/);
  assert.deepEqual(w.cancelled, [['42']]);
});

test(`earlier apps' folders in which nothing changed for ${APP_DIR_KEEP_DAYS} days go when an app starts; links and live folders stay`, async () => {
  const apps = join(home, '.cache/remote-hpc/apps');
  const old = Date.now() / 1000 - (APP_DIR_KEEP_DAYS + 10) * 86_400;
  const folder = (name: string, files: Record<string, number>) => {
    const d = join(apps, name);
    mkdirSync(d, { recursive: true });
    for (const [f, when] of Object.entries(files)) {
      writeFileSync(join(d, f), 'x');
      utimesSync(join(d, f), when, when);
    }
    utimesSync(d, old, old);
    return d;
  };
  const stale = folder('jupyter-lab.AAAAAA', { 'app.sh': old, 'output.log': old });
  const longJob = folder('jupyter-lab.BBBBBB', { 'app.sh': old, 'output.log': Date.now() / 1000 });
  const recent = join(apps, 'srv.CCCCCC');
  mkdirSync(recent);
  // A link among them (someone else's doing): neither followed nor removed.
  const outside = mkdtempSync(join(tmpdir(), 'rhpc-apps-outside-'));
  writeFileSync(join(outside, 'keep'), 'x');
  utimesSync(join(outside, 'keep'), old, old);
  utimesSync(outside, old, old);
  symlinkSync(outside, join(apps, 'link.DDDDDD'));
  lutimesSync(join(apps, 'link.DDDDDD'), old, old);
  try {
    const w = world([running], (w) => writeFileSync(output(w), `listening on ${w.secret().port}\n`), 0);
    const app = await launchApp(w.deps, { template, folder: '/', environment: {}, resources: {} });
    assert.ok(!existsSync(stale), 'the stale folder is gone');
    assert.ok(existsSync(join(longJob, 'output.log')), "a long job's folder stays while its output grows");
    assert.ok(existsSync(recent), 'a recent folder stays');
    assert.ok(existsSync(join(outside, 'keep')), 'nothing through the link is touched');
    assert.deepEqual(readdirSync(apps).sort(), ['jupyter-lab.BBBBBB', 'link.DDDDDD', app.jobDir.slice(apps.length + 1), 'srv.CCCCCC'].sort());
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});
