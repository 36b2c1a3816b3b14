/**
 * The Jobs view: connected hosts → jobs (arrays with their tasks under them) → a "Recent" group
 * from accounting. Reads the JobsModel only: no remote calls and no notifications in here.
 * Nodes are kept by id so the same element comes back for the same job (reveal needs that).
 */
import * as vscode from 'vscode';
import { isTerminal, type Job } from '../core/scheduler/types';
import { arrayContextValue, arraySummary, arrayState, escapeMarkdown, hostSummary, iconForState, jobContextValue, jobDescription, jobLabel, jobTooltip, staleText, stateClass, stateIcon, stateText, type IconSpec } from '../core/jobs/format';
import { filterJobs, isEmptyFilter } from '../core/jobs/filter';
import { groupJobs, type JobEntry } from '../core/jobs/grouping';
import { DEFAULT_JOB_SORT, sortEntries, type JobSortKey } from '../core/jobs/sorting';
import type { JobsModel } from '../core/jobs/model';
import type { Clock } from '../core/scheduler/watcher';
import type { PortForward, PortForwards } from '../core/compute/portForwards';
import type { LiveUsage } from '../core/jobs/usage';
import { usageLine } from '../core/jobs/usageText';
import { timeLeftSeconds, timeLeftText } from '../core/jobs/timeLeft';
import { poolOfHost, type PoolHostView, type PoolService, type ResourceState } from '../core/scheduler/poolSpec';

export type Section = 'active' | 'recent';

export interface HostNode {
  readonly kind: 'host';
  readonly id: string;
  readonly host: string;
}

export interface RecentNode {
  readonly kind: 'recent';
  readonly id: string;
  readonly host: string;
  readonly parent: HostNode;
}

export interface ArrayNode {
  readonly kind: 'array';
  readonly id: string;
  readonly host: string;
  readonly section: Section;
  readonly parent: HostNode | RecentNode;
  arrayJobId: string;
  name: string;
  tasks: Job[];
}

export interface JobNode {
  readonly kind: 'job';
  readonly id: string;
  readonly host: string;
  readonly section: Section;
  readonly parent: HostNode | RecentNode | ArrayNode;
  job: Job;
}

export interface InfoNode {
  readonly kind: 'info';
  readonly id: string;
  readonly host: string;
  readonly parent: HostNode | RecentNode;
  message: string;
  icon: string;
  tooltip?: string;
}

/** A port forwarded from the job's node, shown under the job. */
export interface ForwardNode {
  readonly kind: 'forward';
  readonly id: string;
  readonly host: string;
  readonly parent: JobNode;
  /** The forward's id in the PortForwards registry (commands look it up by this). */
  readonly forwardId: string;
  forward: PortForward;
}

export type JobsNode = HostNode | RecentNode | ArrayNode | JobNode | InfoNode | ForwardNode;

export function isJobsNode(x: unknown): x is JobsNode {
  return !!x && typeof x === 'object' && 'kind' in x && 'id' in x && 'host' in x && typeof (x as { id: unknown }).id === 'string' && String((x as { id: string }).id).startsWith('jobs\0');
}

function themeIcon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

/** A stale row: the same codicon, still and greyed. */
function mutedIcon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id.replace(/~spin$/, ''), new vscode.ThemeColor('disabledForeground'));
}

/** A pool host's line under the pool (its id is stable; its text follows the slots). */
function isPoolLine(n: JobsNode): boolean {
  return n.kind === 'info' && n.id.includes('\0info\0pool-host\0');
}

/** Codicons of glimpse's resource states (a pool host's line). */
const POOL_ICONS: Record<ResourceState, string> = { free: 'circle-large-outline', busy: 'sync~spin', done: 'pass', unknown: 'question', error: 'error' };

/** `ws1 — busy · slots: busy, busy, free` */
function poolHostLine(v: PoolHostView): string {
  return `${v.host} — ${v.state}${v.slots.length ? ` · slots: ${v.slots.map((s) => s.state).join(', ')}` : ''}`;
}

