/**
 * Torque (and PBS/TORQUE descendants): `qstat -f -x -t -u <user>` (./qstatXml) for the queue,
 * completed jobs (state C) for as long as the server keeps them (`keep_completed`), `-t`
 * arrays with `123[]` ids, `-l nodes=N:ppn=P:gpus=G` and a whole-job `mem`, `-d` for the
 * working directory. Everything else is the PBS family's (../pbsFamily).
 */
import { SpecError, type CommandRunner } from '../command';
import type { BatchScriptFormat, ScriptOptions } from '../types';
import { PbsFamilyScheduler, type PbsFamilyConfig, type PbsFamilySchedulerOptions } from '../pbsFamily/scheduler';
import { gpuCount, nodeCount, pbsSize, positive, tasksPerNode, type PbsDialect } from '../pbsFamily/options';
import { pbsFamilyScriptFormat } from '../pbsFamily/directives';
import { idsQuery } from '../pbsFamily/query';
import { checkUserName } from '../pbsFamily/ids';
import { parseQstatXml } from './qstatXml';

/** Torque src/lib/Libcmds/ck_job_name.c: printable characters (isgraph: ASCII, no spaces). */
const TORQUE_NAME = /^[\x21-\x7e]{1,230}$/;

/** `-l nodes=N:ppn=P[:gpus=G]` and `-l mem=` for the whole job (SLURM's --mem is per node). */
function nodesResources(spec: ScriptOptions): string[] {
  const out: string[] = [];
  const nodes = nodeCount(spec.nodes, 'Torque');
  const perNode = tasksPerNode(spec.ntasks, nodes ?? 1, 'Torque');
  const cpus = positive('cpusPerTask', spec.cpusPerTask);
  const gpus = spec.gpus === undefined ? undefined : gpuCount(spec.gpus, 'Torque');
  if ([nodes, perNode, cpus, gpus].some((v) => v !== undefined)) {
    const parts = [String(nodes ?? 1)];
    if (perNode !== undefined || cpus !== undefined) parts.push(`ppn=${(perNode ?? 1) * (cpus ?? 1)}`);
    if (gpus !== undefined) parts.push(`gpus=${gpus}`);
    out.push(`nodes=${parts.join(':')}`);
  }
  if (spec.mem !== undefined) out.push(`mem=${pbsSize(spec.mem, nodes ?? 1)}`);
  return out;
}

/** `-t 0-9`, `-t 1,3,5`, `-t 0-9%2`: ranges and lists, no steps. */
function arrayOption(array: string): [string, string] {
  if (array.includes(':')) throw new SpecError(`Torque arrays take ranges and lists, no step (got ${JSON.stringify(array)}): list the indices instead`);
  return ['-t', array];
}

export const torqueDialect: PbsDialect = {
  label: 'Torque',
  checkName: (name) => (TORQUE_NAME.test(name) ? undefined : `Torque job names take printable ASCII characters without spaces, at most 230 (got ${JSON.stringify(name)})`),
  arrayOption,
  resources: nodesResources,
  chdirFlag: '-d',
  attachPrefix: () => [],
};

/** How Torque batch scripts carry options: `#PBS` lines. */
export const torqueScriptFormat: BatchScriptFormat = pbsFamilyScriptFormat(torqueDialect);

const XML_FULL = ['qstat', '-f', '-x', '-t'];

const torqueConfig: PbsFamilyConfig = {
  kind: 'torque',
  dialect: torqueDialect,
  listCommand: (user) => ({ argv: [...XML_FULL, '-u', checkUserName(user)], parse: parseQstatXml }),
  historyCommand: (user) => ({ argv: [...XML_FULL, ...(user !== undefined ? ['-u', checkUserName(user)] : [])], parse: parseQstatXml }),
  jobsCommand: (ids) => idsQuery([...XML_FULL, ...ids], parseQstatXml),
  titles: { active: 'Server (qstat -f -x)', finished: 'Completed, kept by the server (qstat -f -x)' },
};

export class TorqueScheduler extends PbsFamilyScheduler {
  constructor(runner: CommandRunner, opts: PbsFamilySchedulerOptions = {}) {
    super(runner, torqueConfig, opts);
  }
}
