/**
 * New Interactive Session…: a new allocation (partition, time, CPUs, memory; the last choice per
 * host offered again) running the user's shell on its node in a VS Code terminal over the cached
 * session. While it waits in the queue the terminal shows the scheduler's own words ("queued and
 * waiting for resources"); it shows in the Jobs view like any job; closing the terminal ends it.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { USER_SHELL } from '../core/compute/nodeShell';
import { isMemory } from '../core/scheduler/formats';
import { checkTime } from '../core/jobs/submitOptions';
import { openTerminal } from '../explorer/terminal';
import type { JobsContext } from './context';
import { hostDefaults } from './clusterDefaults';
import { pickPartition } from './submitScript';
import { pickHost } from './targets';

const LAST_KEY = 'remoteHpc.interactive.last';

interface Choice {
  partition?: string;
  time: string;
  cpus: number;
  mem?: string;
}

async function ask(title: string, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await vscode.window.showInputBox({ title, prompt, value, validateInput: validate, ignoreFocusOut: true });
  if (v === undefined) throw new CancelledError();
  return v.trim();
}

export async function newInteractiveSession(ctx: JobsContext, preferredHost?: string): Promise<vscode.Terminal> {
  const host = await pickHost(ctx, 'Interactive session on which host?', preferredHost);
  const scheduler = ctx.schedulers.scheduler(host);
  if (!scheduler.interactiveCommand) throw new Error(`${host}: this scheduler has no interactive sessions here.`);
  const last = ctx.state.get<Record<string, Choice>>(LAST_KEY, {})[host];
  const d = hostDefaults(host);
  const title = `New interactive session on ${host}`;
  const picked = await pickPartition(title, last?.partition ?? d.partition, () => ctx.partitions.get(host));
  if (picked === undefined) throw new CancelledError();
  const partition = picked === 'type' ? await ask(title, 'Partition (empty: the cluster default)', last?.partition ?? d.partition ?? '', (s) => (/[\s,]/.test(s) ? 'One partition name' : undefined)) : picked;
  const time = await ask(title, 'Time limit: minutes, HH:MM:SS or D-HH:MM:SS', last?.time ?? d.time ?? '1:00:00', (s) => checkTime(s, scheduler));
  const cpus = Number(await ask(title, 'CPUs', String(last?.cpus ?? 1), (s) => (/^[1-9]\d{0,4}$/.test(s) ? undefined : 'A whole number ≥ 1')));
  const mem = await ask(title, 'Memory (e.g. 4G; empty: the partition default)', last?.mem ?? '', (s) => (s === '' || isMemory(s) ? undefined : 'Like 500M, 4G or a number of megabytes'));
  const choice: Choice = { ...(partition ? { partition } : {}), time, cpus, ...(mem ? { mem } : {}) };
  await ctx.state.update(LAST_KEY, { ...ctx.state.get<Record<string, Choice>>(LAST_KEY, {}), [host]: choice });
  const argv = scheduler.interactiveCommand({ name: 'interactive', ...(partition ? { partition } : {}), time, cpusPerTask: cpus, ...(mem ? { mem } : {}) }, USER_SHELL);
  const terminal = openTerminal(ctx.hosts, host, { name: `${host} · interactive`, label: `a new allocation on ${host}`, start: (s, pty) => s.spawn(argv, { pty }), icon: 'vm' }, ctx.log);
  // The allocation shows in the Jobs view as soon as the scheduler lists it.
  setTimeout(() => void ctx.controller.refreshNow(host).catch(() => undefined), 2000);
  return terminal;
}
