/** Forwards in the Jobs view (vscode fake, real JobsModel and PortForwards) and the port input. */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import * as vscode from 'vscode';
import { JobsTreeProvider } from '../../src/jobs/tree';
import { parsePortInput, serverTarget } from '../../src/jobs/forwards';
import { JobsModel } from '../../src/core/jobs/model';
import { PortForwards } from '../../src/core/compute/portForwards';
import { silentLogger } from '../../src/core/log';
import { job } from '../support/jobs';

test('the port input takes 8888 or node:8888 of the job, nothing else', () => {
  assert.deepEqual(parsePortInput(' 8888 ', ['c1']), { port: 8888 });
  assert.deepEqual(parsePortInput('c2:6006', ['c1', 'c2']), { node: 'c2', port: 6006 });
  assert.match(parsePortInput('c3:6006', ['c1', 'c2']) as string, /not a node of this job/);
  assert.match(parsePortInput('70000', ['c1']) as string, /1 to 65535/);
  for (const bad of ['', 'x', '$(id):80', '80;ls', '-1']) assert.equal(typeof parsePortInput(bad, ['c1']), 'string', bad);
});

test('a printed server is forwarded from its node when named, from its address when printed, else from the first node', () => {
  assert.equal(serverTarget({ host: 'c2' }, ['c1', 'c2']), 'c2');
  assert.equal(serverTarget({ host: '10.1.4.42' }, ['c1']), '10.1.4.42');
  assert.equal(serverTarget({ host: '0.0.0.0' }, ['c1']), 'c1');
  assert.equal(serverTarget({ host: 'c042.cluster.example' }, ['c042']), 'c042');
});

test('a forward shows under its running job (expanded), clicking opens it; gone when closed', async () => {
  const server = createServer((s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const forwards = new PortForwards({
    acquire: async () => ({
      session: { connected: true, forward: async (_h, p) => connect(p, '127.0.0.1') },
      release: () => undefined,
    }),
    log: silentLogger,
  });
  const model = new JobsModel();
  model.setHosts(['h']);
  model.setActive('h', [job({ id: '7', nodes: 'c1' })]);
  const tree = new JobsTreeProvider(model, () => 0, { forwards });
  let fired = 0;
  tree.onDidChangeTreeData(() => fired++);
  const [host] = tree.getChildren();
  const jobNode = tree.getChildren(host).find((n) => n.kind === 'job')!;
  assert.equal(tree.getTreeItem(jobNode).collapsibleState, vscode.TreeItemCollapsibleState.None);
  const f = await forwards.open({ host: 'h', jobId: '7', node: 'c1', port });
  assert.ok(fired > 0);
  assert.equal(tree.getTreeItem(jobNode).collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
  const [fwd] = tree.getChildren(jobNode);
  assert.equal(fwd?.kind, 'forward');
  const item = tree.getTreeItem(fwd!);
  assert.equal(item.label, `c1:${port}`);
  assert.equal(item.description, `→ 127.0.0.1:${f.localPort}`);
  assert.equal(item.contextValue, 'jobForward');
  assert.equal(item.command?.command, 'remoteHpc.jobs.openForward');
  assert.equal(tree.getParent(fwd!), jobNode);
  forwards.close(f.id);
  assert.deepEqual(tree.getChildren(jobNode), []);
  tree.dispose();
  forwards.dispose();
  model.dispose();
  server.close();
});
