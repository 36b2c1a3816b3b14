/**
 * Partitions per host for the pickers (submit options, New Job form): one `sinfo` per host,
 * kept 5 minutes, shared by concurrent askers; described in a few words. No `vscode`.
 */
import { durationText } from './format';
import type { Partition, Scheduler } from '../scheduler/types';
import { Emitter } from '../event';

export class PartitionCache {
  private readonly cache = new Map<string, { at: number; p: Promise<Partition[]> }>();

  constructor(
    private readonly scheduler: (host: string) => Pick<Scheduler, 'partitions'>,
    private readonly maxAgeMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The host's partitions; [] where the scheduler cannot list them. */
  get(host: string): Promise<Partition[]> {
    const hit = this.cache.get(host);
    if (hit && this.now() - hit.at < this.maxAgeMs) return hit.p;
    const s = this.scheduler(host);
    const p = s.partitions ? s.partitions() : Promise.resolve([]);
    this.cache.set(host, { at: this.now(), p });
    p.catch(() => this.cache.get(host)?.p === p && this.cache.delete(host));
    return p;
  }

  /** Forgets a host's answer (every host's without one): the next {@link get} asks again. */
  invalidate(host?: string): void {
    if (host === undefined) this.cache.clear();
    else this.cache.delete(host);
  }
}

/** One host's row of the Partitions view. */
export interface HostPartitions {
  loading: boolean;
  partitions?: Partition[];
  error?: string;
}

/**
 * What the Partitions view shows: per connected host, its partitions from the shared
 * {@link PartitionCache} (the same sinfo the pickers use), asked only while the view is visible
 * (a host connected while it is hidden is asked when it is shown) and on Refresh.
 */
export class PartitionsModel {
  private readonly state = new Map<string, HostPartitions>();
  private list: string[] = [];
  private visible = false;
  private readonly emitter = new Emitter<string | undefined>();
  /** A host's row changed (undefined: the host list). */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly cache: Pick<PartitionCache, 'get' | 'invalidate'>) {}

  hosts(): readonly string[] {
    return this.list;
  }

  get(host: string): HostPartitions | undefined {
    return this.state.get(host);
  }

  setHosts(hosts: readonly string[]): void {
    const same = hosts.length === this.list.length && hosts.every((h, i) => this.list[i] === h);
    this.list = [...hosts];
    for (const h of [...this.state.keys()]) if (!hosts.includes(h)) this.state.delete(h);
    if (!same) this.emitter.fire(undefined);
    if (this.visible) for (const h of hosts) if (!this.state.has(h)) this.load(h);
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) for (const h of this.list) if (!this.state.has(h)) this.load(h);
  }

  /** Asks again (one host, or every host). */
  refresh(host?: string): void {
    for (const h of host === undefined ? this.list : [host]) {
      this.cache.invalidate(h);
      this.load(h);
    }
  }

  private load(host: string): void {
    const before = this.state.get(host);
    this.state.set(host, { ...before, loading: true });
    this.emitter.fire(host);
    this.cache.get(host).then(
      (partitions) => this.settle(host, { loading: false, partitions }),
      (e: unknown) => this.settle(host, { loading: false, error: e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e) }),
    );
  }

  private settle(host: string, s: HostPartitions): void {
    if (!this.list.includes(host)) return;
    this.state.set(host, s);
    this.emitter.fire(host);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** `up · 8 of 132 nodes idle · limit 2-00:00:00 · 64–128 CPUs · gpu:a100:4`. */
export function partitionDescription(p: Partition): string {
  const range = (xs: number[], unit: string) => (xs.length === 0 ? '' : `${Math.min(...xs)}${xs.length > 1 ? `–${Math.max(...xs)}` : ''} ${unit}`);
  return [
    p.availability,
    `${p.nodes.idle} of ${p.nodes.total} node${p.nodes.total === 1 ? '' : 's'} idle`,
    p.timeLimit ? (/^\d/.test(durationText(p.timeLimit)) ? `limit ${durationText(p.timeLimit)}` : durationText(p.timeLimit)) : '',
    range(p.cpusPerNode, 'CPUs'),
    p.gres.map((g) => g.replace(/\(.*\)$/, '')).join(', '),
  ]
    .filter(Boolean)
    .join(' · ');
}
