/**
 * Servers a running job announced: the end of its output files read once (a Jupyter URL, a
 * TensorBoard port…), and a watch that reads them a few times after a job starts running and
 * offers each server once. No `vscode`: the model, the reader and the offer are handed in.
 */
import type { Disposable } from '../cancel';
import type { RemoteOps } from '../remote/types';
import type { Job, OutputPaths } from '../scheduler/types';
import { detectServers, type DetectedServer } from './serverDetect';

/** How much of each output file's end is read. */
const TAIL_BYTES = 256 * 1024;

/** The last `bytes` of each file, joined by newlines (a file not there yet, or empty: nothing). */
export async function outputTail(ops: Pick<RemoteOps, 'stat' | 'readFile'>, files: readonly string[], bytes = TAIL_BYTES): Promise<string> {
  const stats = await ops.stat([...files]);
  const texts = await Promise.all(
    files.map(async (f, i) => {
      const size = stats[i]?.size ?? 0;
      if (!stats[i] || stats[i]?.type !== 'file' || size === 0) return '';
      const offset = Math.max(0, size - bytes);
      return (await ops.readFile(f, { offset, length: size - offset })).toString('utf8');
    }),
  );
  return texts.join('\n');
}

/** Servers in the last 256 KiB of the job's stdout and stderr (a file not there yet: none). */
export async function serversInOutput(ops: Pick<RemoteOps, 'stat' | 'readFile'>, paths: OutputPaths): Promise<DetectedServer[]> {
  return detectServers(await outputTail(ops, [paths.stdout, ...(paths.stderr ? [paths.stderr] : [])]));
}

export interface ServerWatchOptions {
  /** The jobs model: hosts and their active jobs, with a change event per host. */
  model: {
    onDidChange(listener: (host: string | undefined) => void): Disposable;
    hostList(): readonly { host: string; active: readonly Job[] }[];
  };
  scan(host: string, job: Job): Promise<DetectedServer[]>;
  /** A server seen for the first time in this job. */
  offer(host: string, job: Job, server: DetectedServer): void;
  enabled(): boolean;
  /** When to look after a job is first seen running (default 0, 20 s, 1 min, 3 min). */
  delaysMs?: number[];
  /** At most this many jobs per host are watched per session (default 20). */
  maxJobsPerHost?: number;
  onError?(host: string, job: Job, err: Error): void;
}

export class ServerWatch implements Disposable {
  private readonly watched = new Map<string, Set<string>>();
  private readonly offered = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sub: Disposable;

  constructor(private readonly o: ServerWatchOptions) {
    this.sub = o.model.onDidChange((host) => this.look(host));
  }

  private look(host: string | undefined): void {
    if (!this.o.enabled()) return;
    for (const h of this.o.model.hostList()) {
      if (host !== undefined && h.host !== host) continue;
      let seen = this.watched.get(h.host);
      if (!seen) this.watched.set(h.host, (seen = new Set()));
      for (const job of h.active) {
        if (job.state !== 'RUNNING' || seen.has(job.id) || seen.size >= (this.o.maxJobsPerHost ?? 20)) continue;
        seen.add(job.id);
        this.schedule(h.host, job, this.o.delaysMs ?? [0, 20_000, 60_000, 180_000]);
      }
    }
  }

  /** Looks at `delays` (ms since the job was first seen running; `at` of them have passed). */
  private schedule(host: string, job: Job, delays: number[], at = 0): void {
    const [next, ...rest] = delays;
    if (next === undefined) return;
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      const still = this.o.model.hostList().find((h) => h.host === host)?.active.find((j) => j.id === job.id);
      if (!still || still.state !== 'RUNNING' || !this.o.enabled()) return;
      let found: DetectedServer[] = [];
      try {
        found = await this.o.scan(host, still);
      } catch (e) {
        this.o.onError?.(host, still, e as Error);
      }
      for (const s of found) {
        const key = `${host}\0${job.id}\0${s.port}`;
        if (this.offered.has(key)) continue;
        this.offered.add(key);
        this.o.offer(host, still, s);
      }
      // Once a server showed, the job has said what it had to.
      if (found.length === 0) this.schedule(host, job, rest, next);
    }, Math.max(0, next - at));
    timer.unref?.();
    this.timers.add(timer);
  }

  dispose(): void {
    this.sub.dispose();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
