/**
 * A SIMULATOR of a PBS Pro / OpenPBS or a Torque server, for tests: NOT a real server. No package
 * here runs pbs_server, so this stands in for one, built from the projects' documented formats
 * and behaviour (sources in test/fixtures/pbs/README.md and test/fixtures/torque/README.md). It
 * keeps jobs in memory, answers the argv the schedulers run (`qsub`, `qstat`, `qdel`, `qhold`,
 * `qrls`, `qrerun`) with the exit codes and messages of those sources, and renders `qstat`
 * records in each server's format (OpenPBS `-F json`, Torque's unescaped one-line XML), taking
 * the attribute order and constant attributes from the fixture records as templates. Jobs really
 * run: each script is started with `sh` on this machine, in the user's home (PBS) or the `-d`
 * folder (Torque), with the documented variables (PBS_JOBID, PBS_O_WORKDIR, PBS_ARRAY_INDEX /
 * PBS_ARRAYID, the `-v` list), its stdout and stderr in the files the job's paths name.
 *
 * What it does not model: queues beyond one, resources and scheduling policy (every eligible
 * job starts at once on one node), file staging, a server restart. qrerun is refused as a
 * default server refuses it to a user without operator privilege. `#PBS` lines are split with the
 * product's port of qsub's make_argv (src/core/scheduler/pbsFamily/words.ts, unit-tested on its
 * own), so a test through this simulator does not check that port against itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import type { CommandRunner } from '../../src/core/scheduler/command';
import { splitDirectiveWords } from '../../src/core/scheduler/pbsFamily/words';
import { parseVariableList } from '../../src/core/scheduler/pbsFamily/directives';
import { parseQstatJson } from '../../src/core/scheduler/pbs/qstatJson';
import { parseQstatXml } from '../../src/core/scheduler/torque/qstatXml';

type Kind = 'pbs' | 'torque';
type Result = { code: number | null; stdout: Buffer; stderr: Buffer };

const FIXTURES = join(__dirname, '..', 'fixtures');
const HOST = 'login1.example.org';
const SERVER: Record<Kind, string> = { pbs: 'pbs-head', torque: 'torque-head' };
const QUEUE: Record<Kind, string> = { pbs: 'workq', torque: 'batch' };
/** Options of qsub that take a value (OpenPBS qsub.c / Torque qsub_functions.c getopt strings). */
const WITH_VALUE = new Set('aAcCdDeEfFIJlmMNoPqrSTtuvWwXz'.split(''));
const PBS_NAME = /^[A-Za-z0-9_+.-]{1,230}$/;
const TORQUE_NAME = /^[\x21-\x7e]{1,230}$/;

interface SimJob {
  seq: number;
  /** Set for a subjob. */
  index?: number;
  parent?: SimJob;
  subjobs?: SimJob[];
  arraySpec?: string;
  name: string;
  owner: string;
  cwd: string;
  runDir: string;
  script: string;
  vars: Record<string, string>;
  outPath: string;
  errPath: string;
  join: boolean;
  walltime?: string;
  holds: Set<string>;
  depend?: string;
  state: string;
  substate: number;
  exitStatus?: number;
  ctime: number;
  stime?: number;
  endTime?: number;
  proc?: ChildProcess;
  deleting?: boolean;
}

const ok = (stdout = ''): Result => ({ code: 0, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) });
const fail = (code: number, stderr: string, stdout = ''): Result => ({ code, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) });

