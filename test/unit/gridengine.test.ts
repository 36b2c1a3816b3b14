/**
 * Grid Engine's parsers, option builders and directive lines, on output recorded from the
 * sandbox's real sge_qmaster / sge_execd (test/fixtures/gridengine, README there), and the
 * scheduler's calls per poll cycle on a runner that replays those recordings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError, type CommandRunner } from '../../src/core/scheduler/command';
import { parseQstatJobText, parseQstatJobs, parseQstatList } from '../../src/core/scheduler/gridengine/qstat';
import { acctToJob, ctimeIso, parseQacct } from '../../src/core/scheduler/gridengine/qacct';
import { queueState } from '../../src/core/scheduler/gridengine/states';
import { checkJobName, hRt, perSlotMemory, qsubOptions } from '../../src/core/scheduler/gridengine/options';
import { gridEngineScriptFormat, splitDirectiveWords } from '../../src/core/scheduler/gridengine/directives';
import { qsubCommand, jobsCommand, acctCommand, requeueCommand } from '../../src/core/scheduler/gridengine/commands';
import { parseTerseId } from '../../src/core/scheduler/gridengine/ids';
import { classifyGeFailure } from '../../src/core/scheduler/gridengine/errors';
import { GridEngineScheduler } from '../../src/core/scheduler/gridengine/gridEngineScheduler';
import { parseSchedulerProbe } from '../../src/core/scheduler/detect';
import type { ScriptOptions } from '../../src/core/scheduler/types';

const fx = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'gridengine', name), 'utf8');
const HOSTILE = 'it_$(x)`id`|;&<>!~';

test('qstat -xml -g d -r: running and pending jobs, every array task, requests, predecessors, the %lt; quirk', () => {
  const e = parseQstatList(fx('qstat-xml-g-d-r.xml'));
  assert.deepEqual(e.map((x) => [x.job, x.task ?? '', x.state]), [['86', '', 'r'], ['84', '', 'hqw'], ['85', '1', 'hqw'], ['85', '2', 'hqw'], ['85', '3', 'hqw'], ['87', '', 'hqw']]);
  const [run, held, , , , dep] = e;
  assert.equal(held?.name, HOSTILE, 'entities and Grid Engine\'s %lt; decoded');
  assert.equal(held?.requests.h_rt, '300');
  assert.equal(run?.queue, 'all.q@localhost');
  assert.equal(run?.slots, 2);
  assert.equal(run?.requests.h_vmem, '1G');
  assert.match(run?.startTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  assert.deepEqual(dep?.predecessors, ['86']);
  assert.deepEqual(parseQstatList(fx('qstat-xml-s-hu.xml')).map((x) => x.job).includes('87'), true, 'the qhold-ed dependent job is a user hold');
});

test('qstat -j -xml: folder, environment (comment), output paths, merge, requests, predecessors', () => {
  const jobs = parseQstatJobs(fx('qstat-j.xml'));
  assert.deepEqual(jobs.map((j) => j.job), ['84', '85', '86', '87']);
  const [held, arr, run, dep] = jobs;
  assert.equal(held?.cwd, '/home/hpcuser/gefx');
  assert.equal(held?.env.RHPC_COMMENT, 'tags=contract%2Cheld');
  assert.equal(held?.stdoutPath, "out 'q' $JOB_ID.txt");
  assert.equal(held?.stderrPath, 'err.$JOB_ID.$TASK_ID');
  assert.equal(held?.name, HOSTILE);
  assert.equal(arr?.stdoutPath, undefined);
  assert.equal(run?.account, 'acct1');
  assert.equal(run?.requests.h_vmem, '1G');
  assert.deepEqual(dep?.predecessors, ['86']);
  assert.deepEqual(parseQstatJobs(''), []);
  assert.deepEqual(jobsCommand(['999999']).parse(fx('qstat-j-unknown.xml'), ''), [], 'an unknown job is left out');
  const text = parseQstatJobText(fx('qstat-j-text.txt'));
  assert.equal(text.job_number, '86');
  assert.equal(text.owner, 'hpcuser');
  assert.equal(text['hard resource_list'], 'h_vmem=1G');
});

test('qacct -j: completed, failed, cancelled (qdel), timed out (h_rt), array tasks, the no-job summary', () => {
  const one = (f: string) => acctToJob(parseQacct(fx(f))[0] as never);
  assert.deepEqual([one('qacct-completed.txt').state, one('qacct-completed.txt').exitCode], ['COMPLETED', 0]);
  assert.deepEqual([one('qacct-failed.txt').state, one('qacct-failed.txt').exitCode], ['FAILED', 3]);
  const c = one('qacct-cancelled.txt');
  assert.deepEqual([c.state, c.signal, c.id, c.user, c.partition, c.nodes], ['CANCELLED', 9, '86', 'hpcuser', 'all.q', 'localhost']);
  assert.equal(one('qacct-timeout.txt').state, 'TIMEOUT');
  const arr = parseQacct(fx('qacct-array.txt')).map((r) => acctToJob(r));
  assert.deepEqual(arr.map((j) => [j.id, j.arrayJobId, j.arrayTaskId, j.state]), [['85_1', '85', '1', 'COMPLETED'], ['85_3', '85', '3', 'COMPLETED']]);
  assert.match(c.submitTime ?? '', /^2026-12-02T\d\d:\d\d:\d\d$/);
  assert.deepEqual(parseQacct(fx('qacct-no-jobs.txt')), []);
  assert.deepEqual(acctCommand({ job: '84' }).parse('', fx('qacct-never-started.stdout+stderr.txt')), []);
  assert.equal(ctimeIso('Wed Dec  2 20:29:24 2026'), '2026-12-02T20:29:24');
  assert.equal(ctimeIso('-/-'), undefined);
});

test('state letters', () => {
  assert.deepEqual(['qw', 'hqw', 'r', 't', 'Eqw', 'dr', 'Rr', 'Rq', 's', 'S', 'T'].map(queueState), ['PENDING', 'PENDING', 'RUNNING', 'CONFIGURING', 'PENDING', 'COMPLETING', 'RUNNING', 'PENDING', 'SUSPENDED', 'SUSPENDED', 'SUSPENDED']);
});

test('qsub: options as separate words, -terse ids, refusals with reasons', () => {
  const cmd = qsubCommand({ scriptText: 'echo', name: 'n', partition: 'all.q', account: 'a', time: '90', ntasks: 2, cpusPerTask: 2, mem: '8G', array: '1-9:2%3', output: 'o $JOB_ID', mailUser: 'u@x', mailEvents: ['begin', 'fail'], hold: true, tags: ['t1', 't2'], comment: 'c, d', extraArgs: ['-P', 'proj'], cwd: '/w' });
  assert.deepEqual(cmd.argv, ['qsub', '-terse', '-N', 'n', '-q', 'all.q', '-A', 'a', '-l', 'h_rt=1:30:00', '-pe', 'smp', '4', '-l', 'h_vmem=2G', '-t', '1-9:2', '-tc', '3', '-o', 'o $JOB_ID', '-j', 'y', '-cwd', '-M', 'u@x', '-m', 'ba', '-h', '-P', 'proj', '-v', 'RHPC_COMMENT']);
  assert.deepEqual(cmd.env, { RHPC_COMMENT: 'c%2C d; tags=t1%2Ct2' });
  assert.equal(cmd.stdin, 'echo');
  assert.deepEqual(qsubCommand({ script: '-x.sh', scriptArgs: ['a b'], chdir: '/d' }).argv, ['qsub', '-terse', '-wd', '/d', './-x.sh', 'a b']);
  assert.deepEqual(parseTerseId(fx('qsub-terse.txt')), { job: '84', array: false });
  assert.deepEqual(parseTerseId(fx('qsub-terse-array.txt')), { job: '85', array: true });
  assert.equal(hRt('UNLIMITED'), 'INFINITY');
  assert.equal(hRt('1-02:03:04'), '26:03:04');
  assert.equal(perSlotMemory('1.5G', 2), '768M');
  const refusals: [ScriptOptions, RegExp][] = [
    [{ gpus: 1 }, /GPU/],
    [{ nodes: 2 }, /nodes/],
    [{ array: '0-2' }, /start at 1/],
    [{ array: '1,3' }, /one range/],
    [{ dependency: 'afterok:1' }, /afterany/],
    [{ nice: -5 }, /lower/],
    [{ extraArgs: ['--x'] }, /--long/],
    [{ extraArgs: ['value'] }, /must start with/],
  ];
  for (const [spec, re] of refusals) assert.throws(() => qsubOptions(spec), (e: unknown) => e instanceof SpecError && re.test(e.message), JSON.stringify(spec));
  assert.equal(checkJobName(HOSTILE), undefined);
  for (const bad of ['a b', '名前', '1abc', 'a/b', 'a:b', 'a@b', 'a\\b', 'a*b', 'a?b']) assert.ok(checkJobName(bad), bad);
});

test('#$ lines: quotes group and vanish, # ends the line; written lines read back, quotes refused', () => {
  assert.deepEqual(splitDirectiveWords(`-o "out 'q' x.txt" -N a # c`), ['-o', 'out q x.txt', '-N', 'a']);
  const f = gridEngineScriptFormat;
  const lines = f.writeDirectives({ name: HOSTILE, time: '0:05:00', comment: 'a, b', tags: ['x'], output: 'out dir/o.txt', dependency: 'afterany:5:6' });
  assert.deepEqual(lines, ['#$ -N it_$(x)`id`|;&<>!~', '#$ -l h_rt=0:05:00', '#$ -o "out dir/o.txt"', '#$ -j y', '#$ -hold_jid 5,6', '#$ -cwd', '#$ -v "RHPC_COMMENT=a%2C b; tags=x"']);
  assert.deepEqual(f.readDirectives(['#!/bin/sh', ...lines, 'echo'].join('\n')), { name: HOSTILE, time: '0:05:00', output: 'out dir/o.txt', dependency: 'afterany:5:6', comment: 'a, b; tags=x' });
  assert.deepEqual(f.readDirectives('#$ -l h_rt=300\n#$ -t 1-3\necho\n#$ -N late'), { time: '5:00', array: '1-3' });
  assert.throws(() => f.writeDirectives({ output: `it's` }), SpecError);
  assert.throws(() => f.writeDirectives({ name: 'a\nb' }), SpecError);
});

test('failures: unreachable, unknown job, refused option; qmod -rj refusing with exit 0', () => {
  assert.equal(classifyGeFailure('qstat', 1, 'error: commlib error: got select error (Connection refused)\nunable to contact qmaster using port 6444 on host "localhost"').kind, 'unreachable');
  assert.equal(classifyGeFailure('qdel', 1, fx('qdel-unknown.stdout+stderr.txt')).kind, 'invalid-job');
  const q = classifyGeFailure('qsub', 1, 'Unable to run job: Job was rejected because job requests unknown queue "nope".\nExiting.');
  assert.deepEqual([q.kind, q.option], ['rejected', 'partition']);
  assert.throws(() => requeueCommand(['86']).parse(fx('qmod-rj-refused.txt'), ''), /not rerunable/);
});

test('the probe output of the Grid Engine host is Grid Engine, with its version', () => {
  const d = parseSchedulerProbe('have qsub\nhave qstat\nhave qconf\nversion: SGE 8.1.9\n');
  assert.deepEqual([d.kind, d.version], ['gridengine', '8.1.9']);
});

/** A runner answering from the recordings, counting calls. */
function replay(): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const out = (stdout: string) => ({ code: 0, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) });
  return {
    calls,
    run: async (argv) => {
      const key = argv.join(' ');
      calls.push(key);
      if (key === 'qstat -xml -g d -r -u hpcuser') return out(fx('qstat-xml-g-d-r.xml'));
      if (key === 'qstat -xml -g d -s hu -u hpcuser') return out(fx('qstat-xml-s-hu.xml'));
      if (key.startsWith('qstat -j ') && key.endsWith(' -xml')) return out(fx('qstat-j.xml'));
      throw new Error(`unexpected ${key}`);
    },
  };
}

