/** Interactive app templates: validation messages, rendering through a real shell (hostile names), the readiness matcher. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appTemplates, BUILT_IN_APPS, matchReadiness, parseAppTemplate, renderAppScript } from '../../src/core/compute/appTemplates';
import { environmentFor, environmentLines } from '../../src/core/compute/appEnvironment';

const hostile = ["it's a \"dir\"", '$(touch /tmp/pwned)', '`id`', 'a\nb', '-rf', 'données 数据', '*', "'", '\\', '!bang', '; rm -rf ~', '{port}'];

const good = { id: 'my-app', name: 'My App', script: ['{environment}', 'exec server --port {port} --dir {folder}'], ready: 'listening on (?<port>\\d+)' };

test('a good user template is read with its defaults', () => {
  const t = parseAppTemplate({ ...good, resources: { time: '30', cpus: 2, mem: '2G' } }, 0);
  assert.equal(t.id, 'my-app');
  assert.equal(t.path, '/');
  assert.equal(t.needsFolder, true);
  assert.equal(t.readySeconds, 180);
  assert.deepEqual(t.resources, { time: '30', cpus: 2, mem: '2G' });
  assert.equal(t.builtIn, false);
  assert.match(t.script, /\n/);
});

test('bad templates are refused with a message that says what and where', () => {
  const cases: [unknown, RegExp][] = [
    ['just a string', /\[0\]: must be an object/],
    [{ ...good, id: 'My App' }, /"id" must be lowercase/],
    [{ ...good, name: '' }, /"name" must be a non-empty string/],
    [{ ...good, script: 'exec server' }, /must start the server on \{port\}/],
    [{ ...good, script: 'exec server --port {port} --dir "{folder}"' }, /line 1: \{folder\} is inside quotes; write it bare/],
    [{ ...good, script: "exec server --port {port} --dir '{folder}'" }, /inside quotes/],
    [{ ...good, script: 'exec server --port {prot}' }, /unknown placeholder \{prot\}.*\{\{ or \}\}/],
    [{ ...good, script: 'a\nmodule load x; {environment}\nexec s {port}' }, /line 2: \{environment\} must be alone on its line/],
    [{ ...good, ready: '(unclosed' }, /"ready" is not a valid regular expression/],
    [{ ...good, ready: 'x'.repeat(501) }, /"ready" is longer than 500/],
    [{ ...good, tokenParam: 'token' }, /never passes \{token\}/],
    [{ ...good, readySeconds: 1 }, /"readySeconds" must be a whole number from 5 to 3600/],
    [{ ...good, resources: { time: 'soon' } }, /"resources.time" must be minutes/],
    [{ ...good, resources: { cpus: 0 } }, /"resources.cpus"/],
    [{ ...good, resources: { partition: 'a b' } }, /"resources.partition" must be one name/],
    [{ ...good, resources: { nodes: 2 } }, /unknown keys nodes/],
    [{ ...good, path: 'lab' }, /"path" must start with \//],
    [{ ...good, name: 'two\nlines' }, /"name" has a control character/],
    [{ ...good, extra: 1 }, /"my-app": unknown keys extra/],
  ];
  for (const [raw, re] of cases) assert.throws(() => parseAppTemplate(raw, 0), re, JSON.stringify(raw).slice(0, 80));
});

test('the setting: built-ins first, a same-id entry replaces one, bad entries are named and left out', () => {
  const { templates, errors } = appTemplates([{ ...good, id: 'jupyter-lab', name: 'Site Jupyter' }, good, { ...good }, { id: 'x' }]);
  assert.deepEqual(
    templates.map((t) => t.name),
    ['TensorBoard', 'Site Jupyter', 'My App'],
  );
  assert.equal(errors.length, 2);
  assert.match(errors[0] as string, /"my-app": the id is used twice/);
  assert.match(errors[1] as string, /"x": "name" must be/);
  assert.deepEqual(appTemplates(undefined), { templates: [...BUILT_IN_APPS], errors: [] });
  assert.match(appTemplates({}).errors[0] as string, /must be an array/);
});

test('rendered values reach the program unchanged through a real shell, whatever the folder is called', () => {
  const t = parseAppTemplate({ id: 'echo', name: 'Echo', script: "printf '%s\\0' {folder} {token} {jobDir} {port} '{{literal}}'", ready: 'x' }, 0);
  for (const folder of hostile) {
    const script = renderAppScript(t, { port: 4242, token: 'tok', folder, jobDir: `/tmp/${folder}`, environment: {} });
    const out = execFileSync('/bin/bash', ['-c', script], { cwd: '/tmp' }).toString('utf8').split('\0');
    assert.deepEqual(out.slice(0, 5), [folder, 'tok', `/tmp/${folder}`, '4242', '{literal}'], JSON.stringify(folder));
  }
  // `~/…` stays the user's home on the node.
  const home = renderAppScript(t, { port: 1, token: 't', folder: "~/my 'runs'", jobDir: '/j', environment: {} });
  assert.equal(execFileSync('/bin/bash', ['-c', home], { env: { HOME: '/h o' } }).toString('utf8').split('\0')[0], "/h o/my 'runs'");
  assert.throws(() => renderAppScript(t, { port: 1, token: 't', folder: 'a\0b', jobDir: '/j', environment: {} }), /NUL/);
  assert.throws(() => renderAppScript(t, { port: 70000, token: 't', folder: '/', jobDir: '/j', environment: {} }), /not a port/);
});

test('the script starts with bash and its name as a comment (a name cannot start a new line)', () => {
  const s = renderAppScript({ name: 'A\nrm -rf ~', script: 'true' }, { port: 1, token: 't', folder: '/', jobDir: '/j', environment: {} });
  assert.equal(s.split('\n')[0], '#!/bin/bash');
  assert.equal(s.split('\n')[1], '# Remote HPC interactive app: A rm -rf ~');
});

test('the built-in Jupyter passes its token in the environment, never on a command line', () => {
  const jupyter = BUILT_IN_APPS.find((t) => t.id === 'jupyter-lab');
  assert.ok(jupyter);
  const s = renderAppScript(jupyter, { port: 8888, token: 'abc123', folder: '/home/u', jobDir: '/j', environment: { modules: ['python/3.11'] } });
  assert.match(s, /^export JUPYTER_TOKEN=abc123$/m);
  assert.equal(s.split('abc123').length, 2, 'the token is written once');
  assert.match(s, /--ip=0\.0\.0\.0 --port=8888/);
  assert.match(s, /^module load python\/3\.11 \|\| exit 1$/m);
});

test('environment: `*` overlaid by the host; modules, conda and venv become quoted words; bad entries say where', () => {
  const setting = { '*': { modules: ['gcc/12'] }, hpc: { conda: "~/envs/my env", commands: ['source ~/setup.sh'] } };
  assert.deepEqual(environmentFor(setting, 'hpc'), { modules: ['gcc/12'], conda: '~/envs/my env', commands: ['source ~/setup.sh'] });
  assert.deepEqual(environmentFor(setting, 'other'), { modules: ['gcc/12'] });
  assert.deepEqual(environmentLines({ modules: ['python/3.11 cuda/12'], conda: "~/envs/my env", venv: "/opt/v$(id)/", commands: ['source ~/setup.sh'] }), [
    'module load python/3.11 cuda/12 || exit 1',
    'eval "$(conda shell.bash hook)" || exit 1',
    `conda activate "$HOME"/'envs/my env' || exit 1`,
    `. '/opt/v$(id)'/bin/activate || exit 1`,
    'source ~/setup.sh',
  ]);
  assert.throws(() => environmentFor({ hpc: { modules: 'python' } }, 'hpc'), /environment\["hpc"\]: "modules" must be an array/);
  assert.throws(() => environmentFor({ hpc: { module: ['python'] } }, 'hpc'), /unknown keys module/);
  assert.throws(() => environmentFor({ hpc: { commands: ['a\nb'] } }, 'hpc'), /one-line strings/);
  assert.throws(() => environmentFor([], 'hpc'), /must be an object of host aliases/);
});

test('a venv from the environment is really activated by the rendered script', () => {
  const t = parseAppTemplate({ id: 'env', name: 'Env', script: ['{environment}', 'printf "%s" "$VIRTUAL_ENV_HINT" {port}'], ready: 'x' }, 0);
  const dir = execFileSync('mktemp', ['-d', "/tmp/rhpc venv'.XXXXXX"]).toString().trim();
  execFileSync('mkdir', ['-p', `${dir}/bin`]);
  execFileSync('/bin/sh', ['-c', 'printf "VIRTUAL_ENV_HINT=on\\n" > "$1/bin/activate"', 'sh', dir]);
  try {
    const script = renderAppScript(t, { port: 7, token: 't', folder: '/', jobDir: '/j', environment: { venv: dir } });
    assert.equal(execFileSync('/bin/bash', ['-c', script]).toString('utf8'), 'on7');
  } finally {
    execFileSync('rm', ['-rf', '--', dir]);
  }
});

test('readiness: Jupyter, TensorBoard and http.server lines; colour codes; the port group; a printed token is not kept', () => {
  const [jupyter, tensorboard] = BUILT_IN_APPS;
  assert.ok(jupyter && tensorboard);
  const jlog = '[I 2026-12-03 08:00:00.000 ServerApp] Jupyter Server 2.14.0 is running at:\n[I ServerApp] http://c042:8888/lab?token=secret\n[I ServerApp]     http://127.0.0.1:8888/lab?token=secret\n';
  assert.deepEqual(matchReadiness(jupyter, jlog, 1), { port: 8888, path: '/lab' });
  assert.equal(matchReadiness(jupyter, '[I ServerApp] Writing Jupyter server cookie secret\n', 1), undefined);
  assert.deepEqual(matchReadiness(tensorboard, '\x1b[1mTensorBoard 2.16.2 at http://c042.cluster:6006/ (Press CTRL+C to quit)\x1b[0m', 1), { port: 6006, path: '/' });
  const http = parseAppTemplate({ id: 'http', name: 'HTTP', script: 'exec python3 -m http.server {port}', ready: 'Serving HTTP on \\S+ port (?<port>\\d+)' }, 0);
  assert.deepEqual(matchReadiness(http, 'Serving HTTP on 0.0.0.0 port 43121 (http://0.0.0.0:43121/) ...', 1), { port: 43121, path: '/' });
  const noGroup = parseAppTemplate({ id: 'n', name: 'N', script: 'exec s {port}', ready: '^ready$', path: '/ui' }, 0);
  assert.deepEqual(matchReadiness(noGroup, 'starting\nready\n', 5555), { port: 5555, path: '/ui' });
  const pathGroup = parseAppTemplate({ id: 'p', name: 'P', script: 'exec s {port}', ready: 'at http://\\S+:(?<port>\\d+)(?<path>/\\S*)' }, 0);
  assert.deepEqual(matchReadiness(pathGroup, 'at http://n1:9000/app/?token=abc', 1), { port: 9000, path: '/app/' });
  assert.equal(matchReadiness(pathGroup, 'at http://n1:99999/', 1), undefined, 'not a port');
  assert.equal(matchReadiness(noGroup, `${'x'.repeat(5000)}\n`, 1), undefined);
});

test("the shell's own ${NAME} and literal {{ }} are not placeholders", () => {
  const t = parseAppTemplate({ id: 'b', name: 'B', script: 'printf "%s|" "${HOME}" {{x}} {port}', ready: 'x' }, 0);
  assert.equal(execFileSync('/bin/bash', ['-c', renderAppScript(t, { port: 3, token: 't', folder: '/', jobDir: '/j', environment: {} })], { env: { HOME: '/hh' } }).toString(), '/hh|{x}|3|');
});

test('readiness on the server fixtures (test/fixtures/servers): Jupyter Lab, TensorBoard, a recorded http.server; a Notebook 6 is not a Lab', () => {
  const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'servers', name), 'utf8');
  const [jupyter, tensorboard] = BUILT_IN_APPS;
  assert.ok(jupyter && tensorboard);
  assert.deepEqual(matchReadiness(jupyter, fixture('synthesised/jupyterlab-4.txt'), 1), { port: 8888, path: '/lab' });
  assert.equal(matchReadiness(jupyter, fixture('recorded/jupyter-notebook-6.4.txt'), 1), undefined);
  assert.deepEqual(matchReadiness(tensorboard, fixture('synthesised/tensorboard-2.txt'), 1), { port: 6006, path: '/' });
  assert.equal(matchReadiness(tensorboard, fixture('synthesised/noise.txt'), 1), undefined);
  const http = parseAppTemplate({ id: 'http', name: 'HTTP', script: 'exec python3 -m http.server {port}', ready: 'Serving HTTP on \\S+ port (?<port>\\d+)' }, 0);
  assert.deepEqual(matchReadiness(http, fixture('recorded/http-server.txt'), 1), { port: 8765, path: '/' });
});
