/**
 * Partitions per host for the pickers (submit options, New Job form): one `sinfo` per host,
 * kept 5 minutes, shared by concurrent askers; described in a few words. No `vscode`.
 */
import { durationText } from './format';
import type { Partition, Scheduler } from '../scheduler/types';

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
}

/** `up · 8 of 132 nodes idle · limit 2-00:00:00 · 64–128 CPUs · gpu:a100:4`. */
export function partitionDescription(p: Partition): string {
  const range = (xs: number[], unit: string) => (xs.length === 0 ? '' : `${Math.min(...xs)}${xs.length > 1 ? `–${Math.max(...xs)}` : ''} ${unit}`);
  return [
    p.availability,
    `${p.nodes.idle} of ${p.nodes.total} node${p.nodes.total === 1 ? '' : 's'} idle`,
    p.timeLimit ? `limit ${durationText(p.timeLimit)}` : '',
    range(p.cpusPerNode, 'CPUs'),
    p.gres.map((g) => g.replace(/\(.*\)$/, '')).join(', '),
  ]
    .filter(Boolean)
    .join(' · ');
}