test('list: one qstat per cycle once the jobs are known; the first cycle learns them with one qstat -j; a held-looking dependency wait asks -s hu', async () => {
  const r = replay();
  const s = new GridEngineScheduler(r);
  const jobs = await s.list('hpcuser');
  assert.deepEqual(r.calls, ['qstat -xml -g d -r -u hpcuser', 'qstat -j 86,84,85,87 -xml', 'qstat -xml -g d -s hu -u hpcuser']);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  assert.deepEqual([...byId.keys()], ['86', '84', '85_1', '85_2', '85_3', '87']);
  const held = byId.get('84');
  assert.deepEqual([held?.state, held?.reason, held?.name, held?.timeLimit, held?.workDir, held?.comment, held?.tags], ['PENDING', 'JobHeldUser', HOSTILE, '5:00', '/home/hpcuser/gefx', 'tags=contract,held', ['contract', 'held']]);
  const run = byId.get('86');
  assert.deepEqual([run?.state, run?.partition, run?.nodes, run?.timeLimit], ['RUNNING', 'all.q', 'localhost', 'PARTITION_LIMIT']);
  assert.deepEqual(byId.get('87')?.dependencies, [{ kind: 'afterany', jobId: '86' }]);
  assert.deepEqual([byId.get('85_2')?.arrayJobId, byId.get('85_2')?.arrayTaskId, byId.get('85_2')?.rawId], ['85', '2', '85.2']);
  assert.deepEqual(await s.outputPaths('84'), { stdout: "/home/hpcuser/gefx/out 'q' 84.txt", stderr: '/home/hpcuser/gefx/err.84.undefined' });
  assert.deepEqual(await s.outputPaths('85_2'), { stdout: '/home/hpcuser/gefx/arr.o85.2', stderr: '/home/hpcuser/gefx/arr.e85.2', guessed: true });
  r.calls.length = 0;
  await s.list('hpcuser');
  assert.deepEqual(r.calls, ['qstat -xml -g d -r -u hpcuser', 'qstat -xml -g d -s hu -u hpcuser'], 'known jobs: no qstat -j; the dependency wait still asks for user holds');
  assert.throws(() => s.attachCommand('86', ['bash']), /qrsh -inherit/);
});
