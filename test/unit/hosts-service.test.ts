/**
 * HostService with the vscode fake, its real SessionPool and connector, against an in-process
 * ssh2 server: hosts from an SSH config file plus the remoteHpc.hosts setting (and a settings
 * change re-reads them), connect / disconnect status events, the `remoteHpc.anyConnected`
 * context, failures kept on the host's model (refused port, a host key the user did not accept),
 * and the Hosts view drawn from the same service.
 */
import '../support/vscode/register';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from 'ssh2';
import * as vscode from 'vscode';
import { commands, setSetting, shown } from '../support/vscode/fake';
import { HostService, type HostState } from '../../src/hosts/hostService';
import { HostsTreeProvider } from '../../src/hosts/hostsTree';
import { memoryLogger } from '../support/sshKit';
import { waitUntil } from '../support/wait';
import { newKeyPair, parsedKey as parsed } from '../support/sshKeys';

const dir = mkdtempSync(join(tmpdir(), 'rhpc-hostservice-'));

const hostKey = newKeyPair();
const hostBlob = hostKey.blob;
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_test')]);
const clientPub = parsed(readFileSync(join(dir, 'id_test.pub')));

let server: Server;
let port = 0;
let closedPort = 0;
let logins = 0;
const execs: string[] = [];
const context: unknown[][] = [];
let setContext: vscode.Disposable | undefined;
const savedAgent = process.env.SSH_AUTH_SOCK;

