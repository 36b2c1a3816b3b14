/**
 * PBS Pro / OpenPBS and Torque parsers and command builders on output in the formats their
 * sources and documentation define (test/fixtures/pbs, test/fixtures/torque: synthesised, see
 * their README), plus the argv the builders produce. No real PBS or Torque server runs here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseQstatJson } from '../../src/core/scheduler/pbs/qstatJson';
import { parseQstatXml, splitVariableList } from '../../src/core/scheduler/torque/qstatXml';
import { PbsScheduler, pbsScriptFormat } from '../../src/core/scheduler/pbs/pbsScheduler';
import { TorqueScheduler, torqueScriptFormat } from '../../src/core/scheduler/torque/torqueScheduler';
import { isArrayParent, pbsTime, recordOutputPaths, recordToJob } from '../../src/core/scheduler/pbsFamily/records';
import { parseQsub, qsubCommand } from '../../src/core/scheduler/pbsFamily/commands';
import { pbsDialect } from '../../src/core/scheduler/pbs/pbsScheduler';
import { torqueDialect } from '../../src/core/scheduler/torque/torqueScheduler';
import { pbsJobState } from '../../src/core/scheduler/pbsFamily/states';
import { directiveWord, splitDirectiveWords } from '../../src/core/scheduler/pbsFamily/words';
import { parseVariableList } from '../../src/core/scheduler/pbsFamily/directives';
import { checkNeutralIds, nativeId, neutralId, parseNativeId } from '../../src/core/scheduler/pbsFamily/ids';
import { classifyPbsFailure } from '../../src/core/scheduler/pbsFamily/errors';
import { dependOption, pbsSize, walltime } from '../../src/core/scheduler/pbsFamily/options';
import { serverStatusCommand } from '../../src/core/scheduler/pbsFamily/query';
import { ParseError, SchedulerError, SpecError } from '../../src/core/scheduler/command';
import { answeringRunner, type CommandAnswer } from '../support/answeringRunner';
import { isHeld } from '../../src/core/jobs/format';
import { groupByArray } from '../../src/core/scheduler/group';

const fx = (kind: 'pbs' | 'torque', name: string) => readFileSync(join(__dirname, '..', 'fixtures', kind, name), 'utf8');
const WD = '/home/alice/runs/exp 1';

test('qstat -f -F json: every job, subjobs one by one, numbers and objects flattened to text', () => {
  const recs = parseQstatJson(fx('pbs', 'qstat-f-F-json-t.json'));
  assert.equal(recs.length, 10);
  const running = recs.find((r) => r.id === '103.pbs-head');
  assert.equal(running?.attrs['Resource_List.walltime'], '02:00:00');
  assert.equal(running?.attrs['resources_used.ncpus'], '4');
  assert.equal(running?.attrs.Priority, '0');
  assert.equal(running?.attrs['Variable_List.PBS_O_WORKDIR'], WD);
  assert.deepEqual(parseQstatJson(fx('pbs', 'qstat-empty.json')), []);
  assert.throws(() => parseQstatJson('qstat: not json'), ParseError);
});

test('PBS records → jobs: held, dependency, running, pending reason, array subjobs, owner, comment and tags', () => {
  const recs = parseQstatJson(fx('pbs', 'qstat-f-F-json-t.json'));
  const jobs = new Map(recs.filter((r) => !isArrayParent(r)).map((r) => [recordToJob(r).id, recordToJob(r)]));
  const held = jobs.get('101');
  assert.equal(held?.state, 'PENDING');
  assert.equal(held?.reason, 'JobHeldUser');
  assert.ok(held && isHeld(held));
  assert.equal(held?.comment, 'nightly, run 3; tags=fixture,held');
  assert.deepEqual(held?.tags, ['fixture', 'held']);
  assert.equal(held?.user, 'alice');
  assert.equal(held?.workDir, WD);
  assert.equal(held?.timeLimit, '1:00:00');
  assert.equal(held?.submitTime, '2026-12-02T09:14:05');
  const dep = jobs.get('102');
  assert.equal(dep?.reason, 'Dependency');
  assert.ok(dep && !isHeld(dep), 'a system hold for a dependency is no user hold');
  assert.deepEqual(dep?.dependencies, [{ kind: 'afterok', jobId: '101' }]);
  const run = jobs.get('103');
  assert.equal(run?.state, 'RUNNING');
  assert.equal(run?.name, 'sim_run+2');
  assert.equal(run?.elapsed, '3:01');
  assert.equal(run?.timeLimit, '2:00:00');
  assert.equal(run?.nodes, 'cn001');
  assert.equal(run?.nodeCount, 1);
  assert.equal(run?.startTime, '2026-12-02T09:15:00');
  assert.equal(run?.reason, '', "the scheduler's 'Job run at' comment is no reason");
  assert.match(jobs.get('104')?.reason ?? '', /^Not Running: Insufficient amount of resource: ncpus/);
  assert.equal(jobs.get('120')?.user, 'bob');
  assert.equal(recs.filter(isArrayParent).length, 1);
  const tasks = [...jobs.values()].filter((j) => j.arrayJobId === '110');
  assert.deepEqual(tasks.map((t) => [t.id, t.arrayTaskId, t.state]), [['110_0', '0', 'COMPLETED'], ['110_1', '1', 'RUNNING'], ['110_2', '2', 'PENDING']]);
  assert.equal(tasks[0]?.rawId, '110[0].pbs-head');
  const [group] = groupByArray(tasks);
  assert.equal(group?.id, '110');
  assert.equal(group?.state, 'RUNNING');
});

test('PBS history (qstat -x): finished jobs by exit status and substate', () => {
  const recs = parseQstatJson(fx('pbs', 'qstat-x-f-F-json-t.json'));
  const by = new Map(recs.filter((r) => !isArrayParent(r)).map((r) => [recordToJob(r).id, recordToJob(r)]));
  const st = (id: string) => [by.get(id)?.state, by.get(id)?.exitCode, by.get(id)?.signal];
  assert.deepEqual(st('90'), ['COMPLETED', 0, undefined]);
  assert.deepEqual(st('91'), ['FAILED', 3, undefined]);
  assert.deepEqual(st('92'), ['CANCELLED', 0, 15]);
  assert.deepEqual(st('93'), ['CANCELLED', undefined, undefined]);
  assert.deepEqual(st('94'), ['TIMEOUT', -29, undefined]);
  assert.deepEqual(st('95'), ['FAILED', 0, 9]);
  assert.deepEqual(st('96_0'), ['COMPLETED', 0, undefined]);
  assert.deepEqual(st('96_1'), ['FAILED', 1, undefined]);
  assert.equal(by.get('90')?.endTime, '2026-12-02T08:05:00');
});

test('PBS 18.x invalid JSON (bare inf, raw backslashes and tabs) is repaired, not a failed poll', () => {
  const [rec] = parseQstatJson(fx('pbs', 'qstat-18.1-invalid.json'));
  assert.equal(rec?.attrs.Job_Name, 'inf');
  assert.equal(rec?.attrs['Variable_List.PBS_O_WORKDIR'], '/home/alice/win\\dir');
  assert.equal(rec?.attrs['Variable_List.RHPC_COMMENT'], 'two\ttabs\tinside');
});

test('output paths: host: prefix off, ^array_index^ expanded, a joined stderr left out', () => {
  const recs = new Map(parseQstatJson(fx('pbs', 'qstat-f-F-json-t.json')).map((r) => [r.id, r]));
  const rec = (id: string) => recs.get(id) as NonNullable<ReturnType<typeof recs.get>>;
  assert.deepEqual(recordOutputPaths(rec('101.pbs-head')), { stdout: `${WD}/held-job.o101`, stderr: `${WD}/held-job.e101` });
  assert.deepEqual(recordOutputPaths(rec('104.pbs-head')), { stdout: "/scratch/alice/out 'q' $(x).txt", stderr: '/scratch/alice/err.txt' });
  assert.deepEqual(recordOutputPaths(rec('105.pbs-head')), { stdout: `${WD}/joined.o105` });
  assert.deepEqual(recordOutputPaths(rec('110[2].pbs-head')), { stdout: `${WD}/sweep.o110.2`, stderr: `${WD}/sweep.e110.2` });
});

test('Torque qstat -f -x: one line of unescaped XML; & and > raw, < as 0x0E, epoch times, Variable_List split', () => {
  const recs = parseQstatXml(fx('torque', 'qstat-f-x-t.xml'));
  assert.equal(recs.length, 10);
  const jobs = new Map(recs.map((r) => [recordToJob(r).id, recordToJob(r)]));
  assert.equal(jobs.get('203')?.name, 'it\'s"q"$(touch_x)`id`|&<b>');
  assert.equal(jobs.get('203')?.state, 'RUNNING');
  assert.equal(jobs.get('203')?.nodes, 'cn001');
  assert.equal(jobs.get('203')?.timeLimit, '2:00:00');
  assert.equal(jobs.get('203')?.startTime, pbsTime('1764666900'));
  assert.equal(jobs.get('201')?.comment, 'nightly, run 3; tags=fixture,held', 'commas inside the value rejoined');
  assert.deepEqual(jobs.get('201')?.tags, ['fixture', 'held']);
  assert.equal(jobs.get('202')?.reason, 'Dependency');
  assert.equal(jobs.get('205')?.workDir, '/scratch/alice/wd', 'init_work_dir (-d) wins');
  assert.deepEqual([jobs.get('199')?.state, jobs.get('198')?.state, jobs.get('198')?.exitCode, jobs.get('197')?.state], ['COMPLETED', 'FAILED', 3, 'CANCELLED']);
  assert.deepEqual([jobs.get('210_0')?.arrayJobId, jobs.get('210_1')?.arrayTaskId], ['210', '1']);
  assert.deepEqual(recordOutputPaths(recs.find((r) => r.id === '210[1].torque-head') as never), { stdout: `${WD}/sweep.o210-1`, stderr: `${WD}/sweep.e210-1` });
  assert.deepEqual(parseQstatXml(fx('torque', 'qstat-empty.xml')), []);
  assert.deepEqual(parseQstatXml(''), []);
  assert.throws(() => parseQstatXml('<Data><Job><Job_Name>x</Job_Name></Job></Data>'), ParseError);
  assert.throws(() => parseQstatXml('<Data><Job><Job_Id>1</Job_Id>'), ParseError);
  assert.deepEqual(splitVariableList('A=1,B=x,y,C='), { A: '1', B: 'x,y', C: '' });
});

test('states: every documented letter maps, unknown ones are UNKNOWN', () => {
  for (const [l, s] of [['Q', 'PENDING'], ['H', 'PENDING'], ['W', 'PENDING'], ['T', 'PENDING'], ['R', 'RUNNING'], ['B', 'RUNNING'], ['E', 'COMPLETING'], ['S', 'SUSPENDED'], ['U', 'SUSPENDED'], ['M', 'REVOKED']] as const) assert.equal(pbsJobState(l), s, l);
  assert.equal(pbsJobState('F', { exitStatus: 0, substate: 92 }), 'COMPLETED');
  assert.equal(pbsJobState('X', { exitStatus: -27 }), 'OUT_OF_MEMORY');
  assert.equal(pbsJobState('C', { exitStatus: 0 }), 'COMPLETED');
  assert.equal(pbsJobState('Z'), 'UNKNOWN');
});

test('ids: native ↔ neutral, arrays need [] on the command line, anything else refused', () => {
  assert.deepEqual(parseNativeId('123[4].srv.example.org'), { seq: '123', index: '4', server: 'srv.example.org' });
  assert.equal(neutralId(parseNativeId('123[].srv') as never), '123');
  assert.equal(nativeId('123_4', new Set()), '123[4]');
  assert.equal(nativeId('123', new Set(['123'])), '123[]');
  assert.equal(nativeId('123', new Set()), '123');
  assert.throws(() => checkNeutralIds(['1; rm -rf ~']), SpecError);
  assert.throws(() => checkNeutralIds(['123[]']), SpecError);
  assert.deepEqual(parseQsub(fx('pbs', 'qsub-array.txt')), { seq: '110', index: '', server: 'pbs-head' });
  assert.deepEqual(parseQsub(fx('torque', 'qsub.txt')), { seq: '41', server: 'torque-head' });
  assert.throws(() => parseQsub('qsub: ok\n'), ParseError);
});

test('directive words: split as qsub make_argv does; written words read back whatever they hold', () => {
  assert.deepEqual(splitDirectiveWords(`-N 'a b' -o "x'y" -e c\\ d # not a comment`), ['-N', 'a b', '-o', "x'y", '-e', 'c d', '#', 'not', 'a', 'comment']);
  for (const w of [`it's "q" $(x) \`id\` | 名前 ✓`, "-lead", 'a\\b', '', '#hash', '🙂 emoji']) assert.deepEqual(splitDirectiveWords(directiveWord(w)), [w], w);
  assert.throws(() => directiveWord('a\nb'), SpecError);
  assert.deepEqual(parseVariableList(`A=1,RHPC_COMMENT='x, tags=a,b',B`), { A: '1', RHPC_COMMENT: 'x, tags=a,b' });
});

test('qsub argv: options as separate words, variables named in one -v list, script on stdin', () => {
  const cmd = qsubCommand(
    { scriptText: '#!/bin/sh\ntrue\n', cwd: WD, name: '-x.y', partition: 'workq', account: 'proj1', time: '90', nodes: 2, ntasks: 8, cpusPerTask: 2, mem: '4G', gpus: 1, array: '0-9%2', output: 'o.txt', tags: ['a', 'b'], comment: 'c, d', dependency: 'afterok:5:6_2,afterany:7', hold: true, env: { K: 'v, "q"' }, extraArgs: ['-Pproj'] },
    pbsDialect,
  );
  assert.deepEqual(cmd.argv, ['qsub', '-N', '-x.y', '-q', 'workq', '-A', 'proj1', '-l', 'walltime=1:30:00', '-l', 'select=2:ncpus=8:mpiprocs=4:mem=4gb:ngpus=1', '-J', '0-9%2', '-o', 'o.txt', '-j', 'oe', '-W', 'depend=afterok:5:6[2],afterany:7', '-h', '-Pproj', '-v', 'RHPC_COMMENT,K']);
  assert.deepEqual(cmd.env, { RHPC_COMMENT: 'c, d; tags=a,b', K: 'v, "q"' });
  assert.equal(cmd.stdin, '#!/bin/sh\ntrue\n');
  assert.equal(cmd.cwd, WD);
  const t = qsubCommand({ script: '-odd.sh', nodes: 2, ntasks: 8, mem: '1.5G', array: '1,3,5', chdir: '/w' }, torqueDialect);
  assert.deepEqual(t.argv, ['qsub', '-l', 'nodes=2:ppn=4', '-l', 'mem=3gb', '-t', '1,3,5', '-d', '/w', './-odd.sh']);
});

test('what a PBS-family scheduler lacks is refused with a clear message, never dropped', () => {
  const refuse = (spec: Parameters<typeof qsubCommand>[0], dialect: typeof pbsDialect, re: RegExp) => assert.throws(() => qsubCommand({ scriptText: 'x', ...spec }, dialect), (e: unknown) => e instanceof SpecError && re.test(e.message));
  refuse({ name: 'a b' }, pbsDialect, /letters, digits and - _ \+ \. only/);
  refuse({ name: `it's` }, pbsDialect, /letters, digits/);
  refuse({ name: 'a b' }, torqueDialect, /printable ASCII characters without spaces/);
  refuse({ name: '名前' }, torqueDialect, /printable ASCII/);
  refuse({ array: '1,3,5' }, pbsDialect, /one range/);
  refuse({ array: '0-15:4' }, torqueDialect, /no step/);
  refuse({ dependency: 'singleton' }, pbsDialect, /no dependency type "singleton"/);
  refuse({ dependency: 'afterok:1?afterok:2' }, pbsDialect, /SLURM's alone/);
  refuse({ dependency: 'after:1+5' }, pbsDialect, /no \+minutes/);
  refuse({ nice: 5 }, pbsDialect, /no nice value/);
  refuse({ chdir: '/w' }, pbsDialect, /no working-directory option/);
  refuse({ gpus: 'a100:2' }, pbsDialect, /no standard GPU type/);
  refuse({ nodes: '2-4' }, torqueDialect, /node count, not a range/);
  refuse({ nodes: 3, ntasks: 8 }, pbsDialect, /do not spread evenly/);
  refuse({ time: 'UNLIMITED' }, pbsDialect, /no unlimited walltime/);
  refuse({ extraArgs: ['walltime=1'] }, pbsDialect, /must start with '-'/);
  assert.throws(() => qsubCommand({ script: 'a.sh', scriptArgs: ['x'] }, pbsDialect), /no arguments after the script/);
});

test('walltime, sizes and dependencies in PBS syntax', () => {
  assert.deepEqual(['30', '1:30', '2:00:00', '1-12', '1-00:00:01'].map((t) => walltime(t, 'PBS')), ['0:30:00', '0:01:30', '2:00:00', '36:00:00', '24:00:01']);
  assert.deepEqual(['4G', '500M', '1.5T', '2048', '100K', '1.5G'].map((m) => pbsSize(m)), ['4gb', '500mb', '1536gb', '2gb', '100kb', '1536mb']);
  assert.equal(dependOption('afternotok:1_2', 'PBS'), 'afternotok:1[2]');
});

test('#PBS directives: read back what writeDirectives writes (hostile values, comment with commas), walltime seconds → neutral', () => {
  for (const format of [pbsScriptFormat, torqueScriptFormat]) {
    const name = format === pbsScriptFormat ? 'from-directives_1.x' : `it's"q"$(touch_x)\`id\`|&<>`;
    const lines = format.writeDirectives({ name, time: '0:05:00', comment: 'a, b "c"', tags: ['t1', 't2'], output: "out 'q' $(x) ✓.txt", error: 'err "e".txt', partition: 'debug', array: '0-2', dependency: 'afterany:12_1' });
    const text = ['#!/bin/sh', ...lines, 'echo hi', '#PBS -N ignored-after-commands', ''].join('\n');
    assert.deepEqual(format.readDirectives(text), { name, time: '0:05:00', comment: 'a, b "c"; tags=t1,t2', output: "out 'q' $(x) ✓.txt", error: 'err "e".txt', partition: 'debug', array: '0-2', dependency: 'afterany:12_1' });
  }
  assert.deepEqual(pbsScriptFormat.readDirectives('#!/bin/bash\n#PBS -l walltime=3600,select=1:ncpus=2\n#PBS -P gx12 -Nshort\n#PBS -W depend=afterok:5.srv:6[].srv\n'), { time: '1:00:00', account: 'gx12', name: 'short', dependency: 'afterok:5:6' });
  assert.throws(() => pbsScriptFormat.writeDirectives({ comment: `both ' and "` }), /both kinds of quotes/);
  assert.equal(pbsScriptFormat.checkTimeLimit('1:00:00'), undefined);
  assert.ok(pbsScriptFormat.checkTimeLimit('soon'));
  assert.ok(torqueScriptFormat.checkTimeLimit('UNLIMITED'));
});

test('failures: unreachable, unknown job, refused option named', () => {
  const down = classifyPbsFailure('qstat', 2, fx('pbs', 'qstat-down.stderr'));
  assert.equal(down.kind, 'unreachable');
  assert.equal(classifyPbsFailure('qstat', 1, fx('torque', 'qstat-down.stderr')).kind, 'unreachable');
  assert.equal(classifyPbsFailure('qstat', 153, fx('pbs', 'qstat-unknown.stderr')).kind, 'invalid-job');
  assert.equal(classifyPbsFailure('qstat', 153, fx('torque', 'qstat-unknown.stderr')).kind, 'invalid-job');
  const q = classifyPbsFailure('qsub', 168, fx('pbs', 'qsub-unknown-queue.stderr'));
  assert.equal(q.message, 'qsub: Unknown queue');
  assert.equal(q.option, 'partition');
  assert.equal(classifyPbsFailure('qsub', 2, fx('pbs', 'qsub-illegal-name.stderr')).option, 'name');
  assert.equal(classifyPbsFailure('qsub', 127, 'sh: qsub: command not found').kind, 'not-found');
});

test('qstat -B: the server status line', () => {
  const cmd = serverStatusCommand();
  assert.deepEqual(cmd.argv, ['qstat', '-B']);
  assert.deepEqual(cmd.parse(fx('pbs', 'qstat-B.txt'), ''), { up: true, message: 'Server pbs-head is Active' });
  assert.equal(cmd.parse(fx('torque', 'qstat-B.txt').replace('Active', 'Terminating'), '').up, false);
});

/** A runner answering each program from the fixtures and recording the argv. */
const fixtureRunner = (kind: 'pbs' | 'torque', answers: Record<string, CommandAnswer>) =>
  answeringRunner(answers, (line) => {
    throw new Error(`${kind}: no fixture for ${line}`);
  });

