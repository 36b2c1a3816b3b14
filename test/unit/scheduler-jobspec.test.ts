import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  validateJobSpec,
  renderBatchScript,
  jobSpecToSubmit,
  planStaging,
  resolveWorkdir,
  arrayArg,
  type JobSpec,
} from '../../src/core/scheduler/jobSpec';
import { sbatchDirectiveWord } from '../../src/core/scheduler/slurm/directives';
import { slurmScriptFormat as slurm } from '../../src/core/scheduler/slurm/slurmScheduler';
import { pbsScriptFormat } from '../../src/core/scheduler/pbs/pbsScheduler';
import { repoRoot } from '../support/sandbox';

const messages = (o: unknown) => validateJobSpec(o).map((e) => `${e.path}: ${e.message}`);

/** sbatch's own #SBATCH argument reader (src/sbatch/opt.c _get_argument), to check our quoting. */
function sbatchReadArgument(line: string): string {
  let out = '';
  let quoted = false;
  let q = '';
  let escape = false;
  let i = 0;
  while (i < line.length && /\s/.test(line[i] as string)) i++;
  for (; i < line.length; i++) {
    const c = line[i] as string;
    if (!quoted && /\s/.test(c)) break;
    if (escape) escape = false;
    else if (c === '\\') {
      escape = true;
      continue;
    } else if (quoted) {
      if (c === q) {
        quoted = false;
        continue;
      }
    } else if (c === '"' || c === "'") {
      quoted = true;
      q = c;
      continue;
    } else if (c === '#') break;
    out += c;
  }
  return out;
}

test('a minimal spec is valid; Kotta-style keys get "did you mean"', () => {
  assert.deepEqual(validateJobSpec({ command: 'echo hi' }), []);
  assert.deepEqual(messages({ executable: '/bin/echo', jobname: 'x', queue: 'debug', walltime: '5' }), [
    '/executable: Unknown property "executable" (did you mean "command"?)',
    '/jobname: Unknown property "jobname" (did you mean "name"?)',
    '/queue: Unknown property "queue" (did you mean "partition"?)',
    ': Give "script" or "command"',
  ]);
});

test('every rule has a clear message', () => {
  assert.deepEqual(messages([]), [': A job description must be a JSON object']);
  assert.deepEqual(messages({ script: 'a.sh', command: 'b' }), [': Give either "script" or "command", not both']);
  assert.deepEqual(
    messages({
      command: ['ok', 3],
      walltime: '1 hour',
      nodes: 0,
      memory: 'lots',
      gpus: 'two',
      array: '1-',
      repeat: 2,
      tags: ['a b'],
      extraSbatchArgs: ['qos=x'],
      env: { 'BAD NAME': 'x', OK: 5 },
      dependency: 'after 12',
      inputs: ['x', { from: 'a', to: '../etc' }, { src: 'q' }, 7],
      name: 'two\nlines',
      args: ['x'],
    }),
    [
      '/name: "name" must be on one line',
      '/args: "args" go with "script"',
      '/command/1: command words must be strings',
      '/walltime: "walltime" must be HH:MM:SS, D-HH:MM:SS or a number of minutes',
      '/nodes: "nodes" must be at least 1',
      '/memory: "memory" must be like "500M", "4G" or a number of megabytes',
      '/gpus: "gpus" must be a count or "type:count"',
      '/array: "array" must be like "0-9", "1,3,5", "0-15:4" or "0-9%2"',
      '/repeat: Give either "array" or "repeat", not both',
      '/dependency: "dependency" must be like "afterok:123" or "afterany:1:2"',
      `/tags/0: Tag "a b" must not contain spaces, commas, ';' or '='`,
      `/extraSbatchArgs/0: "qos=x" must start with '-' (write --option=value as one item)`,
      '/env/BAD NAME: "BAD NAME" is not a valid environment variable name',
      '/env/OK: env values must be strings',
      '/inputs/1/to: "to" must stay inside the work directory (relative, no "..")',
      '/inputs/2/src: Unknown property "src" in an input',
      '/inputs/2/from: "from" must be a non-empty path',
      '/inputs/3: inputs must be paths or {"from", "to"?, "remote"?} objects',
    ],
  );
  for (const w of ['10', 30, '00:10:00', '1-12:00:00', '2-0', '90:00']) assert.deepEqual(validateJobSpec({ command: 'x', walltime: w }), [], String(w));
});

