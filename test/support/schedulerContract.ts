/**
 * The contract every {@link Scheduler} implementation passes, run against a real cluster:
 * submit, list, states, hold/release, cancel, requeue, accounting after exit, array tasks,
 * hostile names, output paths, details, refusals. It speaks only the Scheduler interface plus
 * what the subject says about its cluster (the array-task variable, how directive lines look),
 * so a Grid Engine or PBS implementation runs the same tests:
 *
 *   runSchedulerContract('slurm', async () => ({ scheduler, user, dir, exec, ... }));
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerError, SpecError } from '../../src/core/scheduler/command';
import { isTerminal, type Job, type JobState, type Scheduler } from '../../src/core/scheduler/types';
import { isHeld } from '../../src/core/jobs/format';
import { waitUntil } from './wait';

export interface ContractSubject {
  scheduler: Scheduler;
  /** The login the jobs run as. */
  user: string;
  /** An empty folder on the cluster for scripts and outputs; the suite removes it afterwards. */
  dir: string;
  /** Runs one command on the cluster (argv, never a shell line), to plant scripts and read outputs. */
  exec(argv: string[], opts?: { stdin?: string }): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }>;
  /** How many scheduler commands have run so far (to check refusals run nothing). */
  commandCount(): number;
  /** The environment variable holding an array task's index inside the job. */
  taskIndexVar: string;
  /** The directive lines setting a job's name and time limit, as this scheduler reads them. */
  directiveLines(o: { name: string; time: string }): string[];
  /** A time limit the scheduler takes (for checkTimeLimit and the directive round trip). */
  validTime: string;
  /**
   * For a scheduler that restricts job names (PBS: letters, digits and `-_+.`; Torque: printable
   * ASCII without spaces): a plain name and the most hostile one it takes. The suite then uses
   * these, and checks that the usual hostile name (spaces, quotes, `$()`, non-ASCII) is refused
   * before anything runs. Absent: any one-line name (SLURM).
   */
  jobNames?: { plain: string; hostile: string };
  /**
   * Contract items that cannot apply here, each with why; the suite reports them as skipped with
   * that reason and checks what it still can (e.g. that the refusal is the server's, not a crash).
   */
  notApplicable?: { requeue?: string };
  /** An array of three tasks as this scheduler numbers them (default `0-2`: tasks 0, 1, 2; Grid Engine's start at 1). */
  array?: { spec: string; tasks: [string, string, string] };
  /** The dependency type the hold test waits with (default `afterok`; Grid Engine has only `afterany`). */
  dependencyKind?: string;
  close(): Promise<void> | void;
}

/** The job as the queue shows it, or its accounting record once it left the queue. */
export function jobProbe(scheduler: Scheduler, user: string) {
  const current = async (id: string): Promise<Job | undefined> => {
    const listed = (await scheduler.list(user)).find((j) => j.id === id);
    if (listed) return listed;
    return (await scheduler.finalState([id], 1)).find((j) => j.id === id);
  };
  const waitState = (id: string, states: JobState[], timeoutMs = 60_000): Promise<Job> =>
    waitUntil(
      `job ${id} in ${states.join('/')}`,
      async () => {
        const j = await current(id);
        return j && states.includes(j.state) ? j : undefined;
      },
      timeoutMs,
    );
  return { current, waitState };
}

const HOSTILE_NAME = `it's "q" $(touch pwned) \`id\` | 名前 ✓`;
const PLAIN_NAME = 'from directives';

