/**
 * Host pool pieces without hosts: the `.pool.json` validator against its JSON Schema, glimpse's
 * Builder, the pool settings check, and the remote wrapper scripts run by a local bash with a
 * throwaway $HOME (launch → status → cancel), hostile argv included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkPoolConfig, copiedName, parsePoolFile, PoolJobBuilder, poolJobSpecs, poolOfHost, scriptJobSpecs, validatePoolFile } from '../../src/core/scheduler/poolSpec';
import { waitUntil } from '../support/wait';
import { cancelCommand, copyCommand, jobFolder, launchCommand, parseStatus, statusCommand } from '../../src/core/scheduler/pool/commands';

const repoRoot = path.join(__dirname, '..', '..');
const messages = (o: unknown) => validatePoolFile(o).map((e) => `${e.path}: ${e.message}`);

test('.pool.json: valid lists pass, every mistake is named with its path', () => {
  assert.deepEqual(messages({ jobs: [{ commands: ['echo', 'hi'] }] }), []);
  assert.deepEqual(messages({ pool: 'lab', name: 'sweep', repeat: 10, jobs: [{ commands: ['./run', '--x'], files: ['run', 'data/in.txt'], name: 'a', repeat: 2 }] }), []);
  assert.deepEqual(messages([]), [': A pool job list must be a JSON object']);
  assert.deepEqual(
    messages({ jobs: [{ commands: [] }, { commands: ['x', 3], files: ['a/in', 'b/in', '..'], repeat: 0 }, 'x'], nope: 1, repeat: 1.5 }),
    [
      '/nope: Unknown property "nope"',
      '/repeat: "repeat" must be a whole number, at least 1',
      '/jobs/0/commands: "commands" must be a non-empty array of strings (the program, then its arguments)',
      '/jobs/1/commands/1: "commands" items must be strings',
      '/jobs/1/files/1: Two files would both be copied as "in"',
      '/jobs/1/files/2: ".." names no file',
      '/jobs/1/repeat: "repeat" must be a whole number, at least 1',
      '/jobs/2: A job must be an object',
    ],
  );
  assert.deepEqual(messages({ jobs: [{ commands: ['x'], repeat: 20_000 }] }), ['/jobs: 20000 jobs in one run; at most 10000']);
  assert.throws(() => parsePoolFile('{'), /Not valid JSON/);
  assert.throws(() => parsePoolFile('{"jobs": []}'), /\/jobs: "jobs" must be a non-empty array/);
  assert.equal(copiedName('dir/sub/it\'s $(x).txt').name, "it's $(x).txt");
});

test('the JSON Schema and the validator know the same properties', () => {
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas/pool.schema.json'), 'utf8')) as {
    additionalProperties: boolean;
    properties: Record<string, { description?: string; items?: { properties: Record<string, { description?: string }> } }>;
  };
  assert.equal(schema.additionalProperties, false);
  for (const k of Object.keys(schema.properties)) assert.ok(!messages({ [k]: null }).some((m) => m.includes('Unknown property')), k);
  assert.ok(messages({ jobs: [{ commands: ['x'], nope: 1 }] }).some((m) => m.includes('Unknown property "nope"')));
  const jobProps = schema.properties.jobs?.items?.properties ?? {};
  assert.deepEqual(Object.keys(jobProps).sort(), ['commands', 'files', 'name', 'repeat']);
  for (const [k, v] of [...Object.entries(schema.properties), ...Object.entries(jobProps)]) assert.ok(v.description, `${k} has a description`);
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { jsonValidation: { fileMatch: string; url: string }[] } };
  assert.ok(pkg.contributes.jsonValidation.some((v) => v.fileMatch === '*.pool.json' && v.url === './schemas/pool.schema.json'));
});

test("glimpse's Builder: AddJob / SetRepeat / MakeJobSpecs, the same jobs as the file", () => {
  const specs = new PoolJobBuilder().setRepeat(2).addJob({ commands: ['/bin/sim', '-n', '1'] }).addJob({ commands: ['post'], name: 'post', repeat: 1, files: ['a.txt'] }).makeJobSpecs();
  assert.deepEqual(
    specs.map((s) => [s.name, s.argv.join(' '), s.repeatIndex, s.files.join()]),
    [
      ['sim #1', '/bin/sim -n 1', 0, ''],
      ['sim #2', '/bin/sim -n 1', 1, ''],
      ['post', 'post', 0, 'a.txt'],
    ],
  );
  assert.deepEqual(poolJobSpecs(parsePoolFile(JSON.stringify({ repeat: 2, jobs: [{ commands: ['/bin/sim', '-n', '1'] }, { commands: ['post'], name: 'post', repeat: 1, files: ['a.txt'] }] }))), specs);
  assert.throws(() => new PoolJobBuilder().setRepeat(0), /at least 1/);
});

test('Run on Pool on a script: N copies of bash <script>, the script copied into each', () => {
  assert.deepEqual(scriptJobSpecs('fit.sh', 1), [{ name: 'fit.sh', argv: ['bash', 'fit.sh'], files: ['fit.sh'], repeatIndex: 0 }]);
  assert.deepEqual(
    scriptJobSpecs('it $(x).sh', 3).map((s) => [s.name, s.argv.join('|'), s.files.join(), s.repeatIndex]),
    [
      ['it $(x).sh #1', 'bash|it $(x).sh', 'it $(x).sh', 0],
      ['it $(x).sh #2', 'bash|it $(x).sh', 'it $(x).sh', 1],
      ['it $(x).sh #3', 'bash|it $(x).sh', 'it $(x).sh', 2],
    ],
  );
  for (const bad of [0, 1.5, 10_001]) assert.throws(() => scriptJobSpecs('fit.sh', bad), /1 to 10000/);
});

test('remoteHpc.pools entries and pool hosts of the Jobs view', () => {
  assert.equal(checkPoolConfig({ hosts: ['ws1', 'ws2'], slotsPerHost: 4 }), undefined);
  assert.equal(checkPoolConfig({ hosts: ['ws1'] }), undefined);
  assert.match(checkPoolConfig({ hosts: [] }) ?? '', /non-empty/);
  assert.match(checkPoolConfig({ hosts: ['pool:x'] }) ?? '', /host aliases/);
  assert.match(checkPoolConfig({ hosts: ['a'], slotsPerHost: 0 }) ?? '', /1 to 256/);
  assert.match(checkPoolConfig('ws1') ?? '', /object/);
  assert.equal(poolOfHost('pool:lab'), 'lab');
  assert.equal(poolOfHost('ws1'), undefined);
});

/** Runs a command's argv with a local bash, $HOME a temp folder. */
function local(home: string, argv: readonly string[], stdin?: Buffer): { code: number | null; stdout: string; stderr: string } {
  assert.equal(argv[0], 'bash');
  const r = spawnSync('bash', argv.slice(1), { env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' }, input: stdin, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the wrapper runs a hostile argv detached, records pid, times and exit code; cancel ends its session', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'rhpc-pool-home-'));
  try {
    const hostile = `it's "q" $(touch pwned) \`id\` ✓`;
    const dir = jobFolder('run-1', 1, 1);
    assert.throws(() => jobFolder('../x', 1, 1), /Not a pool job folder/);
    assert.throws(() => copyCommand(dir, '../x'), /Not a file name/);
    const copy = copyCommand(dir, `${hostile}.txt`);
    assert.equal(local(home, copy.argv, Buffer.from('bytes\n')).code, 0);
    const launch = launchCommand({ dir, jobId: 'run-1.1', repeatIndex: 3, argv: ['bash', '-c', 'printf "%s|" "$@" "$RHPC_POOL_JOB" "$RHPC_POOL_REPEAT"; cat -- *.txt; exit 7', 'x', hostile, '-n'] });
    // The script text is a constant: nothing of the job is in it.
    assert.ok(!launch.argv[2]?.includes('touch'));
    const l = local(home, launch.argv);
    assert.equal(l.code, 0, l.stderr);
    const pid = launch.parse(l.stdout, '');
    // Detached: it ends on its own time (seconds on a loaded machine).
    const ended = (d: string) => waitUntil(`${d} to end`, () => { const a = parseStatus(local(home, statusCommand([d]).argv).stdout, [d]).attempts.get(d); return a?.exitCode !== undefined && a; }, 30_000, 50);
    const st = await ended(dir);
    assert.equal(st?.pid, pid);
    assert.equal(st?.exitCode, 7);
    assert.equal(st?.alive, false);
    assert.ok(st.startedAt !== undefined && st.endedAt !== undefined && st.endedAt >= st.startedAt);
    assert.equal(readFileSync(path.join(home, dir, 'stdout'), 'utf8'), `${hostile}|-n|run-1.1|3|bytes\n`);
    assert.equal(existsSync(path.join(home, 'pwned')) || existsSync(path.join(home, dir, 'work', 'pwned')), false);
    assert.match(local(home, launch.argv).stderr, /already launched/);

    const d2 = jobFolder('run-1', 2, 1);
    const long = launchCommand({ dir: d2, jobId: 'run-1.2', repeatIndex: 0, argv: ['bash', '-c', 'sleep 30 & wait'] });
    long.parse(local(home, long.argv).stdout, '');
    assert.equal(local(home, cancelCommand(d2).argv).code, 0);
    const s2 = await ended(d2);
    assert.equal(s2?.cancelled, true);
    assert.equal(s2?.exitCode, 143);
    assert.throws(() => parseStatus('job\tother\t\t\t\t\t0\t0\nhome\t/h\n', [dir]), /unexpected status line/);
    assert.throws(() => parseStatus('', []), /no home/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
