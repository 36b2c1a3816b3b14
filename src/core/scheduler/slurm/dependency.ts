/**
 * SLURM's dependency field (squeue `%E`, scontrol `Dependency=`): what a pending job waits for.
 * Recorded from 22.05: `afterok:41(unfulfilled)`, several joined by `,` (all needed) or `?` (any
 * one), one entry per job (`afterany:1(unfulfilled),afterany:2(unfulfilled)`), met ones dropped,
 * `afterok:41(failed)` once it can never be met, `(null)` for none. Also `singleton(unfulfilled)`,
 * `after:41+5(unfulfilled)` (minutes after the start) and array forms `afterok:41_3`, `41_*`.
 */
import type { JobDependency } from '../types';
import { optional } from './fields';

export interface ParsedDependency {
  dependencies: JobDependency[];
  any: boolean;
}

const ENTRY = /^([a-z_]+)((?::\d+(?:_(?:\d+|\*))?(?:\+\d+)?)*)(?:\((\w+)\))?$/;

/** The entries SLURM lists; undefined for none. Entries it does not recognise are left out. */
export function parseDependency(text: string): ParsedDependency | undefined {
  const t = optional(text);
  if (t === undefined) return undefined;
  const dependencies: JobDependency[] = [];
  for (const part of t.split(/[,?]/)) {
    const m = ENTRY.exec(part.trim());
    if (!m) continue;
    const kind = m[1] as string;
    const never = m[3] === 'failed' ? { never: true } : {};
    const ids = (m[2] ?? '').split(':').filter(Boolean).map((id) => id.replace(/\+\d+$/, ''));
    if (ids.length === 0) dependencies.push({ kind, ...never });
    for (const jobId of ids) dependencies.push({ kind, jobId, ...never });
  }
  return dependencies.length ? { dependencies, any: t.includes('?') } : undefined;
}