before(async () => {
  delete process.env.SSH_AUTH_SOCK; // only the key file below, never the developer's agent
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.username === 'tester' && ctx.key.data.equals(clientPub.getPublicSSH())) {
        if (!ctx.signature || !ctx.blob) return ctx.accept();
        return clientPub.verify(ctx.blob, ctx.signature, ctx.hashAlgo) ? ctx.accept() : ctx.reject();
      }
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      logins++;
      // Enough of a shell for the pool's round trip: `true` succeeds, anything else is unknown.
      client.on('session', (accept) =>
        accept().on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          execs.push(info.command);
          stream.exit(/^'?true'?$/.test(info.command) ? 0 : 127);
          stream.end();
        }),
      );
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  // A port nobody listens on: taken, then released.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ssh-ed25519 ${hostBlob.toString('base64')}\n`);
  writeFileSync(join(dir, 'empty_known_hosts'), '');
  writeFileSync(
    join(dir, 'config'),
    [
      'Host alpha',
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User tester',
      `  IdentityFile ${join(dir, 'id_test')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      'Host stranger',
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User tester',
      `  IdentityFile ${join(dir, 'id_test')}`,
      `  UserKnownHostsFile ${join(dir, 'empty_known_hosts')}`,
      'Host *',
      '  ConnectTimeout 5',
      '',
    ].join('\n'),
  );
  setSetting('remoteHpc.sshConfigFile', join(dir, 'config'));
  setSetting('remoteHpc.hosts', [{ name: 'closed', hostName: '127.0.0.1', port: closedPort, user: 'nobody' }]);
  setContext = commands.registerCommand('setContext', (...args: unknown[]) => void context.push(args));
});

after(async () => {
  setContext?.dispose();
  for (const k of ['remoteHpc.sshConfigFile', 'remoteHpc.hosts']) setSetting(k, undefined);
  if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A service with its change events and status events recorded. */
function service() {
  const log = memoryLogger();
  const secrets = { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: new vscode.EventEmitter<unknown>().event };
  const hosts = new HostService(log, secrets as unknown as vscode.SecretStorage);
  const events = { changes: 0, statuses: [] as string[] };
  hosts.onDidChange(() => events.changes++);
  hosts.onStatus((alias, status) => events.statuses.push(`${alias} ${status}`));
  return { hosts, log, events };
}

const summary = (list: HostState[]) => list.map((h) => `${h.alias} ${h.source} ${h.config.user}@${h.config.hostName}:${h.config.port} ${h.status}${h.error ? ' !' : ''}`);

test('hosts: the SSH config and the hosts setting, read once on first look; a settings change re-reads them', async () => {
  const { hosts, events } = service();
  try {
    assert.deepEqual(hosts.list(), [], 'nothing until the SSH config has been read');
    await waitUntil('hosts listed', async () => (hosts.list().length ? true : undefined));
    assert.ok(events.changes >= 1, 'the view hears that hosts arrived');
    assert.deepEqual(summary(hosts.list()), [
      `closed settings nobody@127.0.0.1:${closedPort} disconnected`,
      `alpha ssh-config tester@127.0.0.1:${port} disconnected`,
      `stranger ssh-config tester@127.0.0.1:${port} disconnected`,
    ]);
    const alpha = hosts.list().find((h) => h.alias === 'alpha') as HostState;
    assert.deepEqual(alpha.config.identityFiles, [join(dir, 'id_test')]);
    assert.equal(alpha.config.identitiesOnly, true);
    assert.equal(logins, 0, 'listing hosts never connects');

    const before = events.changes;
    setSetting('remoteHpc.hosts', [
      { name: 'closed', hostName: '127.0.0.1', port: closedPort, user: 'nobody' },
      { name: 'gamma', hostName: 'gamma.example', user: 'g', port: 2222, proxyJump: 'alpha' },
    ]);
    await waitUntil('gamma listed', async () => (hosts.list().some((h) => h.alias === 'gamma') ? true : undefined));
    assert.ok(events.changes > before);
    const gamma = hosts.list().find((h) => h.alias === 'gamma') as HostState;
    assert.equal(gamma.source, 'settings');
    assert.equal(`${gamma.config.user}@${gamma.config.hostName}:${gamma.config.port}`, 'g@gamma.example:2222');
    assert.deepEqual(gamma.config.proxyJump, ['alpha']);
  } finally {
    setSetting('remoteHpc.hosts', [{ name: 'closed', hostName: '127.0.0.1', port: closedPort, user: 'nobody' }]);
    hosts.dispose();
  }
});

test('connect and disconnect: status events in order, the model and the anyConnected context follow', async () => {
  const { hosts, events } = service();
  try {
    await hosts.hostDirectory();
    const loginsBefore = logins;
    context.length = 0;
    await hosts.connect('alpha');
    assert.equal(logins, loginsBefore + 1, 'one login');
    assert.deepEqual(events.statuses, ['alpha connecting', 'alpha connected']);
    assert.equal(hosts.status('alpha'), 'connected');
    assert.equal(hosts.list().find((h) => h.alias === 'alpha')?.status, 'connected');
    assert.deepEqual(context.at(-1), ['remoteHpc.anyConnected', true]);
    assert.equal(await hosts.check('alpha'), true, 'the session answers');
    assert.deepEqual(execs.slice(-1), ['true']);

    const lease = await hosts.acquire('alpha');
    assert.equal(logins, loginsBefore + 1, 'a feature shares the open session');
    lease.release();

    const changes = events.changes;
    hosts.disconnect('alpha');
    await waitUntil('disconnected', async () => (hosts.status('alpha') === 'disconnected' ? true : undefined));
    assert.deepEqual(events.statuses, ['alpha connecting', 'alpha connected', 'alpha disconnected']);
    assert.ok(events.changes > changes, 'the view hears of it');
    assert.deepEqual(context.at(-1), ['remoteHpc.anyConnected', false]);
    assert.equal(hosts.list().find((h) => h.alias === 'alpha')?.error, undefined, 'a clean disconnect is no error');
  } finally {
    hosts.dispose();
  }
});

test('failures: a refused port and a host key the user did not accept end failed, with the reason on the host', async () => {
  const { hosts, events, log } = service();
  try {
    await hosts.hostDirectory();
    await assert.rejects(hosts.connect('closed'), /refused|ECONNREFUSED|unreachable/i);
    const closed = hosts.list().find((h) => h.alias === 'closed') as HostState;
    assert.equal(closed.status, 'failed');
    assert.match(closed.error ?? '', /refused|ECONNREFUSED|unreachable/i);
    assert.deepEqual(events.statuses, ['closed connecting', 'closed failed']);
    assert.ok(log.lines.some((l) => l.startsWith('info') && l.includes('closed: failed')), 'logged with the reason');

    // Unknown host key: the question is shown as a warning; the fake dismisses it (no answer).
    shown.length = 0;
    await assert.rejects(hosts.connect('stranger'), /host key/i);
    assert.equal(hosts.status('stranger'), 'failed');
    assert.match(hosts.list().find((h) => h.alias === 'stranger')?.error ?? '', /host key/i);
    assert.deepEqual(shown, [`warn The authenticity of host [127.0.0.1]:${port} can't be established.`]);
    assert.equal(readFileSync(join(dir, 'empty_known_hosts'), 'utf8'), '', 'nothing trusted without a yes');
    assert.equal(hosts.status('alpha'), 'disconnected', 'other hosts untouched');
  } finally {
    hosts.dispose();
  }
});