export function runSchedulerContract(name: string, makeSubject: () => Promise<ContractSubject>, opts: { skip?: string | false } = {}): void {
  const skip = opts.skip ?? false;
  if (skip && process.env.REMOTE_HPC_REQUIRE_ALL === '1') throw new Error(`scheduler contract (${name}) cannot run: ${skip}`);

  describe(`Scheduler contract: ${name}`, { skip }, () => {
    let s: ContractSubject;
    let sched: Scheduler;
    let probe: ReturnType<typeof jobProbe>;
    const submitted: string[] = [];

    const submit = async (spec: Parameters<Scheduler['submit']>[0]): Promise<string> => {
      const { id } = await sched.submit({ cwd: s.dir, ...spec });
      assert.match(id, /^\S+$/, 'a job id is one word');
      submitted.push(id);
      return id;
    };
    const read = async (path: string): Promise<string> => {
      const r = await s.exec(['cat', path]);
      assert.equal(r.code, 0, `${path} readable: ${r.stderr.toString()}`);
      return r.stdout.toString();
    };

    let hostile = HOSTILE_NAME;
    let plain = PLAIN_NAME;

    before(async () => {
      s = await makeSubject();
      sched = s.scheduler;
      probe = jobProbe(sched, s.user);
      hostile = s.jobNames?.hostile ?? HOSTILE_NAME;
      plain = s.jobNames?.plain ?? PLAIN_NAME;
    });

    after(async () => {
      if (!s) return;
      const left = (await sched.list(s.user)).filter((j) => submitted.includes(j.arrayJobId ?? j.id));
      if (left.length) await sched.cancel([...new Set(left.map((j) => j.arrayJobId ?? j.id))]);
      await s.exec(['rm', '-rf', s.dir]);
      await s.close();
    });

    test('ping: the controller is up', async () => {
      const p = await sched.ping();
      assert.equal(p.up, true, p.message);
      assert.ok(p.message.length > 0);
    });

    test('submit held with a hostile name: listed PENDING and held, name and tags intact; release runs it to COMPLETED', async () => {
      const id = await submit({ scriptText: '#!/bin/sh\necho "hello"\n', name: hostile, hold: true, tags: ['contract', 'held'] });
      const pending = await probe.waitState(id, ['PENDING']);
      assert.ok(isHeld(pending), `held: ${pending.reason} / ${pending.rawState}`);
      assert.equal(pending.name, hostile);
      assert.deepEqual(pending.tags, ['contract', 'held']);
      assert.equal(pending.user, s.user);
      assert.equal(pending.workDir, s.dir);
      await sched.release([id]);
      const done = await probe.waitState(id, ['COMPLETED']);
      assert.equal(done.exitCode, 0);
      assert.equal(await read((await sched.outputPaths(id)).stdout), 'hello\n');
      assert.equal((await s.exec(['test', '-e', `${s.dir}/pwned`])).code, 1, '$() in the name never ran');
    });

    test('a failing script ends FAILED with its exit code (from accounting once it left the queue)', async () => {
      const id = await submit({ scriptText: '#!/bin/sh\nexit 3\n', name: 'contract-fails' });
      const j = await probe.waitState(id, ['FAILED']);
      assert.equal(j.exitCode, 3);
      const [final] = await waitUntil('accounting record', async () => {
        const f = await sched.finalState([id], 1);
        return f.length ? f : undefined;
      });
      assert.equal(final?.id, id);
      assert.equal(final?.state, 'FAILED');
      assert.equal(final?.exitCode, 3);
      // Accounting may complete a record a little after the job ended (slurmdbd gets the job's start later).
      await waitUntil('the job in the history', async () => ((await sched.history(1, s.user)).some((h) => h.id === id && h.state === 'FAILED') ? true : undefined));
      const d = await waitUntil('details with accounting', async () => {
        const x = await sched.details(id);
        return x.sections.some((sec) => sec.source === 'accounting') ? x : undefined;
      });
      assert.ok(d.sections.every((x) => x.title !== '' && Object.keys(x.fields).length > 0));
      assert.equal(d.state, 'FAILED');
      assert.deepEqual(d.notes, []);
      assert.deepEqual(await sched.finalState([]), []);
    });

    test('cancel a running job: CANCELLED, terminal', async () => {
      const id = await submit({ scriptText: '#!/bin/sh\nsleep 120\n', name: 'contract-cancel' });
      await probe.waitState(id, ['RUNNING']);
      const d = await sched.details(id);
      assert.equal(d.state, 'RUNNING');
      assert.deepEqual(d.sections.map((x) => x.source), ['controller'], 'no accounting query while it runs');
      await sched.cancel([id]);
      const j = await probe.waitState(id, ['CANCELLED']);
      assert.ok(isTerminal(j.state));
    });

    test('hold and release a pending job', async () => {
      const blocker = await submit({ scriptText: '#!/bin/sh\ntrue\n', hold: true, name: 'contract-blocker' });
      const id = await submit({ scriptText: '#!/bin/sh\ntrue\n', dependency: `${s.dependencyKind ?? 'afterok'}:${blocker}`, name: 'contract-dependent' });
      assert.equal(isHeld(await probe.waitState(id, ['PENDING'])), false);
      await sched.hold([id]);
      await waitUntil('held', async () => ((await probe.current(id)) && isHeld((await probe.current(id)) as Job) ? true : undefined));
      await sched.release([id]);
      await waitUntil('released', async () => {
        const j = await probe.current(id);
        return j && j.state === 'PENDING' && !isHeld(j) ? true : undefined;
      });
      await sched.cancel([blocker, id]);
      await probe.waitState(id, ['CANCELLED']);
    });

    test('requeue a running job: queued again, then cancellable', async (t) => {
      const id = await submit({ scriptText: '#!/bin/sh\nsleep 60\n', name: 'contract-requeue' });
      await probe.waitState(id, ['RUNNING']);
      const notHere = s.notApplicable?.requeue;
      if (notHere) {
        await assert.rejects(sched.requeue([id]), (e: unknown) => e instanceof SchedulerError && e.kind === 'rejected', 'the server refuses it, as a SchedulerError');
        await sched.cancel([id]);
        await probe.waitState(id, ['CANCELLED']);
        t.skip(`not applicable: ${notHere}`);
        return;
      }
      await sched.requeue([id]);
      await probe.waitState(id, ['PENDING', 'REQUEUED']);
      await sched.cancel([id]);
      await probe.waitState(id, ['CANCELLED']);
    });

    test('array of 3: tasks listed one by one; one task cancelled alone; the others complete with their own output', async () => {
      const { spec, tasks: [a, b, c] } = s.array ?? { spec: '0-2', tasks: ['0', '1', '2'] };
      const id = await submit({ scriptText: `#!/bin/sh\necho "task $${s.taskIndexVar}"\n`, name: 'contract-array', array: spec, hold: true });
      const tasks = await waitUntil('3 array tasks listed', async () => {
        const t = (await sched.list(s.user)).filter((j) => j.arrayJobId === id);
        return t.length === 3 ? t : undefined;
      });
      assert.deepEqual(tasks.map((t) => t.arrayTaskId).sort(), [a, b, c]);
      assert.deepEqual(tasks.map((t) => t.id).sort(), [`${id}_${a}`, `${id}_${b}`, `${id}_${c}`]);
      await sched.cancel([id], { arrayTask: b });
      await sched.release([id]);
      const finals = await waitUntil('array done', async () => {
        const f = (await sched.finalState([id], 1)).filter((j) => j.state === 'COMPLETED');
        return f.length === 2 ? f : undefined;
      });
      assert.deepEqual(finals.map((j) => j.id).sort(), [`${id}_${a}`, `${id}_${c}`]);
      assert.ok(finals.every((j) => j.arrayJobId === id));
      for (const task of [a, c]) assert.equal(await read((await sched.outputPaths(`${id}_${task}`)).stdout), `task ${task}\n`);
    });

    test('output paths: relative names with spaces, quotes and $() resolve in the work dir; stderr apart', async () => {
      const id = await submit({ scriptText: '#!/bin/sh\necho out\necho err >&2\n', name: 'contract-paths', output: `out 'q' $(x) ✓.txt`, error: 'err "e".txt', hold: true });
      const paths = await sched.outputPaths(id);
      assert.deepEqual(paths, { stdout: `${s.dir}/out 'q' $(x) ✓.txt`, stderr: `${s.dir}/err "e".txt` });
      await sched.release([id]);
      await probe.waitState(id, ['COMPLETED']);
      assert.equal(await read(paths.stdout), 'out\n');
      assert.equal(await read(paths.stderr as string), 'err\n');
      const after = await sched.outputPaths(id);
      assert.equal(after.stdout, paths.stdout, 'still answered after the job ended');
    });

    test('directive lines: read back by readDirectives and honoured by the scheduler', async () => {
      const script = `${s.dir}/directives ✓.sh`;
      const text = ['#!/bin/sh', ...s.directiveLines({ name: plain, time: s.validTime }), 'echo ok', ''].join('\n');
      assert.equal((await s.exec(['sh', '-c', 'cat > "$1" && chmod +x "$1"', 'sh', script], { stdin: text })).code, 0);
      const d = sched.readDirectives(text);
      assert.equal(d.name, plain);
      assert.equal(d.time, s.validTime);
      const id = await submit({ script, hold: true });
      assert.equal((await probe.waitState(id, ['PENDING'])).name, plain);
      await sched.cancel([id]);
      assert.equal(sched.checkTimeLimit(s.validTime), undefined);
      assert.ok(sched.checkTimeLimit('soon'));
    });

    test('writeDirectives: a hostile name and a time limit in directive lines, read back and honoured', async () => {
      const script = `${s.dir}/written ✓.sh`;
      const lines = sched.writeDirectives({ name: hostile, time: s.validTime, comment: 'from writeDirectives' });
      const text = ['#!/bin/sh', ...lines, 'echo written', ''].join('\n');
      assert.deepEqual(sched.readDirectives(text), { name: hostile, time: s.validTime, comment: 'from writeDirectives' });
      assert.equal((await s.exec(['sh', '-c', 'cat > "$1" && chmod +x "$1"', 'sh', script], { stdin: text })).code, 0);
      const id = await submit({ script, hold: true });
      const j = await probe.waitState(id, ['PENDING']);
      assert.equal(j.name, hostile);
      assert.equal(j.comment, 'from writeDirectives');
      await sched.cancel([id]);
      assert.throws(() => sched.writeDirectives({ name: 'a\nb' }), SpecError);
    });

    test('unknown job: details and outputPaths fail with kind invalid-job', async () => {
      await assert.rejects(sched.details('99999999'), (e: unknown) => e instanceof SchedulerError && e.kind === 'invalid-job');
      await assert.rejects(sched.outputPaths('99999999'), (e: unknown) => e instanceof SchedulerError && e.kind === 'invalid-job');
    });

    test('bad input is refused before any command runs', async () => {
      const before = s.commandCount();
      await assert.rejects(sched.submit({ scriptText: 'x', name: 'a\nb' }), SpecError);
      await assert.rejects(sched.submit({ scriptText: 'x', extraArgs: ['no-dash'] }), SpecError);
      await assert.rejects(sched.submit({ scriptText: 'x', tags: ['a;b'] }), SpecError);
      await assert.rejects(sched.cancel(['1; rm -rf ~']), SpecError);
      await assert.rejects(sched.hold(['$(id)']), SpecError);
      assert.equal(s.commandCount(), before);
    });

    test('names the scheduler cannot take are refused before any command runs, with a message saying why', async (t) => {
      if (!s.jobNames) {
        t.skip('not applicable: this scheduler takes any one-line name');
        return;
      }
      const before = s.commandCount();
      await assert.rejects(sched.submit({ scriptText: 'x', name: HOSTILE_NAME }), (e: unknown) => e instanceof SpecError && /name/i.test(e.message));
      assert.throws(() => sched.writeDirectives({ name: HOSTILE_NAME }), SpecError);
      assert.equal(s.commandCount(), before);
    });
  });
}
