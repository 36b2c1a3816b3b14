/**
 * PBS Pro / OpenPBS: `qstat -f -F json` (./qstatJson) for the queue, its job history
 * (`qstat -x`, where the server keeps it: `job_history_enable`) for finished jobs, `-J`
 * arrays with `123[]` ids, `-l select=N:ncpus=…:mpiprocs=…:mem=…:ngpus=…` chunks. Everything
 * else is the PBS family's (../pbsFamily).
 */
import { SpecError, type CommandRunner } from '../command';
import type { BatchScriptFormat, ScriptOptions } from '../types';
import { PbsFamilyScheduler, type PbsFamilyConfig, type PbsFamilySchedulerOptions } from '../pbsFamily/scheduler';
import { gpuCount, nodeCount, pbsSize, positive, tasksPerNode, type PbsDialect } from '../pbsFamily/options';
import { pbsFamilyScriptFormat } from '../pbsFamily/directives';
import { idsQuery } from '../pbsFamily/query';
import { parseQstatJson } from './qstatJson';

/** OpenPBS src/lib/Libcmds/ck_job_name.c: letters, digits, `-_+.`, at most PBS_MAXJOBNAME (230). */
const PBS_NAME = /^[A-Za-z0-9_+.-]{1,230}$/;

/** `-l select=` for nodes, tasks, CPUs per task, memory per node and GPUs (one chunk per node). */
function selectResources(spec: ScriptOptions): string[] {
  const asked = [spec.nodes, spec.ntasks, spec.cpusPerTask, spec.mem, spec.gpus].some((v) => v !== undefined);
  if (!asked) return [];
  const chunks = nodeCount(spec.nodes, 'PBS') ?? 1;
  const perChunk = tasksPerNode(spec.ntasks, chunks, 'PBS');
  const cpus = positive('cpusPerTask', spec.cpusPerTask);
  const parts = [String(chunks)];
  if (perChunk !== undefined || cpus !== undefined) parts.push(`ncpus=${(perChunk ?? 1) * (cpus ?? 1)}`);
  if (perChunk !== undefined) parts.push(`mpiprocs=${perChunk}`);
  if (spec.mem !== undefined) parts.push(`mem=${pbsSize(spec.mem)}`);
  if (spec.gpus !== undefined) parts.push(`ngpus=${gpuCount(spec.gpus, 'PBS')}`);
  return [`select=${parts.join(':')}`];
}

/** `-J X-Y[:Z][%N]`: one range of at least two indices (no lists). */
function arrayOption(array: string): [string, string] {
  const m = /^(\d+)-(\d+)(?::(\d+))?(?:%(\d+))?$/.exec(array);
  if (!m) throw new SpecError(`PBS arrays are one range START-END[:STEP][%MAX] (got ${JSON.stringify(array)}): lists are SLURM's and Torque's`);
  if (Number(m[2]) <= Number(m[1])) throw new SpecError(`A PBS array needs at least two indices (got ${JSON.stringify(array)})`);
  return ['-J', array];
}

export const pbsDialect: PbsDialect = {
  label: 'PBS',
  checkName: (name) => (PBS_NAME.test(name) ? undefined : `PBS job names take letters, digits and - _ + . only, at most 230 (got ${JSON.stringify(name)})`),
  arrayOption,
  resources: selectResources,
  attachPrefix: (jobId) => ['pbs_attach', '-j', jobId],
};

/** How PBS batch scripts carry options: `#PBS` lines. */
export const pbsScriptFormat: BatchScriptFormat = pbsFamilyScriptFormat(pbsDialect);

const JSON_FULL = ['qstat', '-f', '-F', 'json'];

const pbsConfig: PbsFamilyConfig = {
  kind: 'pbs',
  dialect: pbsDialect,
  // `-u` does not combine with `-F json` (qstat.c: "conflicting options"): the owner is filtered here.
  listCommand: () => ({ argv: [...JSON_FULL, '-t'], parse: parseQstatJson }),
  historyCommand: () => ({ argv: [...JSON_FULL, '-x', '-t'], parse: parseQstatJson }),
  jobsCommand: (ids) => idsQuery([...JSON_FULL, '-x', '-t', ...ids], parseQstatJson),
  titles: { active: 'Server (qstat -f)', finished: 'Job history (qstat -x -f)' },
};

export class PbsScheduler extends PbsFamilyScheduler {
  constructor(runner: CommandRunner, opts: PbsFamilySchedulerOptions = {}) {
    super(runner, pbsConfig, opts);
  }
}