test('the Hosts view over the real service: one item per host, redrawn as the status changes, failures in the tooltip', async () => {
  const { hosts } = service();
  const tree = new HostsTreeProvider(hosts);
  let redraws = 0;
  tree.onDidChangeTreeData(() => redraws++);
  try {
    await hosts.hostDirectory();
    await hosts.connect('alpha');
    await assert.rejects(hosts.connect('closed'));
    const items = tree.getChildren().map((h) => tree.getTreeItem(h));
    assert.deepEqual(
      items.map((i) => [i.label, i.contextValue, i.command?.command]),
      [
        ['closed', 'host.failed', 'remoteHpc.connect'],
        ['alpha', 'host.connected', undefined],
        ['stranger', 'host.disconnected', 'remoteHpc.connect'],
      ],
    );
    assert.equal(items[1]?.description, `tester@127.0.0.1:${port} — connected`);
    assert.match((items[0]?.tooltip as vscode.MarkdownString).value, /\$\(error\) .*(refused|unreachable)/i);
    assert.ok(redraws >= 4, `redrawn on every status change (${redraws})`);
  } finally {
    tree.dispose();
    hosts.dispose();
  }
});

test('the Hosts view shows a connected host\'s scheduler, redrawn when it becomes known', async () => {
  const { hosts } = service();
  const known = new Map<string, { kind: 'pbs'; version: string; evidence: string }>();
  const listeners = new Set<(h: string) => void>();
  const tree = new HostsTreeProvider(hosts, {
    knownScheduler: (h) => known.get(h),
    onDetected: (l) => {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
  });
  let redraws = 0;
  tree.onDidChangeTreeData(() => redraws++);
  try {
    await hosts.hostDirectory();
    await hosts.connect('alpha');
    const before = redraws;
    known.set('alpha', { kind: 'pbs', version: '2022.1.4', evidence: 'qsub, qstat on the PATH; pbs_version = 2022.1.4' });
    for (const l of listeners) l('alpha');
    assert.equal(redraws, before + 1);
    const item = tree.getTreeItem(tree.getChildren().find((h) => h.alias === 'alpha') as HostState);
    assert.equal(item.description, `tester@127.0.0.1:${port} · PBS 2022.1.4 — connected`);
    assert.match((item.tooltip as vscode.MarkdownString).value, /\$\(server-process\) PBS 2022\\.1\\.4: qsub, qstat on the PATH/, "the evidence as text");
    hosts.disconnect('alpha');
    const gone = tree.getTreeItem(tree.getChildren().find((h) => h.alias === 'alpha') as HostState);
    assert.doesNotMatch(String(gone.description), /PBS/, 'not shown while disconnected');
  } finally {
    tree.dispose();
    hosts.dispose();
  }
});
