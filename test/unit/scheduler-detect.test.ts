/**
 * Which scheduler a host runs: the one-round-trip probe (run for real with sh, against stand-in
 * commands that print what each scheduler's own prints: sources in src/core/scheduler/detect.ts),
 * its parser, and the factory that caches the answer per host, lets a setting override it and
 * renders a job description's header for the host's scheduler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { detectSchedulerCommand, parseSchedulerProbe } from '../../src/core/scheduler/detect';
import { HostSchedulers, type SchedulerChoice } from '../../src/core/jobs/schedulers';
import { renderBatchScript } from '../../src/core/scheduler/jobSpec';
import { SchedulerError, SpecError } from '../../src/core/scheduler/command';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps, RemoteOpsProvider } from '../../src/core/remote/types';

/** Runs the probe with only the given stand-in commands (plus head and sed) on the PATH. */
function probeWith(commands: Record<string, string>): string {
  const bin = mkdtempSync(join(tmpdir(), 'rhpc-probe-'));
  try {
    for (const tool of ['head', 'sed']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim(), join(bin, tool));
    for (const [name, body] of Object.entries(commands)) {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const [sh, ...args] = detectSchedulerCommand().argv as [string, ...string[]];
    assert.equal(sh, 'sh');
    return execFileSync('/bin/sh', args, { env: { PATH: bin } }).toString();
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

test('the probe, run by sh: SLURM first, PBS by pbs_version, Torque by Version:, Grid Engine by qconf, none', () => {
  const pbs = probeWith({ qsub: 'exit 0', qstat: '[ "$1" = --version ] && echo "pbs_version = 2022.1.4"' });
  assert.deepEqual(parseSchedulerProbe(pbs), { kind: 'pbs', version: '2022.1.4', evidence: 'qsub, qstat on the PATH; pbs_version = 2022.1.4' });
  const torque = probeWith({ qsub: 'exit 0', qstat: '[ "$1" = --version ] && { echo "Version: 6.1.3" >&2; echo "Commit: 0a1b2c" >&2; exit 0; }' });
  assert.equal(parseSchedulerProbe(torque).kind, 'torque');
  assert.equal(parseSchedulerProbe(torque).version, '6.1.3');
  // SLURM wins over its qsub/qstat wrappers; their qstat is never asked.
  const slurm = probeWith({ sbatch: '[ "$1" = --version ] && echo "slurm-wlm 22.05.8"', qsub: 'exit 0', qstat: 'echo asked >&2; exit 1' });
  assert.deepEqual(parseSchedulerProbe(slurm), { kind: 'slurm', version: '22.05.8', evidence: 'sbatch, qsub, qstat on the PATH; slurm-wlm 22.05.8' });
  const sge = probeWith({ qsub: 'exit 0', qconf: 'exit 0', qstat: 'echo "SGE 8.1.9"; echo "usage: qstat [options]"; exit 1' });
  assert.equal(parseSchedulerProbe(sge).kind, 'gridengine');
  assert.deepEqual(parseSchedulerProbe(probeWith({})), { kind: 'none', evidence: 'no sbatch, qsub or qstat on the PATH' });
  assert.equal(parseSchedulerProbe('have qstat\nversion: qstat: unknown option\n').kind, 'none', 'a qstat nobody recognises is no scheduler we drive');
});

const PBS_JSON = readFileSync(join(__dirname, '..', 'fixtures', 'pbs', 'qstat-f-F-json-t.json'), 'utf8');

/** A provider whose one host answers the probe with `probe` and qstat from the PBS fixture. */
function provider(probe: () => string) {
  const calls: string[][] = [];
  const ops = {
    run: async (argv: string[]) => {
      calls.push(argv);
      if (argv[0] === 'sh') return { code: 0, stdout: Buffer.from(probe()), stderr: Buffer.alloc(0) };
      if (argv[0] === 'qstat') return { code: 0, stdout: Buffer.from(PBS_JSON), stderr: Buffer.alloc(0) };
      if (argv[0] === 'squeue') return { code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
      return { code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(`${argv[0]}: command not found`) };
    },
  } as unknown as RemoteOps;
  const p: RemoteOpsProvider = { ops: async () => ops, onDidInvalidate: () => ({ dispose() {} }) } as unknown as RemoteOpsProvider;
  return { p, calls };
}

test('HostSchedulers: one probe per host, cached until forgotten; its scheduler answers; a setting overrides it', async () => {
  const { p, calls } = provider(() => 'have qsub\nhave qstat\nversion: pbs_version = 2022.1.4\n');
  let choice: SchedulerChoice = 'auto';
  const detected: string[] = [];
  const s = new HostSchedulers(p, silentLogger, { choice: () => choice });
  s.onDetected((h) => detected.push(h));
  const [a, b] = await Promise.all([s.scheduler('gadi').list('alice'), s.scheduler('gadi').list('alice')]);
  assert.equal(a.length, 7);
  assert.equal(b.length, 7);
  assert.deepEqual(calls.map((c) => c[0]), ['sh', 'qstat', 'qstat'], 'one probe for both');
  assert.equal(s.scheduler('gadi').kind, 'pbs');
  assert.equal(s.knownScheduler('gadi')?.version, '2022.1.4');
  assert.deepEqual(detected, ['gadi']);
  await s.scheduler('gadi').list('alice');
  assert.equal(calls.filter((c) => c[0] === 'sh').length, 1);
  s.forget('gadi');
  assert.equal(s.knownScheduler('gadi'), undefined);
  await s.detect('gadi');
  assert.equal(calls.filter((c) => c[0] === 'sh').length, 2, 'asked again after a disconnect');

  choice = 'slurm';
  calls.length = 0;
  await s.scheduler('other').list('alice');
  assert.deepEqual(calls.map((c) => c[0]), ['squeue'], 'the setting names it: no probe');
  assert.equal(s.knownScheduler('other')?.kind, 'slurm');
});

test('HostSchedulers: a failed probe counts as SLURM and is asked again; a host with none lists nothing and refuses the rest', async () => {
  let fail = true;
  const { p, calls } = provider(() => {
    if (fail) throw new Error('channel closed');
    return '';
  });
  const s = new HostSchedulers(p, silentLogger);
  assert.equal((await s.detect('h')).kind, 'slurm');
  fail = false;
  assert.equal((await s.detect('h')).kind, 'none');
  assert.equal(calls.filter((c) => c[0] === 'sh').length, 2);
  const none = s.scheduler('h');
  assert.deepEqual(await none.list('alice'), []);
  await assert.rejects(none.ping(), (e: unknown) => e instanceof SchedulerError && e.kind === 'not-found' && /no sbatch, qsub or qstat/.test(e.message));
  await assert.rejects(none.submit({ scriptText: 'x' }), (e: unknown) => e instanceof SchedulerError && e.kind === 'not-found');
  assert.throws(() => none.attachCommand('1', ['sh'], { node: 'n' }), SpecError);
});

test('a job description renders to the host\'s scheduler: #PBS on a PBS host (workdir by qsub\'s folder), #SBATCH without a host, refusals named', async () => {
  const { p } = provider(() => 'have qsub\nhave qstat\nversion: pbs_version = 2022.1.4\n');
  const s = new HostSchedulers(p, silentLogger);
  const spec = { name: 'render-me', command: 'echo hi', walltime: '30', nodes: 1, tasks: 4, memory: '8G', workdir: '/scratch/x', stdout: 'out.txt', array: '0-3', account: 'gx12' };
  const pbs = renderBatchScript(spec, await s.scriptFormat('gadi'));
  assert.match(pbs, /^#PBS -N render-me$/m);
  assert.match(pbs, /^#PBS -l walltime=0:30:00$/m);
  assert.match(pbs, /^#PBS -l select=1:ncpus=4:mpiprocs=4:mem=8gb$/m);
  assert.match(pbs, /^#PBS -J 0-3$/m);
  assert.match(pbs, /^#PBS -A gx12$/m);
  assert.match(pbs, /^cd -- \/scratch\/x \|\| exit 1$/m);
  assert.doesNotMatch(pbs, /SBATCH|chdir/);
  assert.match(renderBatchScript(spec, await s.scriptFormat()), /^#SBATCH --chdir=\/scratch\/x$/m);
  assert.throws(() => renderBatchScript({ ...spec, dependency: 'singleton' }, (s.scheduler('gadi'))), /no dependency type "singleton"/);
  assert.throws(() => renderBatchScript({ ...spec, nice: 5 }, (s.scheduler('gadi'))), /no nice value/);
  assert.throws(() => renderBatchScript({ ...spec, extraSbatchArgs: ['--qos=debug'] }, (s.scheduler('gadi'))), /looks like an sbatch option/);
});
