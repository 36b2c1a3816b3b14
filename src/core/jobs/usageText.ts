/**
 * What a job uses, as text: live figures for a running job (tooltip, details) and seff's
 * efficiency figures for a finished one (details, the end notification). Pure.
 */
import { formatSize } from '../remote/format';
import { formatDuration } from '../scheduler/formats';
import type { JobEfficiency, JobUsage } from '../scheduler/types';

const pct = (f: number) => `${f >= 0.1 ? Math.round(f * 100) : (Math.round(f * 1000) / 10).toString()} %`;

/** Fractions used: CPU time of elapsed × CPUs, largest task RSS of the request, elapsed of the limit. */
export function efficiencyFractions(e: JobEfficiency): { cpu?: number; memory?: number; time?: number } {
  return {
    ...(e.elapsedSeconds > 0 && e.cpus > 0 ? { cpu: e.cpuSeconds / (e.elapsedSeconds * e.cpus) } : {}),
    ...(e.requestedMemoryBytes && e.maxRssBytes !== undefined ? { memory: e.maxRssBytes / e.requestedMemoryBytes } : {}),
    ...(e.timeLimitSeconds ? { time: e.elapsedSeconds / e.timeLimitSeconds } : {}),
  };
}

/** The Efficiency section of Show Details. */
export function efficiencyFields(e: JobEfficiency): Record<string, string> {
  const f = efficiencyFractions(e);
  const cpus = `${e.cpus} CPU${e.cpus === 1 ? '' : 's'}`;
  return {
    'CPU efficiency': f.cpu !== undefined ? `${pct(f.cpu)} (${formatDuration(e.cpuSeconds)} CPU time of ${formatDuration(e.elapsedSeconds)} × ${cpus})` : `— (${cpus}, not started)`,
    'Memory efficiency':
      f.memory !== undefined
        ? `${pct(f.memory)} (${formatSize(e.maxRssBytes ?? 0)} of ${formatSize(e.requestedMemoryBytes ?? 0)} requested)`
        : e.maxRssBytes !== undefined
          ? `${formatSize(e.maxRssBytes)} used (no memory request known)`
          : '— (not in accounting yet)',
    'Time used': f.time !== undefined ? `${pct(f.time)} (${formatDuration(e.elapsedSeconds)} of ${formatDuration(e.timeLimitSeconds ?? 0)} limit)` : `${formatDuration(e.elapsedSeconds)} (no limit)`,
  };
}

/** For the end notification: `used 52 % of requested memory, 50 % CPU efficiency`; empty when nothing is known. */
export function efficiencySummary(e: JobEfficiency): string {
  const f = efficiencyFractions(e);
  const parts = [
    ...(f.memory !== undefined ? [`used ${pct(f.memory)} of requested memory`] : []),
    ...(f.cpu !== undefined && e.elapsedSeconds >= 1 ? [`${pct(f.cpu)} CPU efficiency`] : []),
  ];
  return parts.join(', ');
}

/** The live figures of a running job (tooltip and details). */
export function usageFields(u: JobUsage, elapsedSeconds?: number, cpus?: number): Record<string, string> {
  const eff = elapsedSeconds && cpus ? ` (${pct(u.cpuSeconds / (elapsedSeconds * cpus))} of ${cpus} CPU${cpus === 1 ? '' : 's'})` : '';
  return {
    'CPU time so far': `${formatDuration(u.cpuSeconds)}${eff}`,
    'Memory now': formatSize(u.memoryBytes),
    'Largest task RSS': formatSize(u.maxRssBytes),
  };
}

/** One line for a tooltip: `CPU 0:03 · memory 208 MB (largest task 208 MB)`. */
export function usageLine(u: JobUsage): string {
  return `CPU ${formatDuration(u.cpuSeconds)} · memory ${formatSize(u.memoryBytes)} (largest task ${formatSize(u.maxRssBytes)})`;
}
