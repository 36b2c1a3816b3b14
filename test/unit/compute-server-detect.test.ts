/** Servers announced in job output (test/fixtures/servers: recorded and synthesised lines, see its README). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectServers } from '../../src/core/compute/serverDetect';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'servers', name), 'utf8');
const brief = (text: string) => detectServers(text).map((s) => `${s.kind} ${s.host}:${s.port}${s.path}${s.loopbackOnly ? ' loopback' : ''}`);

test('JupyterLab: the node URL with its token, once, over the 127.0.0.1 copies', () => {
  const token = '0d3a3f9f2c1e4b8a9e7d6c5b4a39281706f5e4d3c2b1a098';
  assert.deepEqual(brief(fixture('synthesised/jupyterlab-4.txt')), [`jupyter c042:8888/lab?token=${token}`]);
  assert.equal(detectServers(fixture('synthesised/jupyterlab-4.txt'))[0]?.label, 'Jupyter Lab');
});

test('TensorBoard with --bind_all; on localhost only it is flagged (the login node cannot reach it)', () => {
  assert.deepEqual(brief(fixture('synthesised/tensorboard-2.txt')), ['tensorboard c042.cluster.example:6006/']);
  assert.deepEqual(brief(fixture('synthesised/tensorboard-2-localhost.txt')), ['tensorboard localhost:6007/ loopback']);
});

test('code-server, the Dask dashboard (not its tcp:// scheduler), web frameworks and generic listeners', () => {
  assert.deepEqual(brief(fixture('synthesised/code-server-4.txt')), ['code-server 0.0.0.0:8080/']);
  assert.deepEqual(brief(fixture('synthesised/dask-distributed.txt')), ['dask 10.1.4.42:8787/status']);
  assert.deepEqual(brief(fixture('synthesised/web-frameworks.txt')), ['http 10.1.4.42:5000', 'http 0.0.0.0:8000', 'http 10.1.4.42:8501', 'http 0.0.0.0:9000', 'http 0.0.0.0:3000'].map((s) => (s.includes('/') ? s : `${s}/`)));
});

test('python3 -m http.server as recorded on the sandbox', () => {
  assert.deepEqual(brief(fixture('recorded/http-server.txt')), ['http 0.0.0.0:8765/']);
});

test('downloads, connections, warnings and numbers are not servers; colour codes and long lines are harmless', () => {
  assert.deepEqual(brief(fixture('synthesised/noise.txt')), []);
  assert.deepEqual(brief(`\x1b[1mTensorBoard 2.1 at http://c1:6006/\x1b[0m`), ['tensorboard c1:6006/']);
  assert.deepEqual(brief(`Serving HTTP on 0.0.0.0 port 99999 (http://0.0.0.0:99999/)`), []);
  assert.deepEqual(brief(`listening on ${'x'.repeat(5000)}:80`), []);
  // A URL whose path holds quotes or $() is cut there: nothing of it reaches a shell anyway.
  assert.deepEqual(brief(`TensorBoard at http://c1:6006/"$(id)"`), ['tensorboard c1:6006/']);
});

test('Jupyter Notebook 6.4 as recorded on the sandbox: the node URL with its token', () => {
  assert.deepEqual(brief(fixture('recorded/jupyter-notebook-6.4.txt')), ['jupyter vm:8899/?token=be1ceb68bfeba135738a98303bc1b4de1c6c41b678eeb582']);
  assert.equal(detectServers(fixture('recorded/jupyter-notebook-6.4.txt'))[0]?.label, 'Jupyter Notebook');
});
