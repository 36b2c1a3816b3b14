/**
 * New Interactive Session…: a new allocation (partition, time, CPUs, memory, GPUs, account; host
 * defaults and the last choice per host offered again) running the user's shell on its node in a
 * VS Code terminal over the cached session. While it waits in the queue the terminal says why and
 * when the scheduler expects it to start (from the Jobs view's own poll: no extra squeue); the
 * job is tracked in the Jobs view like a submitted one; closing the terminal asks, then ends it.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { SESSION_SHELL } from '../core/compute/nodeShell';
import { isGpuCount, isMemory } from '../core/scheduler/formats';
import type { Partition } from '../core/scheduler/types';
import { AllocationScanner, queueStatusText } from '../core/compute/allocationStatus';
import { checkTime } from '../core/jobs/submitOptions';
import { openTerminal } from '../explorer/terminal';
import type { JobsContext } from './context';
import { hostDefaults } from '../config/clusterDefaults';
import { pickPartition } from './submitScript';
import { pickHost } from './targets';
import { keyedMemory } from './memory';

const LAST_KEY = 'remoteHpc.interactive.last';

/** GPUs are asked for when the partition (or, with none named, any partition) has some, or were asked for last time. */
function offerGpus(partitions: readonly Partition[], partition: string | undefined, last: Partial<Allocation> | undefined): boolean {
  if (last?.gpus) return true;
  const hasGpu = (p: Partition) => p.gres.some((g) => /^gpu(:|$)/.test(g));
  const named = partitions.find((p) => p.name === partition);
  return named ? hasGpu(named) : partitions.length === 0 || partitions.some(hasGpu);
}

async function ask(title: string, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await vscode.window.showInputBox({ title, prompt, value, validateInput: validate, ignoreFocusOut: true });
  if (v === undefined) throw new CancelledError();
  return v.trim();
}

/** What an allocation asks for (the New Interactive Session prompts, also used by interactive apps). */
export interface Allocation {
  partition?: string;
  time: string;
  cpus: number;
  mem?: string;
  account?: string;
  /** A count or type:count. */
  gpus?: string;
}

/**
 * Asks partition, time, CPUs, memory, GPUs (when the partition has some) and account, each
 * prefilled from `initial`, else the host's job defaults.
 */
export async function askAllocation(ctx: JobsContext, host: string, title: string, initial: Partial<Allocation> | undefined): Promise<Allocation> {
  const scheduler = ctx.schedulers.scheduler(host);
  const d = hostDefaults(host);
  const picked = await pickPartition(title, initial?.partition ?? d.partition, () => ctx.partitions.get(host));
  if (picked === undefined) throw new CancelledError();
  const partition = picked === 'type' ? await ask(title, 'Partition (empty: the cluster default)', initial?.partition ?? d.partition ?? '', (s) => (/[\s,]/.test(s) ? 'One partition name' : undefined)) : picked;
  const time = await ask(title, 'Time limit: minutes, HH:MM:SS or D-HH:MM:SS', initial?.time ?? d.time ?? '1:00:00', (s) => checkTime(s, scheduler));
  const cpus = Number(await ask(title, 'CPUs', String(initial?.cpus ?? 1), (s) => (/^[1-9]\d{0,4}$/.test(s) ? undefined : 'A whole number ≥ 1')));
  const mem = await ask(title, 'Memory (e.g. 4G; empty: the partition default)', initial?.mem ?? '', (s) => (s === '' || isMemory(s) ? undefined : 'Like 500M, 4G or a number of megabytes'));
  const known = await ctx.partitions.get(host).catch(() => []);
  const gpus = offerGpus(known, partition, initial) ? await ask(title, 'GPUs: a count or type:count (e.g. 1 or a100:2; empty: none)', initial?.gpus ?? '', (s) => (s === '' || isGpuCount(s) ? undefined : 'A count or type:count')) : '';
  const account = await ask(title, 'Account to charge (empty: your default account)', initial?.account ?? d.account ?? '', (s) => (/^[A-Za-z0-9_.-]*$/.test(s) ? undefined : 'One account name'));
  return { ...(partition ? { partition } : {}), time, cpus, ...(mem ? { mem } : {}), ...(gpus ? { gpus } : {}), ...(account ? { account } : {}) };
}

