/**
 * Forward a Port… / Open in Browser / Stop Forwarding: the adapters of the core PortForwards
 * registry. A forward lives until its job ends (the controller watches the job meanwhile), its
 * host's session closes, or the user stops it.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { cannotReach, jobNodes } from '../core/compute/nodeShell';
import type { ForwardTarget, PortForward, PortForwards } from '../core/compute/portForwards';
import { serversInOutput, ServerWatch } from '../core/compute/jobServers';
import type { DetectedServer } from '../core/compute/serverDetect';
import type { Job } from '../core/scheduler/types';
import { setting } from '../config/settings';
import type { JobsContext } from './context';
import { connectedHosts } from './context';
import { pickNode } from './nodeTerminal';
import type { JobTarget } from './targets';

/** Ends forwards of jobs that end and of hosts that disconnect. */
export function closeForwardsWithTheirJobs(ctx: Pick<JobsContext, 'forwards' | 'controller' | 'hosts'>): vscode.Disposable {
  const watching = new Map<string, { dispose(): void }>();
  const key = (host: string, jobId: string) => `${host}\0${jobId}`;
  const sub = ctx.forwards.onDidChange(({ host, jobId }) => {
    const k = key(host, jobId);
    const open = ctx.forwards.list(host, jobId).length > 0;
    if (open && !watching.has(k)) {
      const w = ctx.controller.whenFinished(host, jobId);
      watching.set(k, w);
      void w.promise.then(() => ctx.forwards.closeJob(host, jobId));
    } else if (!open) {
      watching.get(k)?.dispose();
      watching.delete(k);
    }
  });
  const hostSub = ctx.hosts.onDidChange(() => {
    const up = new Set(connectedHosts(ctx));
    for (const f of ctx.forwards.list()) if (!up.has(f.host)) ctx.forwards.closeHost(f.host);
  });
  return {
    dispose: () => {
      sub.dispose();
      hostSub.dispose();
      for (const w of watching.values()) w.dispose();
    },
  };
}

/** `8888` or `node:8888`; the node must be one of the job's. */
export function parsePortInput(text: string, nodes: string[]): { node?: string; port: number } | string {
  const m = /^\s*(?:([A-Za-z0-9][A-Za-z0-9._-]*):)?(\d{1,5})\s*$/.exec(text);
  if (!m) return 'A port number (8888), or node:port';
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return 'Ports go from 1 to 65535';
  if (m[1] !== undefined && !nodes.includes(m[1])) return `${m[1]} is not a node of this job (${nodes.join(', ')})`;
  return m[1] !== undefined ? { node: m[1], port } : { port };
}

/** Where to forward a server the job printed: its node when named, an address as printed, else the first node. */
export function serverTarget(s: Pick<DetectedServer, 'host'>, nodes: string[]): string {
  if (nodes.includes(s.host)) return s.host;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s.host) && s.host !== '0.0.0.0') return s.host;
  return nodes[0] ?? s.host;
}

async function detected(ctx: JobsContext, host: string, job: Job): Promise<DetectedServer[]> {
  const paths = await ctx.schedulers.scheduler(host).outputPaths(job.id);
  return serversInOutput(await ctx.remote.ops(host), paths);
}

/** The servers the job printed, to pick from, else undefined (ask for a port). */
async function pickDetected(ctx: JobsContext, host: string, job: Job, nodes: string[]): Promise<{ port: number; node: string; path: string } | undefined> {
  const found = (await detected(ctx, host, job).catch(() => [])).filter((s) => !s.loopbackOnly);
  if (found.length === 0) return undefined;
  const items = [
    ...found.map((s) => ({ label: `$(globe) ${s.label}`, description: `${serverTarget(s, nodes)}:${s.port}`, detail: s.path !== '/' ? 'with the path (and token) it printed' : undefined, s })),
    { label: '$(edit) Another port…', description: '', s: undefined },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Forward a port of job ${job.id}: servers in its output`, ignoreFocusOut: true });
  if (!picked) throw new CancelledError();
  return picked.s ? { port: picked.s.port, node: serverTarget(picked.s, nodes), path: picked.s.path } : undefined;
}

/** Jobs that forward their own server (interactive apps): their output is not offered again. */
const selfForwarding = new Set<string>();

/** The job's server is forwarded by whoever started it (an app, whose URL and token it keeps). */
export function forwardedByItsStarter(host: string, jobId: string): void {
  selfForwarding.add(`${host}\0${jobId}`);
}

/** Offers to forward servers that running jobs print (remoteHpc.forwards.detectServers). */
export function offerDetectedServers(ctx: JobsContext): vscode.Disposable {
  return new ServerWatch({
    model: ctx.model,
    scan: (host, job) => detected(ctx, host, job),
    enabled: () => setting('forwards.detectServers') !== false,
    onError: (host, job, e) => ctx.log.debug(`[forward] ${host}: output of job ${job.id} not read: ${e.message}`),
    offer: (host, job, s) => {
      if (selfForwarding.has(`${host}\0${job.id}`)) return;
      // Forwarded by hand already (Forward a Port… before the server showed in the output).
      if (ctx.forwards.list(host, job.id).some((f) => f.port === s.port)) return;
      const where = `Job ${job.id} (${job.name}) started ${s.label}`;
      if (s.loopbackOnly) {
        void vscode.window.showWarningMessage(`${where} on ${s.host}:${s.port}, which only its own node can reach. Start it listening on the node's address (Jupyter: --ip=0.0.0.0; TensorBoard: --bind_all) to forward it.`);
        return;
      }
      const nodes = jobNodes(ctx.schedulers.scheduler(host), job);
      const preset = { port: s.port, node: serverTarget(s, nodes), path: s.path };
      void vscode.window.showInformationMessage(`${where} on ${preset.node}:${s.port}.`, 'Forward and Open', 'Forward').then(async (a) => {
        if (!a) return;
        const f = await forwardPort(ctx, { host, id: job.id, job }, preset, a === 'Forward');
        if (a === 'Forward and Open') await openForward(f);
      }).then(undefined, (e: Error) => void vscode.window.showErrorMessage(e.message));
    },
  });
}