test('PbsScheduler on the fixtures: one qstat for the list, the user\'s live jobs only; array ids learnt and used with []', async () => {
  const runner = fixtureRunner('pbs', {
    'qstat -f -F json -t': { stdout: fx('pbs', 'qstat-f-F-json-t.json') },
    'qdel 110[]': {},
    'qhold 110[1]': {},
    'qstat -f -F json -x -t 99999999': { code: 153, stderr: fx('pbs', 'qstat-unknown.stderr') },
    'qstat -f -F json -x -t 101': { stdout: fx('pbs', 'qstat-f-F-json-t.json') },
  });
  const s = new PbsScheduler(runner);
  const jobs = await s.list('alice');
  assert.equal(runner.calls.length, 1);
  assert.deepEqual(jobs.map((j) => j.id).sort(), ['101', '102', '103', '104', '105', '110_1', '110_2']);
  await s.cancel(['110']);
  await s.hold(['110_1']);
  await assert.rejects(s.details('99999999'), (e: unknown) => e instanceof SchedulerError && e.kind === 'invalid-job');
  assert.deepEqual(await s.finalState([]), []);
  const d = await s.details('101');
  assert.equal(d.state, 'PENDING');
  assert.equal(d.sections[0]?.source, 'controller');
  assert.equal(d.sections[0]?.fields['Resource_List.walltime'], '1:00:00');
  assert.deepEqual(await s.outputPaths('101'), { stdout: `${WD}/held-job.o101`, stderr: `${WD}/held-job.e101` });
});