test('the JSON Schema and the validator know the same properties', () => {
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas/job.schema.json'), 'utf8')) as {
    $schema: string;
    properties: Record<string, unknown>;
    additionalProperties: boolean;
  };
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(schema.additionalProperties, false);
  for (const k of Object.keys(schema.properties)) {
    assert.ok(!messages({ command: 'x', [k]: null }).some((m) => m.includes('Unknown property')), k);
  }
  for (const [k, v] of Object.entries(schema.properties)) if (k !== '$schema') assert.ok((v as { description?: string }).description, `${k} has a description`);
  assert.ok(messages({ command: 'x', nope: 1 }).some((m) => m.includes('Unknown property "nope"')));
});

test('#SBATCH values survive sbatch\'s own reader: spaces, quotes, #, backslashes, $()', () => {
  for (const v of ['plain', 'a b', 'it\'s "q"', 'x #not a comment', 'back\\slash', '$(touch pwned) `id`', 'données 数据', "'", 'a|b']) {
    const word = sbatchDirectiveWord(`--job-name=${v}`);
    assert.equal(sbatchReadArgument(`${word} # trailing comment`), `--job-name=${v}`, v);
  }
  assert.equal(sbatchDirectiveWord('--time=10'), '--time=10');
  assert.equal(sbatchDirectiveWord('--job-name=a b'), '--job-name="a b"');
  assert.throws(() => sbatchDirectiveWord('--job-name=a\nb'), /newlines/);
});

const full: JobSpec = {
  name: 'résumé "run" #1 $(id)',
  command: ['python3', '-c', 'import sys; print(sys.argv[1:])', "it's", '$HOME', 'a b'],
  workdir: '~/runs/one',
  walltime: '00:05:00',
  partition: 'debug',
  nodes: 1,
  tasks: 2,
  cpusPerTask: 1,
  memory: '100M',
  gpus: 1,
  repeat: 3,
  env: { GREETING: "hello 'world' $(x)", EMPTY: '' },
  stdout: 'out %x-%A_%a.txt',
  tags: ['exp1', 'v2'],
  nice: 10,
  dependency: 'afterok:12',
  extraSbatchArgs: ['--qos=normal', '--exclusive'],
};

test('renders a batch script with #SBATCH lines, exports and the quoted command', () => {
  const script = renderBatchScript(full, slurm, { home: '/home/u', source: 'exp.job.json' });
  assert.equal(
    script,
    [
      '#!/bin/bash',
      '# Generated by Remote HPC from exp.job.json.',
      '#SBATCH --job-name="résumé \\"run\\" #1 $(id)"',
      '#SBATCH --partition=debug',
      '#SBATCH --time=00:05:00',
      '#SBATCH --nodes=1',
      '#SBATCH --ntasks=2',
      '#SBATCH --cpus-per-task=1',
      '#SBATCH --mem=100M',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --array=0-2',
      '#SBATCH --output="out %x-%A_%a.txt"',
      '#SBATCH --comment=tags=exp1,v2',
      '#SBATCH --nice=10',
      '#SBATCH --dependency=afterok:12',
      '#SBATCH --chdir=/home/u/runs/one',
      '#SBATCH --qos=normal',
      '#SBATCH --exclusive',
      '',
      `export GREETING='hello '\\''world'\\'' $(x)'`,
      "export EMPTY=''",
      'cd -- /home/u/runs/one || exit 1',
      `python3 -c 'import sys; print(sys.argv[1:])' 'it'\\''s' '$HOME' 'a b'`,
      '',
    ].join('\n'),
  );
  // sbatch reads back exactly the option values we meant.
  const name = script.split('\n').find((l) => l.startsWith('#SBATCH --job-name')) as string;
  assert.equal(sbatchReadArgument(name.slice('#SBATCH'.length)), `--job-name=${full.name}`);
});