/** Forward a Port…: asks for the port (and the node of a multi-node job), forwards it, offers to open it. */
export async function forwardPort(ctx: JobsContext, t: JobTarget, preset?: { port: number; node?: string; path?: string }, announce = true): Promise<PortForward> {
  const job = t.job ?? ctx.model.find(t.host, t.id);
  const why = cannotReach(job);
  if (why || !job) throw new Error(why);
  const nodes = jobNodes(ctx.schedulers.scheduler(t.host), job);
  let target: ForwardTarget;
  preset ??= await pickDetected(ctx, t.host, job, nodes);
  if (preset) target = { host: t.host, jobId: job.id, node: preset.node ?? nodes[0] ?? '', port: preset.port };
  else {
    const text = await vscode.window.showInputBox({
      title: `Forward a port of job ${job.id} (${nodes.join(', ')})`,
      prompt: nodes.length > 1 ? `The port on the node (first: ${nodes[0]}), or node:port` : `The port the server listens on, on ${nodes[0]}`,
      placeHolder: '8888',
      validateInput: (v) => {
        const r = parsePortInput(v, nodes);
        return typeof r === 'string' ? r : undefined;
      },
      // The port is often read off the job's output tab: looking there must not lose the box.
      ignoreFocusOut: true,
    });
    if (text === undefined) throw new CancelledError();
    const r = parsePortInput(text, nodes);
    if (typeof r === 'string') throw new Error(r);
    target = { host: t.host, jobId: job.id, node: r.node ?? (nodes.length > 1 ? await pickNode(nodes, job.id) : (nodes[0] ?? '')), port: r.port };
  }
  const f = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Forwarding ${target.node}:${target.port}…` }, () =>
    ctx.forwards.open(target, preset?.path ? { path: preset.path } : {}),
  );
  if (!announce) return f;
  void vscode.window.showInformationMessage(`Job ${job.id}: ${f.node}:${f.port} is forwarded to ${f.url}`, 'Open in Browser', 'Copy URL').then((a) => {
    if (a === 'Open in Browser') void openForward(f);
    else if (a === 'Copy URL') void vscode.env.clipboard.writeText(f.url);
  });
  return f;
}

/**
 * Opens the forward's local URL per `remoteHpc.forwards.openIn` (through the remote's port
 * mapping, if any); `external`: the external browser whatever the setting (a URL with a token).
 */
export async function openForward(f: Pick<PortForward, 'url'>, opts: { external?: boolean } = {}): Promise<void> {
  const uri = await vscode.env.asExternalUri(vscode.Uri.parse(f.url));
  if (!opts.external && setting('forwards.openIn') === 'simpleBrowser') await vscode.commands.executeCommand('simpleBrowser.show', uri.toString(true));
  else await vscode.env.openExternal(uri);
}

/** The forward a command acts on: the clicked row, else a pick of the open ones. */
export async function forwardOf(forwards: PortForwards, arg: unknown, title: string): Promise<PortForward> {
  const id = arg && typeof arg === 'object' && 'forwardId' in arg ? String((arg as { forwardId: unknown }).forwardId) : undefined;
  const hit = id !== undefined ? forwards.get(id) : undefined;
  if (hit) return hit;
  const all = forwards.list();
  if (all.length === 0) {
    void vscode.window.showInformationMessage('No port is forwarded.');
    throw new CancelledError();
  }
  if (all.length === 1 && id === undefined) return all[0] as PortForward;
  const picked = await vscode.window.showQuickPick(
    all.map((f) => ({ label: `${f.node}:${f.port}`, description: `job ${f.jobId} on ${f.host} → ${f.url}`, f })),
    { title },
  );
  if (!picked) throw new CancelledError();
  return picked.f;
}
