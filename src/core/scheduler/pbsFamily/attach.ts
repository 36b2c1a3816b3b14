/**
 * A command on a running job's node for the PBS family, which has no `srun --overlap`: `ssh -t`
 * from the login node to the node (PBS and Torque sites let a user in where one of their jobs
 * runs: OpenPBS's and Torque's PAM modules), the command wrapped by the dialect's attach tool
 * (OpenPBS `pbs_attach -j <job>`, so its processes count against the job; Torque has none).
 * ssh hands the remote command to the node's shell as one line: each word is quoted once here.
 */
import { SpecError } from '../command';
import { commandLine } from '../../ssh/quote';

const NODE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function sshAttachArgv(prefix: readonly string[], command: readonly string[], node: string | undefined, label: string): string[] {
  if (node === undefined) throw new SpecError(`${label} opens a terminal on a named node: pick one of the job's nodes`);
  if (!NODE.test(node)) throw new SpecError(`Not a node name: ${JSON.stringify(node)}`);
  if (command.length === 0) throw new SpecError('No command to run on the node');
  return ['ssh', '-t', '--', node, commandLine([...prefix, ...command])];
}

/** `exec_host`-derived node lists are already plain names joined by commas. */
export function splitNodes(nodes: string): string[] {
  return nodes.split(',').map((n) => n.trim()).filter(Boolean);
}
