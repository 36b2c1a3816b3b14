/**
 * `srun --jobid=<id> --overlap --pty …`: a command on a pty inside a running job's allocation,
 * beside its steps (SLURM 20.11+), on one node of it, as one task. Every value is one argv word.
 */
import { SpecError } from '../command';
import type { ScriptOptions } from '../types';
import { sbatchOptions } from './sbatch';

/** A numeric job id (an array task is attached by its own raw id). */
function numericJobId(id: string): string {
  if (!/^\d+$/.test(id)) throw new SpecError(`job id ${JSON.stringify(id)} is not a number`);
  return id;
}

function nodeName(node: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(node)) throw new SpecError(`node name ${JSON.stringify(node)} is not a host name`);
  return node;
}

export function srunAttachArgv(jobId: string, command: readonly string[], opts: { node?: string } = {}): string[] {
  if (command.length === 0) throw new SpecError('no command to run on the node');
  return [
    'srun',
    `--jobid=${numericJobId(jobId)}`,
    '--overlap',
    '--pty',
    '--nodes=1',
    '--ntasks=1',
    ...(opts.node !== undefined ? [`--nodelist=${nodeName(opts.node)}`] : []),
    '--',
    ...command,
  ];
}

/** What an interactive allocation can ask for (srun takes these options as sbatch does). */
export type InteractiveOptions = Pick<ScriptOptions, 'name' | 'partition' | 'account' | 'time' | 'cpusPerTask' | 'mem' | 'gpus' | 'gpuFlag'>;

/**
 * `srun [options] --pty <command>`: a new allocation of one task that waits in the queue (srun
 * says so on the terminal), then runs `command` on its node's pty; the allocation ends with it
 * (the terminal closing hangs srun up, which cancels the job).
 */
export function srunInteractiveArgv(o: InteractiveOptions, command: readonly string[]): string[] {
  if (command.length === 0) throw new SpecError('no command to run on the node');
  const { name, partition, account, time, cpusPerTask, mem, gpus, gpuFlag } = o;
  const opts = sbatchOptions({ name: name ?? 'interactive', partition, account, time, cpusPerTask, mem, gpus, gpuFlag });
  return ['srun', ...opts, '--nodes=1', '--ntasks=1', '--pty', '--', ...command];
}