test('TorqueScheduler on the fixtures: qstat -u for the list, completed jobs left to finalState', async () => {
  const runner = fixtureRunner('torque', {
    'qstat -f -x -t -u alice': { stdout: fx('torque', 'qstat-f-x-t.xml') },
    'qstat -f -x -t 199 198 99': { stdout: fx('torque', 'qstat-f-x-t.xml'), stderr: 'qstat: Unknown Job Id Error 99.torque-head\n', code: 153 },
    'qstat -B': { stdout: fx('torque', 'qstat-B.txt') },
  });
  const s = new TorqueScheduler(runner);
  const jobs = await s.list('alice');
  assert.deepEqual(jobs.map((j) => j.id).sort(), ['201', '202', '203', '204', '205', '210_0', '210_1']);
  const finals = await s.finalState(['199', '198', '99']);
  assert.deepEqual(finals.map((j) => [j.id, j.state]).sort(), [['198', 'FAILED'], ['199', 'COMPLETED']]);
  assert.deepEqual(await s.ping(), { up: true, message: 'Server torque-head is Active' });
  await assert.rejects(s.cancel(['1; rm -rf ~']), SpecError);
  assert.equal(runner.calls.length, 3);
});

test('a terminal on the node: ssh -t to the named node, the command quoted once (pbs_attach on PBS)', () => {
  const pbs = new PbsScheduler({ run: async () => ({ code: 0, stdout: Buffer.from(''), stderr: Buffer.from('') }) });
  assert.deepEqual(pbs.expandNodeList('cn001,cn002'), ['cn001', 'cn002']);
  assert.deepEqual(pbs.attachCommand('103.pbs-head', ['/bin/sh', '-c', 'exec "$SHELL"'], { node: 'cn001' }), ['ssh', '-t', '--', 'cn001', `pbs_attach -j 103.pbs-head /bin/sh -c 'exec "$SHELL"'`]);
  const torque = new TorqueScheduler({ run: async () => ({ code: 0, stdout: Buffer.from(''), stderr: Buffer.from('') }) });
  assert.deepEqual(torque.attachCommand('203.torque-head', ['bash'], { node: 'cn001' }), ['ssh', '-t', '--', 'cn001', 'bash']);
  assert.throws(() => pbs.attachCommand('103', ['bash']), /pick one of the job's nodes/);
  assert.throws(() => pbs.attachCommand('103', ['bash'], { node: '-oProxyCommand=x' }), SpecError);
  assert.throws(() => pbs.attachCommand('1; id', ['bash'], { node: 'cn001' }), SpecError);
});
