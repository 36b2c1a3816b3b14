/**
 * Resubmit and Clone and Edit: what a job was submitted with. Our own submits are recorded
 * (the spec exactly as it went to the scheduler, per host and id, in global state); any other
 * job's script and options come from the scheduler ({@link Scheduler.batchScript}: SLURM keeps
 * the script text while the controller has the job, and in accounting where job_script is
 * stored). A clone is that script with the recorded options the script does not set itself
 * written as directive lines under its first line. No `vscode`.
 */
import type { JobSubmitSpec, Scheduler, ScriptOptions, SubmittedScript } from '../scheduler/types';
import { SchedulerError } from '../scheduler/command';
import { durationText } from './format';
import { arrayParentOf } from './grouping';
import type { StateStore } from './records';

export interface SubmittedRecord {
  host: string;
  id: string;
  spec: JobSubmitSpec;
  at: number;
}

const KEY = 'remoteHpc.jobs.submitted';
const MAX_RECORDS = 200;
/** Script text kept per record; a larger one is not recorded (the scheduler still has it). */
const MAX_RECORDED_TEXT = 256 * 1024;

/** The specs our own submits sent, newest first. */
export class SubmitLog {
  constructor(
    private readonly state: StateStore,
    private readonly now: () => number = Date.now,
  ) {}

  private all(): SubmittedRecord[] {
    const v = this.state.get<unknown>(KEY, []);
    return Array.isArray(v) ? (v.filter((r) => r && typeof r === 'object' && typeof (r as SubmittedRecord).id === 'string' && typeof (r as SubmittedRecord).spec === 'object') as SubmittedRecord[]) : [];
  }

  /** The record of a job (an array task: its array's). */
  get(host: string, id: string): SubmittedRecord | undefined {
    const parent = arrayParentOf({ id });
    return this.all().find((r) => r.host === host && (r.id === id || r.id === parent));
  }

  async add(host: string, id: string, spec: JobSubmitSpec): Promise<void> {
    if (spec.scriptText !== undefined && spec.scriptText.length > MAX_RECORDED_TEXT) return;
    const rest = this.all().filter((r) => !(r.host === host && r.id === id));
    await this.state.update(KEY, [{ host, id, spec, at: this.now() }, ...rest].slice(0, MAX_RECORDS));
  }
}

/** What submitting a job again sends, and where it was found. */
export interface Resubmission {
  spec: JobSubmitSpec;
  /** The script text, when known (a recorded path-based submit may have none). */
  text?: string;
  /** The script file it came from, when known (a clone is named after it). */
  path?: string;
  from: 'recorded' | SubmittedScript['source'];
}

/** Options that make no sense on a new job: it must not wait for jobs long finished. */
function fresh(spec: JobSubmitSpec): JobSubmitSpec {
  const { dependency: _d, ...rest } = spec;
  return rest;
}

/**
 * The spec to submit `id` again with: ours as recorded (a script path re-read as the scheduler
 * kept its text, when it did and no arguments follow it), else the scheduler's script and
 * options. The scheduler's error (kind `invalid-job`, its own words) when it has none.
 */
export async function resubmission(scheduler: Pick<Scheduler, 'batchScript'>, recorded: SubmittedRecord | undefined, id: string): Promise<Resubmission> {
  const fromScheduler = async (): Promise<SubmittedScript> => {
    if (!scheduler.batchScript) throw new SchedulerError(`The batch script of job ${id} is not available: this scheduler does not give scripts back, and the job was not submitted from here`, 'invalid-job', '', null, '');
    return scheduler.batchScript(id);
  };
  if (recorded) {
    const spec = fresh(recorded.spec);
    if (spec.scriptText !== undefined) return { spec, text: spec.scriptText, from: 'recorded' };
    const kept = await fromScheduler().catch(() => undefined);
    if (kept && !spec.scriptArgs?.length) {
      const { script: _s, scriptArgs: _a, ...rest } = spec;
      return { spec: { ...rest, scriptText: kept.text, ...(rest.cwd === undefined && kept.cwd ? { cwd: kept.cwd } : {}) }, text: kept.text, from: 'recorded' };
    }
    return { spec, ...(kept ? { text: kept.text } : {}), from: 'recorded' };
  }
  const kept = await fromScheduler();
  return { spec: { ...kept.options, scriptText: kept.text, ...(kept.cwd ? { cwd: kept.cwd } : {}) }, text: kept.text, ...(kept.path ? { path: kept.path } : {}), from: kept.source };
}