const systemClock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'> = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class JobsTreeProvider implements vscode.TreeDataProvider<JobsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobsNode | JobsNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly nodes = new Map<string, JobsNode>();
  private readonly subscription: { dispose(): void };
  private readonly clock: Clock;
  private tick: unknown;
  /** The stale text each host row was last drawn with. */
  private readonly drawnStale = new Map<string, string | undefined>();
  /** Each host's {@link shape} when it was last redrawn whole. */
  private readonly drawnShape = new Map<string, string>();

  private readonly sortBy: () => JobSortKey;
  /** Minutes before a running job's limit from which its row says how long is left (0: only the tooltip). */
  private readonly timeLeftWarning: () => number;
  private readonly forwards: Pick<PortForwards, 'list' | 'onDidChange'> | undefined;
  private readonly forwardsSubscription: { dispose(): void } | undefined;
  private readonly usage: Pick<LiveUsage, 'forHost'> | undefined;
  private readonly pools: Pick<PoolService, 'hostViews' | 'onDidChange'> | undefined;
  private readonly poolsSubscription: { dispose(): void } | undefined;

  constructor(
    private readonly model: JobsModel,
    private readonly historyDays: () => number,
    opts: { clock?: Clock; tickMs?: number; sortBy?: () => JobSortKey; timeLeftWarning?: () => number; forwards?: Pick<PortForwards, 'list' | 'onDidChange'>; usage?: Pick<LiveUsage, 'forHost'>; pools?: Pick<PoolService, 'hostViews' | 'onDidChange'> } = {},
  ) {
    this.forwards = opts.forwards;
    this.usage = opts.usage;
    this.timeLeftWarning = opts.timeLeftWarning ?? (() => 0);
    this.pools = opts.pools;
    // Slot states change between polls: the pool hosts' rows are redrawn (whole: their lines are rows).
    this.poolsSubscription = opts.pools?.onDidChange(() => {
      for (const h of this.model.hostList()) if (poolOfHost(h.host) !== undefined) this.redraw(h.host);
    });
    this.forwardsSubscription = opts.forwards?.onDidChange(({ host }) => {
      const node = this.nodes.get(hostId(host));
      this.changed.fire(node);
    });
    this.clock = opts.clock ?? systemClock;
    this.tickMs = opts.tickMs ?? 1000;
    this.sortBy = opts.sortBy ?? (() => DEFAULT_JOB_SORT);
    this.subscription = model.onDidChange((host) => this.redraw(host));
  }

  /**
   * After the model changed: the host when its rows, their order, or the host's or Recent's own
   * text changed; else only its rows. Redrawing a host rebuilds its children, and a context menu
   * chosen on a row in that moment would reach its command without the row, so a poll that only
   * moved times or states redraws the rows themselves.
   */
  private redraw(host: string | undefined): void {
    const node = host === undefined ? undefined : this.nodes.get(hostId(host));
    if (!node || node.kind !== 'host') {
      this.changed.fire(undefined);
      return;
    }
    const shape = this.shape(node);
    if (shape !== this.drawnShape.get(node.host)) {
      this.drawnShape.set(node.host, shape);
      this.changed.fire(node);
      return;
    }
    const rows = this.getChildren(node).filter((n) => n.kind === 'job' || n.kind === 'array' || isPoolLine(n));
    if (rows.length) this.changed.fire(rows);
  }

  /** What only a redraw of the whole host shows: which rows in what order, the host's and Recent's text. */
  private shape(n: HostNode): string {
    const rows = this.getChildren(n);
    const recent = rows.find((r): r is RecentNode => r.kind === 'recent');
    const h = this.model.get(n.host);
    // A pool host's line changes with its slots: redrawn as a row, like a job's state.
    const host = [h?.degraded, h?.polled, hostSummary(this.model.shownActive(n.host)), rows.map((r) => (r.kind === 'info' && !isPoolLine(r) ? r.message : ''))];
    return JSON.stringify([host, rows.map((r) => r.id), recent ? [this.getTreeItem(recent).description, this.getChildren(recent).map((r) => r.id)] : null]);
  }

  private readonly tickMs: number;

  /**
   * While the view is visible: every second, redraw the rows of running jobs (their elapsed times
   * move), and a host whose list just turned stale (or fresh again). Nothing while hidden.
   * Only the rows themselves: redrawing a host rebuilds its children, and a context menu chosen
   * on a row in that moment would reach its command without the row.
   */
  setTicking(on: boolean): void {
    if (!on) {
      if (this.tick !== undefined) this.clock.clearTimeout(this.tick);
      this.tick = undefined;
      return;
    }
    if (this.tick !== undefined) return;
    const step = () => {
      this.tick = this.clock.setTimeout(step, this.tickMs);
      const now = this.clock.now();
      for (const h of this.model.hostList()) {
        const node = this.nodes.get(hostId(h.host));
        if (!node) continue;
        if (staleText(h, now) !== this.drawnStale.get(h.host)) this.changed.fire(node);
        else if (node.kind === 'host') {
          const running = this.runningRows(node);
          if (running.length) this.changed.fire(running);
        }
      }
    };
    this.tick = this.clock.setTimeout(step, this.tickMs);
  }

  /** The rows of a host's running jobs, array tasks included (their elapsed times tick). */
  private runningRows(host: HostNode): JobNode[] {
    return this.getChildren(host)
      .flatMap((n) => (n.kind === 'array' ? this.getChildren(n) : [n]))
      .filter((n): n is JobNode => n.kind === 'job' && n.job.state === 'RUNNING');
  }

  /** Everything (e.g. after the history-days or sort setting changed). */
  refresh(): void {
    this.drawnShape.clear();
    this.changed.fire(undefined);
  }

  getChildren(element?: JobsNode): JobsNode[] {
    if (!element) return this.model.hostList().map((h) => this.intern<HostNode>(hostId(h.host), () => ({ kind: 'host', id: hostId(h.host), host: h.host })));
    switch (element.kind) {
      case 'host':
        return this.hostChildren(element);
      case 'recent':
        return this.recentChildren(element);
      case 'array':
        return element.tasks.map((t) => this.jobNode(element, t));
      case 'job':
        return this.forwardNodes(element);
      default:
        return [];
    }
  }

  /**
   * Hovering a running job adds what it uses now to its tooltip: one batched call for the running
   * jobs of its host (kept a few seconds), made only when someone looks.
   */
  async resolveTreeItem(item: vscode.TreeItem, n: JobsNode): Promise<vscode.TreeItem> {
    if (n.kind !== 'job' || n.job.state !== 'RUNNING' || n.section !== 'active' || !this.usage || !(item.tooltip instanceof vscode.MarkdownString)) return item;
    const u = (await this.usage.forHost(n.host, this.model.shownActive(n.host)).catch(() => undefined))?.get(n.job.id);
    if (u) item.tooltip.appendMarkdown(`  \n$(pulse) **Using now:** ${escapeMarkdown(usageLine(u))}`);
    return item;
  }

  getParent(element: JobsNode): JobsNode | undefined {
    return element.kind === 'host' ? undefined : element.parent;
  }

  getTreeItem(n: JobsNode): vscode.TreeItem {
    switch (n.kind) {
      case 'host':
        return this.hostItem(n);
      case 'recent': {
        const h = this.model.get(n.host);
        const item = new vscode.TreeItem('Recent', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = n.id;
        item.iconPath = new vscode.ThemeIcon('history');
        const shown = filterJobs(h?.recent ?? [], this.model.filter).length;
        item.description = `last ${this.historyDays()} day${this.historyDays() === 1 ? '' : 's'}${h?.historyLoaded || h?.recent.length ? ` · ${shown}` : ''}`;
        item.tooltip = 'Finished jobs from accounting (sacct), newest first. Setting: remoteHpc.jobs.historyDays';
        item.contextValue = 'jobsRecent';
        return item;
      }
      case 'array':
        return this.arrayItem(n);
      case 'job':
        return this.jobItem(n);
      case 'forward':
        return forwardItem(n);
      case 'info': {
        const item = new vscode.TreeItem(n.message, vscode.TreeItemCollapsibleState.None);
        item.id = n.id;
        item.iconPath = new vscode.ThemeIcon(n.icon);
        if (n.tooltip) item.tooltip = n.tooltip;
        item.contextValue = 'jobsInfo';
        return item;
      }
    }
  }

  /** The node showing a job (or its array parent when `id` is an array id), if it is in the tree. */
  findJob(host: string, id: string): JobNode | ArrayNode | undefined {
    const hostNode = this.nodes.get(hostId(host));
    if (!hostNode || hostNode.kind !== 'host') return undefined;
    const search = (list: JobsNode[]): JobNode | ArrayNode | undefined => {
      for (const n of list) {
        if (n.kind === 'job' && n.job.id === id) return n;
        if (n.kind === 'array') {
          if (n.arrayJobId === id) return n;
          const hit = this.getChildren(n).find((c): c is JobNode => c.kind === 'job' && c.job.id === id);
          if (hit) return hit;
        }
      }
      return undefined;
    };
    const top = this.getChildren(hostNode);
    const found = search(top);
    if (found) return found;
    const recent = top.find((n): n is RecentNode => n.kind === 'recent');
    return recent ? search(this.getChildren(recent)) : undefined;
  }

  dispose(): void {
    this.setTicking(false);
    this.subscription.dispose();
    this.forwardsSubscription?.dispose();
    this.poolsSubscription?.dispose();
    this.changed.dispose();
  }

  // --- children ---------------------------------------------------------------------------

  private hostChildren(n: HostNode): JobsNode[] {
    const h = this.model.get(n.host);
    if (!h) return [];
    const filter = this.model.filter;
    const active = filterJobs(this.model.shownActive(n.host), filter);
    const out: JobsNode[] = sortEntries(groupJobs(active), this.sortBy()).map((e) => this.entryNode(n, 'active', e));
    const pool = poolOfHost(n.host);
    const poolLines = pool !== undefined && this.pools ? this.pools.hostViews(pool).map((v) => this.info(n, `pool-host\0${v.host}`, POOL_ICONS[v.state], poolHostLine(v), v.error)) : [];
    if (out.length === 0 && poolLines.length === 0) {
      if (!h.polled && !h.degraded) out.push(this.info(n, 'loading', 'loading~spin', 'Loading jobs…'));
      else if (h.degraded && !h.polled) out.push(this.info(n, 'degraded', 'warning', 'Scheduler unreachable — retrying', h.degraded));
      else out.push(this.info(n, 'empty', 'info', isEmptyFilter(filter) || this.model.shownActive(n.host).length === 0 ? 'No active jobs' : 'No active jobs match the filter'));
    }
    out.unshift(...poolLines);
    if (this.historyDays() > 0) out.push(this.intern<RecentNode>(`${n.id}\0recent`, () => ({ kind: 'recent', id: `${n.id}\0recent`, host: n.host, parent: n })));
    return out;
  }

  private recentChildren(n: RecentNode): JobsNode[] {
    const h = this.model.get(n.host);
    if (!h) return [];
    const recent = filterJobs(h.recent, this.model.filter);
    const out: JobsNode[] = sortEntries(groupJobs(recent), this.sortBy()).map((e) => this.entryNode(n, 'recent', e));
    if (out.length === 0) {
      if (h.historyError) out.push(this.info(n, 'history-error', 'warning', 'History unavailable', h.historyError));
      else if (!h.historyLoaded && h.recent.length === 0) out.push(this.info(n, 'history-loading', 'loading~spin', 'Loading history…'));
      else out.push(this.info(n, 'history-empty', 'info', h.recent.length ? 'No finished jobs match the filter' : 'No finished jobs'));
    }
    return out;
  }

  private entryNode(parent: HostNode | RecentNode, section: Section, e: JobEntry): JobsNode {
    if (e.kind === 'job') return this.jobNode(parent, e.job, section);
    const id = `${parent.id}\0array\0${e.arrayJobId}`;
    const node = this.intern<ArrayNode>(id, () => ({ kind: 'array', id, host: parent.host, section, parent, arrayJobId: e.arrayJobId, name: e.name, tasks: e.tasks }));
    node.tasks = e.tasks;
    node.name = e.name;
    return node;
  }

  private jobNode(parent: HostNode | RecentNode | ArrayNode, job: Job, section: Section = parent.kind === 'array' ? parent.section : 'active'): JobNode {
    const id = `${parent.id}\0job\0${job.id}`;
    const node = this.intern<JobNode>(id, () => ({ kind: 'job', id, host: parent.host, section, parent, job }));
    node.job = job;
    return node;
  }

  private forwardNodes(parent: JobNode): ForwardNode[] {
    if (parent.section !== 'active') return [];
    return (this.forwards?.list(parent.host, parent.job.id) ?? []).map((forward) => {
      const id = `${parent.id}\0forward\0${forward.id}`;
      const node = this.intern<ForwardNode>(id, () => ({ kind: 'forward', id, host: parent.host, parent, forwardId: forward.id, forward }));
      node.forward = forward;
      return node;
    });
  }

  private info(parent: HostNode | RecentNode, key: string, icon: string, message: string, tooltip?: string): InfoNode {
    const id = `${parent.id}\0info\0${key}`;
    const node = this.intern<InfoNode>(id, () => ({ kind: 'info', id, host: parent.host, parent, message, icon }));
    node.message = message;
    node.icon = icon;
    if (tooltip !== undefined) node.tooltip = tooltip;
    else delete node.tooltip;
    return node;
  }

  private intern<T extends JobsNode>(id: string, make: () => T): T {
    let n = this.nodes.get(id) as T | undefined;
    if (!n) {
      n = make();
      this.nodes.set(id, n);
      if (this.nodes.size > 20_000) this.prune();
    }
    return n;
  }

  /** Forgets nodes of jobs no longer in the model (ids stay unique, so this is only memory). */
  private prune(): void {
    for (const [id, n] of this.nodes) {
      if (n.kind === 'job' && !this.model.find(n.host, n.job.id)) this.nodes.delete(id);
    }
  }

  // --- items ------------------------------------------------------------------------------

  private hostItem(n: HostNode): vscode.TreeItem {
    const h = this.model.get(n.host);
    const item = new vscode.TreeItem(n.host, vscode.TreeItemCollapsibleState.Expanded);
    item.id = n.id;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${escapeMarkdown(n.host)}**`);
    const stale = h ? staleText(h, this.clock.now()) : undefined;
    this.drawnStale.set(n.host, stale);
    if (h?.degraded) {
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      item.description = 'scheduler unreachable — retrying';
      item.contextValue = 'jobsHost.degraded';
      tip.appendMarkdown('\n\n$(warning) The scheduler does not answer; the list below may be stale. Polling continues with backoff.\n\n');
      tip.appendCodeblock(h.degraded, 'text');
    } else {
      item.iconPath = new vscode.ThemeIcon('server');
      item.description = h ? (hostSummary(this.model.shownActive(n.host)) ?? (h.polled ? 'no active jobs' : '')) : '';
      item.contextValue = poolOfHost(n.host) !== undefined ? 'jobsPool' : 'jobsHost';
      if (poolOfHost(n.host) !== undefined) item.iconPath = new vscode.ThemeIcon('server-environment');
      if (stale) {
        item.iconPath = new vscode.ThemeIcon('server', new vscode.ThemeColor('disabledForeground'));
        tip.appendMarkdown(`\n\n$(history) The list is ${escapeMarkdown(stale)}: the next answer is late.`);
      }
    }
    if (stale) item.description = `${item.description} (${stale})`.trim();
    item.tooltip = tip;
    return item;
  }

  private arrayItem(n: ArrayNode): vscode.TreeItem {
    const item = new vscode.TreeItem(`${n.arrayJobId}[] ${n.name}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = n.id;
    const state = arrayState(n.tasks);
    item.iconPath = themeIcon(iconForState(state));
    item.description = `${n.tasks.length} task${n.tasks.length === 1 ? '' : 's'} · ${arraySummary(n.tasks)}`;
    item.contextValue = arrayContextValue(n.tasks);
    const first = n.tasks[0];
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`$(layers) **Array job ${escapeMarkdown(n.arrayJobId)}** ${escapeMarkdown(n.name)}  \n${escapeMarkdown(arraySummary(n.tasks))}`);
    if (first?.partition) tip.appendMarkdown(`  \n**Partition:** ${escapeMarkdown(first.partition)}`);
    if (first?.submitTime) tip.appendMarkdown(`  \n**Submitted:** ${escapeMarkdown(first.submitTime.replace('T', ' '))}`);
    if (first?.workDir) tip.appendMarkdown(`  \n**Work dir:** ${escapeMarkdown(first.workDir)}`);
    item.tooltip = tip;
    return item;
  }

  private jobItem(n: JobNode): vscode.TreeItem {
    const job = n.job;
    const forwarded = n.section === 'active' && (this.forwards?.list(n.host, job.id).length ?? 0) > 0;
    const item = new vscode.TreeItem(jobLabel(job), forwarded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = n.id;
    const h = this.model.get(n.host);
    const now = this.clock.now();
    const current = n.section === 'active' && !isTerminal(job.state);
    const leaving = current && !h?.active.some((j) => j.id === job.id);
    // Elapsed times tick from the poll that listed the job; a stale list greys its jobs.
    const stale = current && h ? staleText(h, now) : undefined;
    item.iconPath = stale ? mutedIcon(stateIcon(job)) : themeIcon(stateIcon(job));
    const users = h?.users;
    const description = jobDescription(job, {
      now,
      ...(users ? { users } : {}),
      ...(current && !leaving ? { at: { now, ...(h?.polledAt !== undefined ? { polledAt: h.polledAt } : {}) } } : {}),
    });
    // Time left from the poll's limit and elapsed time (ticking): in the tooltip, and on the row once within the warning.
    const left = current && !leaving ? timeLeftSeconds(job, h?.polledAt, now) : undefined;
    // At the limit the time text says so already.
    const window = this.timeLeftWarning() * 60;
    const near = left !== undefined && left > 0 && window > 0 && left <= window;
    item.description = leaving ? `${description} · ending…` : near ? `${description} · ${timeLeftText(left)} left` : description;
    item.contextValue = jobContextValue(job);
    const leftRow = left !== undefined ? `  \n${near ? '$(warning) ' : ''}**Time left:** ${escapeMarkdown(timeLeftText(left))}` : '';
    item.tooltip = new vscode.MarkdownString(jobTooltip(job, n.host, users) + leftRow + (stale ? `  \n\n$(history) State ${escapeMarkdown(stale)}.` : ''), true);
    item.accessibilityInformation = { label: `Job ${job.id} ${job.name}, ${stateText(job, users)}${job.reason && stateClass(job.state) !== 'pending' ? `, ${job.reason}` : ''}` };
    return item;
  }
}

function forwardItem(n: ForwardNode): vscode.TreeItem {
  const f = n.forward;
  const item = new vscode.TreeItem(`${f.node}:${f.port}`, vscode.TreeItemCollapsibleState.None);
  item.id = n.id;
  item.iconPath = new vscode.ThemeIcon('plug');
  item.description = `→ 127.0.0.1:${f.localPort}${f.connections ? ` · ${f.connections} connection${f.connections === 1 ? '' : 's'}` : ''}`;
  item.tooltip = `Port ${f.port} on ${f.node} (job ${f.jobId}), forwarded through ${f.host} to ${f.url}\nClick to open it in a browser.`;
  item.contextValue = 'jobForward';
  item.command = { command: 'remoteHpc.jobs.openForward', title: 'Open in Browser', arguments: [n] };
  return item;
}

function hostId(host: string): string {
  return `jobs\0${host}`;
}