test('the rendered script runs: env and argv reach the command unchanged, ~ workdir without a known home', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jobspec-'));
  try {
    const spec: JobSpec = {
      command: ['sh', '-c', 'printf "%s\\n" "$PWD" "$GREETING" "$@"', 'sh', "it's", '$(id)', 'two words'],
      workdir: '~/w d',
      env: { GREETING: "hi 'there' `x`" },
    };
    const script = renderBatchScript(spec, slurm);
    assert.ok(script.includes(`cd -- "$HOME"/'w d' || exit 1`));
    assert.ok(!script.includes('--chdir'), 'no --chdir without an absolute workdir');
    execFileSync('mkdir', ['-p', path.join(dir, 'w d')]);
    writeFileSync(path.join(dir, 'job.sh'), script);
    execFileSync('bash', ['-n', path.join(dir, 'job.sh')]);
    const out = execFileSync('bash', [path.join(dir, 'job.sh')], { env: { ...process.env, HOME: dir } }).toString();
    assert.deepEqual(out.split('\n').slice(0, -1), [path.join(dir, 'w d'), "hi 'there' `x`", "it's", '$(id)', 'two words']);

    // A script path: run directly when executable, with bash otherwise; args quoted.
    writeFileSync(path.join(dir, 'w d', 'run me.sh'), 'echo "args:$#:$1"\n');
    const s2 = renderBatchScript({ script: 'run me.sh', args: ['a b'], workdir: path.join(dir, 'w d') }, slurm);
    writeFileSync(path.join(dir, 'job2.sh'), s2);
    assert.equal(execFileSync('bash', [path.join(dir, 'job2.sh')]).toString(), 'args:1:a b\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid specs are refused before rendering; string commands go in as written', () => {
  assert.throws(() => renderBatchScript({ command: 'x', walltime: 'soon' } as JobSpec, slurm), /walltime/);
  assert.throws(() => renderBatchScript({ command: 'x', stdout: 'a\nb' }, slurm), /one line/);
  const s = renderBatchScript({ command: 'echo "$SLURM_JOB_ID" | tee out.txt' }, slurm);
  assert.ok(s.endsWith('\necho "$SLURM_JOB_ID" | tee out.txt\n'));
});

test('submit spec, staging plan, workdir and array helpers', () => {
  const sub = jobSpecToSubmit({ command: 'true', workdir: 'proj' }, slurm, { home: '/home/u' });
  assert.equal(sub.cwd, '/home/u/proj');
  assert.ok(sub.scriptText?.startsWith('#!/bin/bash\n'));
  assert.equal(resolveWorkdir('~', '/h'), '/h');
  assert.equal(resolveWorkdir('/abs', '/h'), '/abs');
  assert.equal(resolveWorkdir(undefined, '/h'), '/h');
  assert.equal(arrayArg({ command: 'x', repeat: 1 }), '0');
  assert.equal(arrayArg({ command: 'x', array: '1,3' }), '1,3');
  const plan = planStaging(
    { command: 'x', inputs: ['data/a.csv', { from: 'cfg.yml', to: 'conf/c.yml' }, { from: '/scratch/big.h5', remote: true }], outputs: ['*.png'] },
    '/local/proj',
    '/home/u/run',
    path.posix,
  );
  assert.deepEqual(plan, {
    uploads: [
      { local: '/local/proj/data/a.csv', remote: '/home/u/run/a.csv' },
      { local: '/local/proj/cfg.yml', remote: '/home/u/run/conf/c.yml' },
    ],
    copies: [{ from: '/scratch/big.h5', to: '/home/u/run/big.h5' }],
    outputs: ['*.png'],
  });
});

test('the directive lines come from the scheduler format given: another scheduler gets its own, never #SBATCH', () => {
  const asked: unknown[] = [];
  const pbsLike = {
    writeDirectives: (o: Parameters<typeof slurm.writeDirectives>[0]) => {
      asked.push(o);
      return [`#PBS -N ${o.name}`, `#PBS -l walltime=${o.time}`, ...(o.array ? [`#PBS -J ${o.array}`] : [])];
    },
  };
  const script = renderBatchScript({ name: 'exp', command: 'true', walltime: '00:10:00', repeat: 2, workdir: '/w', tags: ['t'] }, pbsLike);
  assert.equal(script, ['#!/bin/bash', '# Generated by Remote HPC.', '#PBS -N exp', '#PBS -l walltime=00:10:00', '#PBS -J 0-1', '', 'cd -- /w || exit 1', 'true', ''].join('\n'));
  assert.deepEqual(asked, [{ name: 'exp', time: '00:10:00', array: '0-1', tags: ['t'], chdir: '/w' }]);
});

test('mail in a job description: checked, and rendered for SLURM (--mail-user/--mail-type) and PBS (-M/-m)', () => {
  const spec: JobSpec = { command: 'true', mail: { to: 'me@example.org', on: ['end', 'fail'] } };
  assert.deepEqual(validateJobSpec(spec), []);
  const sbatch = renderBatchScript(spec, slurm);
  assert.match(sbatch, /^#SBATCH --mail-user=me@example.org$/m);
  assert.match(sbatch, /^#SBATCH --mail-type=END,FAIL$/m);
  const pbs = renderBatchScript(spec, pbsScriptFormat);
  assert.match(pbs, /^#PBS -M me@example.org$/m);
  assert.match(pbs, /^#PBS -m ea$/m);
  assert.deepEqual(messages({ command: 'x', mail: { on: ['sometimes'], cc: 'x' } }), ['/mail/cc: Unknown property "cc" in "mail" (it takes "to" and "on")', '/mail/on/0: "sometimes" is none of begin, end, fail']);
  assert.deepEqual(messages({ command: 'x', mail: 'me' }), ['/mail: "mail" must be an object: {"to"?, "on"?}']);
});
