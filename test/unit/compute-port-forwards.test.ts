/**
 * The PortForwards registry over a session whose direct-tcpip streams are plain TCP connections
 * on this machine (what the login node does for the real one): real listeners, real sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { ForwardTargetError, PortForwards, type ForwardLease } from '../../src/core/compute/portForwards';
import { silentLogger } from '../../src/core/log';

async function httpServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello')));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

function fakeHosts() {
  const state = { leases: 0, connected: true, streams: 0 };
  const acquire = async (): Promise<ForwardLease> => {
    state.leases++;
    return {
      session: {
        get connected() {
          return state.connected;
        },
        forward: (host: string, port: number) =>
          new Promise<Duplex>((resolve, reject) => {
            const s = connect(port, host === 'node1' ? '127.0.0.1' : host);
            s.once('connect', () => (state.streams++, resolve(s)));
            s.once('error', reject);
          }),
      },
      release: () => state.leases--,
    };
  };
  return { state, forwards: new PortForwards({ acquire, log: silentLogger }) };
}

async function get(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return res.text();
}

test('a forward serves the node port on 127.0.0.1, is listed under its job, and frees its port and lease when closed', async () => {
  const { server, port } = await httpServer();
  const { state, forwards } = fakeHosts();
  const changes: string[] = [];
  forwards.onDidChange((e) => changes.push(e.jobId));
  const f = await forwards.open({ host: 'h', jobId: '7', node: 'node1', port });
  assert.notEqual(f.localPort, port);
  assert.equal(f.url, `http://127.0.0.1:${f.localPort}/`);
  assert.equal(await get(f.localPort), 'hello');
  assert.deepEqual(forwards.list('h', '7').map((x) => x.id), [f.id]);
  assert.deepEqual(forwards.list('h', '8'), []);
  assert.equal(await forwards.open({ host: 'h', jobId: '7', node: 'node1', port }, { path: '/lab?token=x' }), f, 'the same target is one forward');
  assert.equal(f.url, `http://127.0.0.1:${f.localPort}/lab?token=x`);
  assert.equal(state.leases, 1);
  forwards.closeJob('h', '7');
  assert.deepEqual(forwards.list(), []);
  assert.equal(state.leases, 0, 'the lease is released');
  await assert.rejects(get(f.localPort), 'the local port no longer answers');
  assert.ok(changes.includes('7'));
  server.close();
});

test('nothing listening: a ForwardTargetError before any local port opens; bad port numbers are refused', async () => {
  const { server, port } = await httpServer();
  server.close();
  await once(server, 'close');
  const { state, forwards } = fakeHosts();
  await assert.rejects(forwards.open({ host: 'h', jobId: '7', node: 'node1', port }), ForwardTargetError);
  await assert.rejects(forwards.open({ host: 'h', jobId: '7', node: 'node1', port: 70000 }), RangeError);
  assert.equal(state.leases, 0);
  assert.deepEqual(forwards.list(), []);
});

test('a closed session ends the forward at the next connection; closeHost and dispose end the rest', async () => {
  const { server, port } = await httpServer();
  const { state, forwards } = fakeHosts();
  const a = await forwards.open({ host: 'h', jobId: '1', node: 'node1', port });
  await forwards.open({ host: 'h', jobId: '2', node: 'node1', port });
  await forwards.open({ host: 'g', jobId: '3', node: 'node1', port });
  state.connected = false;
  await assert.rejects(get(a.localPort));
  assert.equal(forwards.get(a.id), undefined);
  forwards.closeHost('h');
  assert.deepEqual(forwards.list().map((f) => f.host), ['g']);
  forwards.dispose();
  assert.equal(state.leases, 0);
  server.close();
});