/** `Wed Dec  2 09:14:05 2026`, as OpenPBS's qstat prints times. */
function ctimeText(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

function hms(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

/** A qsub `-J` / `-t` value → its indices (and whether it parses). */
function arrayIndices(kind: Kind, spec: string): number[] | undefined {
  const body = spec.replace(/%\d+$/, '');
  if (kind === 'pbs') {
    const m = /^(\d+)-(\d+)(?::(\d+))?$/.exec(body);
    if (!m || Number(m[2]) <= Number(m[1])) return undefined;
    const out: number[] = [];
    for (let i = Number(m[1]); i <= Number(m[2]); i += Number(m[3] ?? 1)) out.push(i);
    return out;
  }
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.push(i);
  }
  return out;
}

export class FakePbsCluster {
  /** Every scheduler command run, in order. */
  readonly calls: string[][] = [];
  readonly user = userInfo().username;
  readonly home: string;
  private readonly jobs = new Map<number, SimJob>();
  private nextSeq = 100;
  private readonly timer: NodeJS.Timeout;
  private readonly template: Record<string, string>;

  constructor(readonly kind: Kind) {
    this.home = mkdtempSync(join(tmpdir(), `rhpc-fake-${kind}-`));
    mkdirSync(join(this.home, '.spool'));
    this.template =
      kind === 'pbs'
        ? (parseQstatJson(readFileSync(join(FIXTURES, 'pbs', 'qstat-f-F-json-t.json'), 'utf8')).find((r) => r.id === '103.pbs-head')?.attrs as Record<string, string>)
        : (parseQstatXml(readFileSync(join(FIXTURES, 'torque', 'qstat-f-x-t.xml'), 'utf8')).find((r) => r.id === '203.torque-head')?.attrs as Record<string, string>);
    this.timer = setInterval(() => this.schedule(), 25);
  }

  /** What the schedulers run: the PBS commands, answered like the server would. */
  readonly runner: CommandRunner = {
    run: async (argv, opts = {}) => {
      this.calls.push([...argv]);
      const [prog, ...args] = argv;
      switch (prog) {
        case 'qsub':
          return this.qsub(args, opts.cwd ?? this.home, opts.env ?? {}, opts.stdin?.toString());
        case 'qstat':
          return this.qstat(args);
        case 'qdel':
        case 'qhold':
        case 'qrls':
        case 'qrerun':
          return this.action(prog, args);
        default: {
          const err = new Error(`spawn ${prog} ENOENT`) as NodeJS.ErrnoException;
          err.code = 'ENOENT';
          throw err;
        }
      }
    },
  };

  /** Runs a plain program on this machine (argv, no shell), to plant scripts and read outputs. */
  exec(argv: string[], opts: { stdin?: string } = {}): Promise<Result> {
    return new Promise((resolve, reject) => {
      const p = spawn(argv[0] as string, argv.slice(1), { stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout?.on('data', (b: Buffer) => out.push(b));
      p.stderr?.on('data', (b: Buffer) => err.push(b));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
      // A program that exits without reading its stdin closes the pipe: not an error of the command.
      p.stdin?.on('error', () => undefined);
      p.stdin?.end(opts.stdin);
    });
  }

  /** A job's state letter as the server holds it (`123`, `123[]`, `123[4]`), for tests; no command is counted. */
  jobState(id: string): string | undefined {
    return this.find(id)?.state;
  }

  close(): void {
    clearInterval(this.timer);
    for (const j of this.units()) j.proc?.kill('SIGKILL');
    rmSync(this.home, { recursive: true, force: true });
  }

  private server(): string {
    return SERVER[this.kind];
  }

  private qsub(args: string[], cwd: string, env: Record<string, string>, stdin: string | undefined): Result {
    const o: Record<string, string[]> = {};
    const apply = (words: string[]) => {
      const rest: string[] = [];
      for (let i = 0; i < words.length; i++) {
        const w = words[i] as string;
        const m = /^-([A-Za-z])(.*)$/s.exec(w);
        if (!m) {
          rest.push(...words.slice(i));
          break;
        }
        const flag = m[1] as string;
        const value = WITH_VALUE.has(flag) ? (m[2] || words[++i]) : '';
        if (value === undefined) return { error: `qsub: option requires an argument -- '${flag}'` };
        // Resources add up; any other option given again replaces the earlier one.
        o[flag] = flag === 'l' ? [...(o[flag] ?? []), value] : [value];
      }
      return { rest };
    };
    const pre = apply(args);
    if ('error' in pre) return fail(2, `${pre.error}\n`);
    const scriptPath = pre.rest?.[0];
    let script: string;
    try {
      script = scriptPath !== undefined ? readFileSync(isAbsolute(scriptPath) ? scriptPath : join(cwd, scriptPath), 'utf8') : (stdin ?? '');
    } catch {
      return fail(1, `qsub: script file:: No such file or directory\n`);
    }
    // Directives first, then the command line again on top (it wins), as qsub does.
    for (const raw of script.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#!')) continue;
      if (!line.startsWith('#')) break;
      const m = /^#PBS\s+(.*)$/.exec(line);
      if (m) {
        const r = apply(splitDirectiveWords(m[1] as string));
        if ('error' in r) return fail(1, `qsub: directive error: ${m[1]}\n`);
      }
    }
    apply(args);
    const one = (f: string) => o[f]?.[0];
    const name = one('N') ?? (scriptPath !== undefined ? basename(scriptPath) : 'STDIN');
    if (!(this.kind === 'pbs' ? PBS_NAME : TORQUE_NAME).test(name)) return fail(2, 'qsub: illegal -N value\n');
    if (one('q') !== undefined && one('q') !== QUEUE[this.kind]) return fail(1, 'qsub: Unknown queue\n');
    const vars: Record<string, string> = {};
    if (one('v') !== undefined) {
      const listed = parseVariableList(one('v') as string);
      for (const n of (one('v') as string).split(',').map((x) => x.trim())) if (/^[A-Za-z_]\w*$/.test(n) && env[n] !== undefined) vars[n] = env[n] as string;
      Object.assign(vars, listed);
    }
    let walltime: string | undefined;
    for (const l of o.l ?? []) for (const r of l.split(',')) if (r.startsWith('walltime=')) walltime = r.slice('walltime='.length);
    const depend = one('W')?.startsWith('depend=') ? (one('W') as string).slice('depend='.length) : undefined;
    if (depend !== undefined && !/^(?:after|afterok|afternotok|afterany)(?::[^:,]+)+(?:,(?:after|afterok|afternotok|afterany)(?::[^:,]+)+)*$/.test(depend)) return fail(2, 'qsub: illegal -W value\n');
    const arrayFlag = this.kind === 'pbs' ? 'J' : 't';
    const indices = one(arrayFlag) !== undefined ? arrayIndices(this.kind, one(arrayFlag) as string) : undefined;
    if (one(arrayFlag) !== undefined && !indices) return fail(2, `qsub: illegal -${arrayFlag} value\n`);
    const seq = this.nextSeq++;
    const abs = (p: string) => (isAbsolute(p) ? p : join(cwd, p));
    const workDir = one('d') !== undefined ? abs(one('d') as string) : cwd;
    const suffix = this.kind === 'pbs' && indices ? '.^array_index^' : '';
    const job: SimJob = {
      seq,
      name,
      owner: this.user,
      cwd,
      runDir: this.kind === 'torque' && one('d') !== undefined ? workDir : this.home,
      script,
      vars,
      outPath: one('o') !== undefined ? abs(one('o') as string) : join(cwd, `${name}.o${seq}${suffix}`),
      errPath: one('e') !== undefined ? abs(one('e') as string) : join(cwd, `${name}.e${seq}${suffix}`),
      join: one('j') === 'oe',
      ...(walltime !== undefined ? { walltime } : {}),
      holds: new Set(o.h ? ['u'] : []),
      ...(depend !== undefined ? { depend } : {}),
      state: 'Q',
      substate: 10,
      ctime: Date.now(),
    };
    if (depend !== undefined) {
      for (const id of depend.split(',').flatMap((p) => p.split(':').slice(1))) if (!this.find(id)) return fail(1, `qsub: Unknown Job Id ${id}\n`);
      job.holds.add('s');
    }
    if (indices) {
      job.arraySpec = one(arrayFlag) as string;
      job.subjobs = indices.map((index) => ({
        ...job,
        index,
        parent: job,
        name: this.kind === 'torque' ? `${name}-${index}` : name,
        holds: this.kind === 'torque' ? new Set(job.holds) : new Set<string>(),
        outPath: this.kind === 'torque' && one('o') === undefined ? `${job.outPath}-${index}` : job.outPath.replace(/\^array_index\^/g, String(index)),
        errPath: this.kind === 'torque' && one('e') === undefined ? `${job.errPath}-${index}` : job.errPath.replace(/\^array_index\^/g, String(index)),
        subjobs: undefined,
      }));
    }
    this.jobs.set(seq, job);
    // The server sets a held job's state at once; a scheduling cycle follows the submission.
    this.schedule();
    return ok(`${seq}${indices ? '[]' : ''}.${this.server()}\n`);
  }

  /** `123`, `123[]`, `123[4]`, with or without `.server`. */
  private find(id: string): SimJob | undefined {
    const m = /^(\d+)(?:\[(\d*)\])?(?:\.\S+)?$/.exec(id);
    if (!m) return undefined;
    const job = this.jobs.get(Number(m[1]));
    if (!job) return undefined;
    if (m[2] === undefined) return job.subjobs ? undefined : job;
    if (m[2] === '') return job.subjobs ? job : undefined;
    return job.subjobs?.find((s) => s.index === Number(m[2]));
  }

  private units(): SimJob[] {
    return [...this.jobs.values()].flatMap((j) => j.subjobs ?? [j]);
  }

  private finished(j: SimJob): boolean {
    return ['F', 'X', 'C'].includes(j.state);
  }

  private end(j: SimJob, exitStatus: number | undefined, substate: number): void {
    j.state = this.kind === 'torque' ? 'C' : j.parent ? 'X' : 'F';
    j.substate = substate;
    if (exitStatus !== undefined) j.exitStatus = exitStatus;
    j.endTime = Date.now();
    j.proc = undefined;
    const p = j.parent;
    if (p && p.subjobs?.every((s) => this.finished(s))) this.end(p, undefined, 92);
  }

  /** A dependency's answer: true when met, false when it can never be, undefined while waiting. */
  private dependencyMet(depend: string): boolean | undefined {
    let all: boolean | undefined = true;
    for (const part of depend.split(',')) {
      const [kind, ...ids] = part.split(':');
      for (const id of ids) {
        const t = this.find(id);
        if (!t) return false;
        const units = t.subjobs ?? [t];
        if (kind === 'after') {
          if (!units.some((u) => u.stime !== undefined)) all = undefined;
          continue;
        }
        if (!units.every((u) => this.finished(u))) {
          all = undefined;
          continue;
        }
        const good = units.every((u) => u.exitStatus === 0);
        if ((kind === 'afterok' && !good) || (kind === 'afternotok' && good)) return false;
      }
    }
    return all;
  }

  /** One scheduling pass: dependencies settled, every eligible job started. */
  private schedule(): void {
    for (const job of this.jobs.values()) {
      if (job.depend === undefined || !job.holds.has('s')) continue;
      const met = this.dependencyMet(job.depend);
      if (met === true) {
        job.holds.delete('s');
        for (const s of job.subjobs ?? []) s.holds.delete('s');
      } else if (met === false) for (const u of job.subjobs ?? [job]) if (!this.finished(u)) this.end(u, undefined, 91);
    }
    for (const job of this.jobs.values()) {
      const held = job.holds.size > 0;
      if (job.subjobs) {
        if (!held) for (const s of job.subjobs) if (s.state === 'Q' && s.holds.size === 0) this.start(s);
        if (this.kind === 'pbs' && !this.finished(job)) job.state = job.subjobs.some((s) => s.stime !== undefined) ? 'B' : held ? 'H' : 'Q';
      } else if (!held && job.state === 'Q') this.start(job);
      for (const u of job.subjobs ?? [job]) {
        if (u.state === 'Q' && u.holds.size > 0) [u.state, u.substate] = ['H', u.holds.has('s') && u.holds.size === 1 ? 22 : 20];
        else if (u.state === 'H' && u.holds.size === 0) [u.state, u.substate] = ['Q', 10];
      }
    }
  }

  private start(j: SimJob): void {
    const file = join(this.home, '.spool', `${j.seq}${j.index !== undefined ? `-${j.index}` : ''}.sh`);
    writeFileSync(file, j.script);
    const out = openSync(j.outPath, 'w');
    const err = j.join ? out : openSync(j.errPath, 'w');
    const id = `${j.seq}${j.index !== undefined ? `[${j.index}]` : ''}.${this.server()}`;
    const indexVar = this.kind === 'pbs' ? 'PBS_ARRAY_INDEX' : 'PBS_ARRAYID';
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      PBS_JOBID: id,
      PBS_JOBNAME: j.name,
      PBS_O_WORKDIR: j.cwd,
      ...(j.index !== undefined ? { [indexVar]: String(j.index) } : {}),
      ...j.vars,
    };
    const proc = spawn('/bin/sh', [file], { cwd: j.runDir, env, stdio: ['ignore', out, err] });
    closeSync(out);
    if (err !== out) closeSync(err);
    j.proc = proc;
    j.state = 'R';
    j.substate = 42;
    j.stime = Date.now();
    proc.on('exit', (code, signal) => {
      const status = signal ? 256 + (signal === 'SIGTERM' ? 15 : 9) : (code ?? 1);
      this.end(j, status, j.deleting ? 91 : 92);
    });
  }

  private action(prog: 'qdel' | 'qhold' | 'qrls' | 'qrerun', ids: string[]): Result {
    const errors: string[] = [];
    const unknown = this.kind === 'pbs' ? 'Unknown Job Id' : 'Unknown Job Id Error';
    for (const id of ids) {
      const job = this.find(id);
      if (!job) {
        errors.push(`${prog}: ${unknown} ${id}`);
        continue;
      }
      if (prog === 'qrerun') {
        errors.push(`qrerun: Unauthorized Request  ${id}`);
        continue;
      }
      const units = job.subjobs ?? [job];
      if (units.every((u) => this.finished(u))) {
        errors.push(`${prog}: Job has finished ${id}`);
        continue;
      }
      if (prog === 'qdel') {
        for (const u of units) {
          if (this.finished(u)) continue;
          if (u.proc) {
            u.deleting = true;
            u.proc.kill('SIGTERM');
          } else this.end(u, undefined, 91);
        }
      } else if (prog === 'qhold') {
        if (units.some((u) => u.state === 'R') && !job.subjobs) errors.push(`qhold: Request invalid for state of job ${id}`);
        else (this.kind === 'pbs' ? [job] : units).forEach((u) => u.holds.add('u'));
      } else {
        for (const u of [job, ...units]) u.holds.delete('u');
      }
    }
    this.schedule();
    return errors.length ? fail(this.kind === 'pbs' ? 153 : 1, `${errors.join('\n')}\n`) : ok();
  }

  private qstat(args: string[]): Result {
    if (args.includes('-B')) return ok(readFileSync(join(FIXTURES, this.kind, 'qstat-B.txt'), 'utf8'));
    const history = this.kind === 'torque' || args.includes('-x');
    const userAt = args.indexOf('-u');
    const user = userAt >= 0 ? args[userAt + 1] : undefined;
    const ids = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '-F' && args[i - 1] !== '-u');
    const records: SimJob[] = [];
    const errors: string[] = [];
    let code = 0;
    if (ids.length === 0) for (const j of this.jobs.values()) records.push(...(this.kind === 'pbs' ? [j, ...(j.subjobs ?? [])] : (j.subjobs ?? [j])));
    for (const id of ids) {
      const j = this.find(id);
      if (!j) {
        errors.push(`qstat: ${this.kind === 'pbs' ? 'Unknown Job Id' : 'Unknown Job Id Error'} ${id}`);
        code = this.kind === 'pbs' ? 153 : 1;
        continue;
      }
      if (!history && this.finished(j)) {
        errors.push(`qstat: ${id} Job has finished, use -x or -H to obtain historical job information`);
        code = 35;
        continue;
      }
      records.push(...(this.kind === 'pbs' ? [j, ...(j.subjobs ?? [])] : (j.subjobs ?? [j])));
    }
    const shown = records.filter((j) => (history || !this.finished(j)) && (user === undefined || j.owner === user));
    const stdout = this.kind === 'pbs' ? this.renderJson(shown) : this.renderXml(shown);
    return { code, stdout: Buffer.from(stdout), stderr: Buffer.from(errors.length ? `${errors.join('\n')}\n` : '') };
  }

  /** A job's attributes, flattened (`Resource_List.walltime`), in the template record's order. */
  private attributes(j: SimJob): [string, string | number][] {
    const now = Date.now();
    const time = (ms: number) => (this.kind === 'pbs' ? ctimeText(ms) : Math.floor(ms / 1000));
    const holds = [...j.holds].sort().join('') || 'n';
    const id = (x: SimJob) => `${x.seq}${x.subjobs ? '[]' : ''}.${this.server()}`;
    const a: Record<string, string | number> = {
      Job_Name: j.name,
      Job_Owner: `${j.owner}@${HOST}`,
      job_state: j.state,
      queue: QUEUE[this.kind],
      server: this.server(),
      ctime: time(j.ctime),
      Error_Path: `${HOST}:${j.errPath}`,
      Hold_Types: holds,
      Join_Path: j.join ? 'oe' : 'n',
      mtime: time(now),
      Output_Path: `${HOST}:${j.outPath}`,
      Priority: 0,
      qtime: time(j.ctime),
      etime: time(j.ctime),
      substate: j.substate,
      euser: j.owner,
      egroup: j.owner,
      'Resource_List.nodect': 1,
      ...(j.walltime !== undefined ? { 'Resource_List.walltime': j.walltime } : {}),
      ...(this.kind === 'torque' ? { 'Resource_List.nodes': '1:ppn=1', init_work_dir: j.runDir === this.home ? j.cwd : j.runDir } : { 'Resource_List.ncpus': 1, 'Resource_List.select': '1:ncpus=1' }),
    };
    for (const [k, v] of Object.entries({ PBS_O_HOME: this.home, PBS_O_LOGNAME: j.owner, PBS_O_SHELL: '/bin/sh', PBS_O_WORKDIR: j.cwd, PBS_O_QUEUE: QUEUE[this.kind], PBS_O_HOST: HOST, ...j.vars })) a[`Variable_List.${k}`] = v;
    if (j.depend !== undefined) a.depend = j.depend;
    if (j.stime !== undefined) {
      a.exec_host = 'cn001/0';
      a[this.kind === 'pbs' ? 'stime' : 'start_time'] = time(j.stime);
      a['resources_used.walltime'] = hms((j.endTime ?? now) - j.stime);
      if (j.state === 'R' && this.kind === 'pbs') a.comment = `Job run at ${ctimeText(j.stime)} on (cn001:ncpus=1)`;
    } else if (j.state === 'Q' && this.kind === 'pbs') a.comment = 'Not Running: Not enough free nodes available';
    if (j.exitStatus !== undefined) a[this.kind === 'pbs' ? 'Exit_status' : 'exit_status'] = j.exitStatus;
    if (j.endTime !== undefined) a[this.kind === 'pbs' ? 'obittime' : 'comp_time'] = time(j.endTime);
    if (j.subjobs) Object.assign(a, { array: 'True', array_indices_submitted: j.arraySpec as string });
    if (j.parent) Object.assign(a, this.kind === 'pbs' ? { array_id: id(j.parent), array_index: j.index as number } : { job_array_id: j.index as number });
    // The template's attributes first, in its order (constant ones such as Checkpoint, Keep_Files taken from it), then the rest.
    const keys = [...Object.keys(this.template).filter((k) => k in a || !/^(?:Variable_List|Resource_List|resources_used|Walltime)\.|^(?:exec_|stime|start_time|session_id|comment|jobdir|run_count|start_count|submit_args|Submit_arguments|queue_rank)/.test(k)), ...Object.keys(a)];
    return [...new Set(keys)].map((k) => [k, k in a ? (a[k] as string | number) : (this.template[k] as string)]);
  }

  private renderJson(jobs: SimJob[]): string {
    const root: Record<string, unknown> = { timestamp: Math.floor(Date.now() / 1000), pbs_version: '22.05.11', pbs_server: this.server() };
    if (jobs.length) {
      const out: Record<string, Record<string, unknown>> = {};
      for (const j of jobs) {
        const rec: Record<string, unknown> = {};
        for (const [k, v] of this.attributes(j)) {
          const dot = k.indexOf('.');
          if (dot < 0) rec[k] = v;
          else ((rec[k.slice(0, dot)] ??= {}) as Record<string, unknown>)[k.slice(dot + 1)] = v;
        }
        out[`${j.seq}${j.subjobs ? '[]' : j.index !== undefined ? `[${j.index}]` : ''}.${this.server()}`] = rec;
      }
      root.Jobs = out;
    }
    return `${JSON.stringify(root, null, '\t')}\n`;
  }

  /** Torque's MXML: nothing escaped, `<` in a value written as 0x0E, one line. */
  private renderXml(jobs: SimJob[]): string {
    const v = (x: string | number) => String(x).replace(/</g, '\x0e');
    const body = jobs
      .map((j) => {
        const groups = new Map<string, string[]>();
        const vars: string[] = [];
        let xml = `<Job><Job_Id>${j.seq}${j.index !== undefined ? `[${j.index}]` : ''}.${this.server()}</Job_Id>`;
        for (const [k, val] of this.attributes(j)) {
          const dot = k.indexOf('.');
          if (dot < 0) xml += `<${k}>${v(val)}</${k}>`;
          else if (k.startsWith('Variable_List.')) vars.push(`${k.slice(dot + 1)}=${val}`);
          else {
            const g = k.slice(0, dot);
            if (!groups.has(g)) groups.set(g, []);
            groups.get(g)?.push(`<${k.slice(dot + 1)}>${v(val)}</${k.slice(dot + 1)}>`);
          }
        }
        for (const [g, inner] of groups) xml += `<${g}>${inner.join('')}</${g}>`;
        return `${xml}<Variable_List>${v(vars.join(','))}</Variable_List></Job>`;
      })
      .join('');
    return `<?xml version="1.0"?>\n<Data>${body}</Data>\n`;
  }
}