/** `partition debug · time 10:00 · 4 tasks · in /home/u/run` — for the confirmation. */
export function resubmissionSummary(r: Resubmission): string {
  const s = r.spec;
  const parts = [
    s.partition ? `partition ${s.partition}` : 'the default partition',
    s.time ? `time ${durationText(s.time)}` : '',
    s.account ? `account ${s.account}` : '',
    s.nodes !== undefined ? `${s.nodes} nodes` : '',
    s.ntasks !== undefined ? `${s.ntasks} tasks` : '',
    s.cpusPerTask !== undefined ? `${s.cpusPerTask} CPUs per task` : '',
    s.mem !== undefined ? `memory ${s.mem}` : '',
    s.gpus !== undefined ? `GPUs ${s.gpus}` : '',
    s.array ? `array ${s.array}` : '',
    s.extraArgs?.length ? s.extraArgs.join(' ') : '',
    s.script ? `script ${s.script}` : '',
    s.cwd ? `in ${s.cwd}` : '',
  ];
  const from = r.from === 'recorded' ? 'as submitted from here' : r.from === 'controller' ? "as the controller kept it" : "as accounting kept it";
  return `${parts.filter(Boolean).join(' · ')} (${from})`;
}

/** The options of a spec a batch script can carry (no script, folder or environment). */
function scriptOptions(spec: JobSubmitSpec): ScriptOptions {
  const { script: _s, scriptText: _t, scriptArgs: _a, cwd: _c, env: _e, ...options } = spec;
  return options;
}

/**
 * The clone's text: the script, with the options it was submitted with that its own directive
 * lines do not set written under its first line (`#!`), marked by a comment. What the directives
 * cannot say (a folder, the environment) is left out.
 */
export function cloneText(format: Pick<Scheduler, 'readDirectives' | 'writeDirectives'>, text: string, spec: JobSubmitSpec, origin: string): string {
  const own = format.readDirectives(text) as Record<string, unknown>;
  const wanted = scriptOptions(spec) as Record<string, unknown>;
  const missing = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => v !== undefined && own[k] === undefined && !(k === 'tags' && own.comment !== undefined))) as ScriptOptions;
  const lines = Object.keys(missing).length ? format.writeDirectives(missing) : [];
  const shebang = /^#![^\n]*\n/.exec(text)?.[0] ?? '';
  const head = [`# Cloned from ${origin}${lines.length ? '; the options it was submitted with:' : '.'}`, ...lines].join('\n');
  return `${shebang}${head}\n${text.slice(shebang.length)}${text.endsWith('\n') ? '' : '\n'}`;
}

/** `run.sh` → `run-clone.sh`, `job 12 "my sim"` → `my_sim-clone.sh`: a file name for the copy. */
export function cloneFileName(spec: Pick<JobSubmitSpec, 'script' | 'name'>, id: string, path = spec.script): string {
  const base = path ? (path.split('/').pop() ?? '') : '';
  const m = /^(.+?)(\.[A-Za-z0-9]{1,8})?$/.exec(base);
  if (m?.[1]) return `${m[1]}-clone${m[2] ?? '.sh'}`;
  const name = (spec.name ?? '').replace(/[^A-Za-z0-9._+-]+/g, '_').replace(/^[._-]+/, '').slice(0, 60);
  return `${name || `job-${id}`}-clone.sh`;
}