export async function newInteractiveSession(ctx: JobsContext, preferredHost?: string): Promise<vscode.Terminal> {
  const host = await pickHost(ctx, 'Interactive session on which host?', preferredHost);
  const scheduler = ctx.schedulers.scheduler(host);
  if (!scheduler.interactiveCommand) throw new Error(`${host}: this scheduler has no interactive sessions here.`);
  const last = keyedMemory<Allocation>(ctx.state, LAST_KEY);
  const choice = await askAllocation(ctx, host, `New interactive session on ${host}`, last.get(host));
  await last.set(host, choice);
  const { gpus: g, cpus: c, ...rest } = choice;
  const argv = scheduler.interactiveCommand({ name: SESSION_NAME, ...rest, cpusPerTask: c, ...(g ? { gpus: g } : {}) }, SESSION_SHELL);
  const session = new SessionWatch(ctx, host);
  const terminal = openTerminal(
    ctx.hosts,
    host,
    { name: `${host} · interactive`, label: `a new allocation on ${host}`, start: (s, pty) => s.spawn(argv, { pty }), icon: 'vm' },
    ctx.log,
    { tap: (text, note) => session.output(text, note), confirmClose: () => session.confirmClose() },
  );
  return terminal;
}

const SESSION_NAME = 'interactive';

/** One session's allocation: its id from the terminal, its queue status, its end. */
class SessionWatch {
  private readonly scanner = new AllocationScanner();
  private granted = false;
  private lastLine: string | undefined;
  private sub: { dispose(): void } | undefined;
  private note: ((line: string) => void) | undefined;

  constructor(
    private readonly ctx: JobsContext,
    private readonly host: string,
  ) {}

  output(text: string, note: (line: string) => void): void {
    const e = this.scanner.feed(text);
    if (!e) return;
    this.note = note;
    if (e.granted) {
      this.granted = true;
      this.stop();
    } else if (!this.sub) {
      // Watched like a submitted job (even with the Jobs view hidden); its rows give the status.
      this.sub = this.ctx.model.onDidChange((h) => {
        if (h === undefined || h === this.host) this.update();
      });
    }
    void this.ctx.controller.track(this.host, [e.id]).then(() => this.ctx.controller.refreshNow(this.host)).catch(() => undefined);
  }

  private update(): void {
    const id = this.scanner.id;
    if (this.granted || id === undefined) return;
    const line = queueStatusText(this.ctx.model.find(this.host, id), Date.now());
    if (line === undefined || line === this.lastLine) return;
    this.lastLine = line;
    this.note?.(line);
  }

  private stop(): void {
    this.sub?.dispose();
    this.sub = undefined;
  }

  /** The view is closing: end the allocation, or keep it (shown again in a new terminal). */
  async confirmClose(): Promise<boolean> {
    const id = this.scanner.id;
    const job = id === undefined ? undefined : this.ctx.model.find(this.host, id);
    const what = id === undefined ? `the allocation on ${this.host}` : `job ${id} on ${this.host}`;
    const end: vscode.MessageItem = { title: 'End Session' };
    // The dialog's close button: a modal would otherwise add a Cancel that means the same.
    const keep: vscode.MessageItem = { title: 'Keep Running', isCloseAffordance: true };
    const choice = await vscode.window.showWarningMessage(`End the interactive session (${what})?`, { modal: true, detail: 'Closing its terminal ends the allocation and whatever runs in it. Keep Running shows the terminal again.' }, end, keep);
    if (choice !== end) return false;
    this.stop();
    // The hang-up ends srun and with it the allocation; scancel makes sure, for the job we started.
    if (id !== undefined && job?.name === SESSION_NAME) {
      this.ctx.controller.expectCancel(this.host, [id]);
      void this.ctx.schedulers
        .scheduler(this.host)
        .cancel([id])
        .catch((e: unknown) => this.ctx.log.warn(`[jobs] ${this.host}: cancelling interactive job ${id}: ${e instanceof Error ? e.message : String(e)}`))
        .then(() => this.ctx.controller.refreshNow(this.host))
        .catch(() => undefined);
    }
    return true;
  }
}
