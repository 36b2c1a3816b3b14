/**
 * What jobs use: `sstat -a` for running ones (live, from the nodes' step daemons) and `sacct`
 * per step for finished ones (seff's figures: CPU time against elapsed × CPUs, the largest task
 * RSS against the memory asked for, elapsed against the limit). Only ids, numbers and TRES
 * strings come back, so `|` delimits safely.
 */
import type { JobEfficiency, JobUsage } from '../types';
import type { SchedulerCommand } from '../command';
import { ParseError } from '../command';
import { checkJobIds, int, optional, sinceArg } from './fields';
import { normaliseState } from './states';
import { SLURM_ENV } from './squeue';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** `214420K`, `1.5G`, `400M`, `0` → bytes (SLURM's units are binary); undefined for nothing. */
export function memoryBytes(text: string | undefined, line: string): number | undefined {
  const t = optional(text);
  if (t === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)([KMGTP]?)$/.exec(t);
  if (!m) throw new ParseError(`not a memory size (${JSON.stringify(t)})`, line);
  return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
}

/** sacct's TotalCPU and sstat's TRES cpu: `MM:SS.mmm`, `HH:MM:SS`, `D-HH:MM:SS` → seconds. */
export function cpuTimeSeconds(text: string | undefined, line: string): number {
  const t = optional(text);
  if (t === undefined) return 0;
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(t);
  if (!m) throw new ParseError(`not a CPU time (${JSON.stringify(t)})`, line);
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/** `cpu=00:00:03,energy=0,mem=214420K,…` → its entries. */
function tres(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

/** `57.batch` → `57`; `57_3.0` → `57_3`. */
function jobOf(stepId: string, line: string): string {
  const m = /^(\d+(?:_\d+)?(?:\+\d+)?)(?:\.[\w-]+)?$/.exec(stepId.trim());
  if (!m) throw new ParseError('job step id expected', line);
  return m[1] as string;
}

const SSTAT_FIELDS = ['JobID', 'MaxRSS', 'TRESUsageInTot'] as const;

/** `sstat -a -n -P -j <ids>`: every running step of the jobs; finished ones are left out (sstat says so on stderr, exit 0). */
export function sstatCommand(ids: readonly string[]): SchedulerCommand<JobUsage[]> {
  return {
    argv: ['sstat', '-a', '-n', '-P', '-o', SSTAT_FIELDS.join(','), '-j', checkJobIds(ids).join(',')],
    env: SLURM_ENV,
    parse: parseSstat,
  };
}

export function parseSstat(stdout: string): JobUsage[] {
  const byJob = new Map<string, JobUsage>();
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split('|');
    if (f.length !== SSTAT_FIELDS.length) throw new ParseError(`${SSTAT_FIELDS.length} fields expected`, line);
    const id = jobOf(f[0] as string, line);
    const t = tres(f[2] as string);
    const u = byJob.get(id) ?? { id, cpuSeconds: 0, memoryBytes: 0, maxRssBytes: 0 };
    u.cpuSeconds += cpuTimeSeconds(t.get('cpu'), line);
    u.memoryBytes += memoryBytes(t.get('mem'), line) ?? 0;
    u.maxRssBytes = Math.max(u.maxRssBytes, memoryBytes(f[1], line) ?? 0);
    byJob.set(id, u);
  }
  return [...byJob.values()];
}

const EFFICIENCY_FIELDS = ['JobID', 'State', 'ElapsedRaw', 'TimelimitRaw', 'TotalCPU', 'AllocCPUS', 'NNodes', 'ReqMem', 'ReqTRES', 'MaxRSS'] as const;

/** `sacct -n -P -j <ids>` with steps: the job line (state, times, CPUs, request) and its steps' MaxRSS. */
export function sacctEfficiencyCommand(ids: readonly string[], sinceDays = 7): SchedulerCommand<JobEfficiency[]> {
  return {
    argv: ['sacct', '-n', '-P', '-S', sinceArg(sinceDays), '-o', EFFICIENCY_FIELDS.join(','), '-j', checkJobIds(ids).join(',')],
    env: SLURM_ENV,
    parse: parseSacctEfficiency,
  };
}

/** The job's memory request: ReqTRES `mem=` (the whole job), else ReqMem (`Mn` per node, `Mc` per CPU before 21.08). */
function requested(reqTres: string, reqMem: string, nodes: number, cpus: number, line: string): number | undefined {
  const fromTres = memoryBytes(tres(reqTres).get('mem'), line);
  if (fromTres !== undefined) return fromTres;
  const m = /^(\d+(?:\.\d+)?[KMGTP]?)([nc]?)$/.exec(reqMem.trim());
  if (!m) return undefined;
  const per = memoryBytes(m[1], line) ?? 0;
  return m[2] === 'c' ? per * cpus : m[2] === 'n' ? per * nodes : per;
}

export function parseSacctEfficiency(stdout: string): JobEfficiency[] {
  const jobs = new Map<string, JobEfficiency>();
  const order: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split('|');
    if (f.length !== EFFICIENCY_FIELDS.length) throw new ParseError(`${EFFICIENCY_FIELDS.length} fields expected`, line);
    const stepId = (f[0] as string).trim();
    const id = jobOf(stepId, line);
    if (!stepId.includes('.')) {
      const cpus = int(f[5], 'AllocCPUS', line) ?? 0;
      const nodes = int(f[6], 'NNodes', line) ?? 1;
      const limit = int(f[3], 'TimelimitRaw', line);
      const e: JobEfficiency = {
        id,
        state: normaliseState((f[1] as string).trim()),
        elapsedSeconds: int(f[2], 'ElapsedRaw', line) ?? 0,
        ...(limit !== undefined ? { timeLimitSeconds: limit * 60 } : {}),
        cpus,
        cpuSeconds: cpuTimeSeconds(f[4], line),
        ...(() => {
          const r = requested(f[8] as string, f[7] as string, nodes, cpus, line);
          return r !== undefined ? { requestedMemoryBytes: r } : {};
        })(),
      };
      const had = jobs.get(id);
      if (had?.maxRssBytes !== undefined) e.maxRssBytes = had.maxRssBytes;
      if (!jobs.has(id)) order.push(id);
      jobs.set(id, e);
      continue;
    }
    const rss = memoryBytes(f[9], line);
    const e = jobs.get(id);
    if (rss !== undefined && e) e.maxRssBytes = Math.max(e.maxRssBytes ?? 0, rss);
  }
  return order.map((id) => jobs.get(id) as JobEfficiency);
}
