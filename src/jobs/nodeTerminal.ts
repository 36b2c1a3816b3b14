/**
 * Open Terminal on Node: the user's shell on a compute node of a running job, in a VS Code
 * terminal over the host's cached session (the core ShellTerminal, started with the
 * scheduler's attach command instead of a login shell). A multi-node job asks which node.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { cannotReach, jobNodes, nodeShell } from '../core/compute/nodeShell';
import { openTerminal } from '../explorer/terminal';
import type { JobsContext } from './context';
import type { JobTarget } from './targets';

/** One node of the job: the only one, or the user's pick. */
export async function pickNode(nodes: string[], jobId: string): Promise<string> {
  if (nodes.length <= 1) return nodes[0] ?? '';
  const picked = await vscode.window.showQuickPick(
    nodes.map((n, i) => ({ label: n, description: i === 0 ? 'first node (batch script)' : '' })),
    { title: `Job ${jobId} runs on ${nodes.length} nodes: which one?` },
  );
  if (!picked) throw new CancelledError();
  return picked.label;
}

export async function openTerminalOnNode(ctx: JobsContext, t: JobTarget): Promise<vscode.Terminal> {
  const job = t.job ?? ctx.model.find(t.host, t.id);
  const why = cannotReach(job);
  if (why || !job) throw new Error(why);
  const scheduler = ctx.schedulers.scheduler(t.host);
  const node = await pickNode(jobNodes(scheduler, job), job.id);
  const start = nodeShell(scheduler, job, node || undefined);
  const label = `${node || 'the node'} (job ${job.id} on ${t.host})`;
  return openTerminal(ctx.hosts, t.host, { name: `${node || t.host} · job ${job.id}`, label, start, icon: 'terminal' }, ctx.log);
}
