/**
 * The interactive apps adapter (vscode fake): a template from the setting started on the only
 * connected host with one Start, the job's folder made by real shell commands here (HOME in a temp
 * folder), a real PortForwards to a local server; the URL with the token goes to the external
 * browser even with the Simple Browser chosen, and never into a message or the forward's URL.
 */
import '../support/vscode/register';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, openedExternally, setSetting, shown, commands } from '../support/vscode/fake';
import { forgetClosedApps, openAppOrForward, startApp } from '../../src/jobs/apps';
import { PortForwards } from '../../src/core/compute/portForwards';
import { silentLogger } from '../../src/core/log';
import type { JobsContext } from '../../src/jobs/context';
import type { Job, JobSubmitSpec } from '../../src/core/scheduler/types';
import { LocalOps } from '../support/localOps';
import { job } from '../support/jobs';
import { waitUntil } from '../support/wait';
import { JobsModel } from '../../src/core/jobs/model';
import { forwardedByItsStarter, offerDetectedServers } from '../../src/jobs/forwards';

const home = mkdtempSync(join(tmpdir(), 'rhpc-apps-ui-'));
after(() => rmSync(home, { recursive: true, force: true }));

test('Start: one pick, the app opens externally with its token; the token is in no message; Open in Browser again; forgotten once closed', async () => {
  const server = createServer((s) => s.end('HTTP/1.0 200 OK\r\n\r\nok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const local = (server.address() as { port: number }).port;
  const forwards = new PortForwards({ acquire: async () => ({ session: { connected: true, forward: async () => connect(local, '127.0.0.1') }, release: () => undefined }), log: silentLogger });
  const forgetting = forgetClosedApps({ forwards });
  const specs: JobSubmitSpec[] = [];
  const cancelled: string[] = [];
  let running: Job | undefined;
  const state = new Map<string, unknown>();
  const ctx = {
    log: silentLogger,
    hosts: { list: () => [{ alias: 'hpc', status: 'connected' }] },
    schedulers: { scheduler: () => ({ submit: async (s: JobSubmitSpec) => (specs.push(s), { id: '77' }), cancel: async (ids: string[]) => void cancelled.push(...ids), expandNodeList: (n: string) => [n] }) },
    remote: { ops: async () => new LocalOps({ HOME: home }) },
    controller: { refreshNow: async () => undefined, track: async () => undefined, expectCancel: () => undefined },
    model: {
      find: () => {
        if (!running) {
          const script = readFileSync(specs[0]?.script as string, 'utf8');
          writeFileSync(specs[0]?.output as string, `Serving HTTP on 0.0.0.0 port ${/--port (\d+)/.exec(script)?.[1]}\n`);
          running = job({ id: '77', state: 'RUNNING', nodes: 'c1' });
        }
        return running;
      },
    },
    forwards,
    state: { get: (k: string, d: unknown) => state.get(k) ?? d, update: async (k: string, v: unknown) => void state.set(k, v) },
  } as unknown as JobsContext;

  setSetting('remoteHpc.forwards.openIn', 'simpleBrowser');
  setSetting('remoteHpc.interactiveApps.templates', [
    { id: 'web', name: 'Web', script: ['{environment}', 'export WEB_TOKEN={token}', 'exec web --port {port} --root {folder}'], ready: 'Serving HTTP on \\S+ port (?<port>\\d+)', tokenParam: 'token', resources: { time: '5' } },
    { id: 'Bad Id', name: 'x', script: 'x {port}', ready: 'x' },
  ]);
  setSetting('remoteHpc.interactiveApps.environment', { hpc: { modules: ['web/1.0'] } });
  const simple: string[] = [];
  const reg = commands.registerCommand('simpleBrowser.show', (u: unknown) => void simple.push(String(u)));
  const picks: string[] = [];
  answers.pick = (items, opts) => {
    picks.push(opts?.title ?? '');
    return items.find((i) => i.label === '$(play) Start') ?? items.find((i) => i.label.includes('Web'));
  };
  answers.input = (o) => (o.prompt?.includes('folder') ? '~/my runs' : undefined);
  try {
    await startApp(ctx, {});
    assert.deepEqual(picks, ['Start which interactive app?', 'Web on hpc']);
    const script = readFileSync(specs[0]?.script as string, 'utf8');
    const token = /WEB_TOKEN=(\w+)/.exec(script)?.[1] as string;
    assert.match(script, /^module load web\/1\.0 \|\| exit 1$/m);
    assert.match(script, /--root "\$HOME"\/'my runs'$/m);
    assert.equal(specs[0]?.time, '5');
    const [f] = forwards.list('hpc', '77');
    assert.ok(f);
    assert.deepEqual(openedExternally, [`${f.url}?token=${token}`], 'the external browser, not the Simple Browser');
    assert.deepEqual(simple, []);
    assert.ok(!f.url.includes(token));
    assert.ok(shown.some((m) => /remoteHpc\.interactiveApps\.templates\[1\]: "id" must be lowercase/.test(m)), 'the bad entry is named');
    assert.ok(shown.some((m) => m.startsWith('info Web runs as job 77 on c1')));
    for (const m of shown) assert.ok(!m.includes(token), m);
    await openAppOrForward(f);
    assert.equal(openedExternally.at(-1), `${f.url}?token=${token}`);
    forwards.close(f.id);
    await openAppOrForward(f);
    assert.deepEqual(simple, [f.url], 'a closed app forgets its token: the plain URL, per the setting');
    assert.deepEqual(cancelled, []);
  } finally {
    reg.dispose();
    forgetting.dispose();
    forwards.dispose();
    server.close();
    delete answers.pick;
    delete answers.input;
    setSetting('remoteHpc.forwards.openIn', undefined);
    setSetting('remoteHpc.interactiveApps.templates', undefined);
    setSetting('remoteHpc.interactiveApps.environment', undefined);
  }
});

test('a bad environment setting is named, with nothing submitted', async () => {
  setSetting('remoteHpc.interactiveApps.environment', { hpc: { modules: 'python' } });
  const ctx = { hosts: { list: () => [{ alias: 'hpc', status: 'connected' }] }, state: { get: (_k: string, d: unknown) => d, update: async () => undefined } } as unknown as JobsContext;
  try {
    await assert.rejects(startApp(ctx, { templateId: 'jupyter-lab' }), { name: 'CancelledError' });
    assert.ok(shown.some((m) => m.includes('error remoteHpc.interactiveApps.environment["hpc"]: "modules" must be an array')));
  } finally {
    setSetting('remoteHpc.interactiveApps.environment', undefined);
  }
});

test("an app's job is not offered again by the server watch (its printed URL carries the token), nor a server forwarded by hand already; another job is", async () => {
  const out = join(home, 'job.out');
  writeFileSync(out, '[I ServerApp] http://c1:8888/lab?token=abc\n');
  const server = createServer((s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const local = (server.address() as { port: number }).port;
  const forwards = new PortForwards({ acquire: async () => ({ session: { connected: true, forward: async () => connect(local, '127.0.0.1') }, release: () => undefined }), log: silentLogger });
  const model = new JobsModel();
  const ctx = {
    log: silentLogger,
    model,
    forwards,
    remote: { ops: async () => new LocalOps({ HOME: home }) },
    schedulers: { scheduler: () => ({ outputPaths: async () => ({ stdout: out }), expandNodeList: (n: string) => [n] }) },
  } as unknown as JobsContext;
  forwardedByItsStarter('hpc', '5');
  // Job 7's 8888 forwarded with Forward a Port… before its output was looked at.
  await forwards.open({ host: 'hpc', jobId: '7', node: 'c1', port: 8888 });
  const watch = offerDetectedServers(ctx);
  try {
    model.setHosts(['hpc']);
    model.setActive('hpc', [job({ id: '5', state: 'RUNNING', nodes: 'c1' }), job({ id: '6', name: 'other', state: 'RUNNING', nodes: 'c1' }), job({ id: '7', name: 'by hand', state: 'RUNNING', nodes: 'c1' })]);
    await waitUntil('the offer', () => shown.some((m) => m.includes('Job 6 (other) started Jupyter Lab')), 5000, 20);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!shown.some((m) => m.includes('Job 5 ')), 'the app job is not offered');
    assert.ok(!shown.some((m) => m.includes('Job 7 ')), 'the server forwarded by hand is not offered');
  } finally {
    watch.dispose();
    forwards.dispose();
    server.close();
  }
});
