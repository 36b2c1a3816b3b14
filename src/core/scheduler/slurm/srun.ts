/**
 * `srun --jobid=<id> --overlap --pty …`: a command on a pty inside a running job's allocation,
 * beside its steps (SLURM 20.11+), on one node of it, as one task. Every value is one argv word.
 */
import { SpecError } from '../command';

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
