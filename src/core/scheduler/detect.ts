/**
 * Which batch scheduler a login node offers, in one round trip: a fixed probe (no input of
 * anyone's in it) lists which of the schedulers' commands are on the PATH and what `qstat
 * --version` says, which tells the qstat-based ones apart:
 *
 * - SLURM: `sbatch` (it wins when present: sites with SLURM often install qsub/qstat wrappers);
 * - PBS Pro / OpenPBS: `pbs_version = 22.05.11` on stdout (OpenPBS src/include/pbs_version.h.in);
 * - Torque: `Version: 6.1.3` then `Commit: …` on stderr (Torque src/cmds/qstat.c);
 * - Grid Engine: `qconf`, or a usage text naming SGE / GE / OGS (its qstat has no --version).
 *
 * Pure apart from the one command; the scheduler factory caches the answer per host.
 */
import type { SchedulerCommand } from './command';

export type SchedulerKind = 'slurm' | 'pbs' | 'torque' | 'gridengine' | 'none';

export const SCHEDULER_KINDS: readonly SchedulerKind[] = ['slurm', 'pbs', 'torque', 'gridengine', 'none'];

export interface DetectedScheduler {
  kind: SchedulerKind;
  /** The version the scheduler's tools print, when they do. */
  version?: string;
  /** What the probe saw, for the log and the Hosts view's tooltip. */
  evidence: string;
}

const PROBE = [
  'for c in sbatch qsub qstat qconf; do command -v "$c" >/dev/null 2>&1 && printf "have %s\\n" "$c"; done',
  'command -v sbatch >/dev/null 2>&1 && sbatch --version 2>&1 | head -n 1 | sed "s/^/version: /"',
  'command -v sbatch >/dev/null 2>&1 || { command -v qstat >/dev/null 2>&1 && qstat --version 2>&1 | head -n 5 | sed "s/^/version: /"; }',
  'exit 0',
].join('\n');

export function detectSchedulerCommand(): SchedulerCommand<DetectedScheduler> {
  return { argv: ['sh', '-c', PROBE], parse: parseSchedulerProbe };
}

export function parseSchedulerProbe(stdout: string): DetectedScheduler {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const have = new Set(lines.filter((l) => l.startsWith('have ')).map((l) => l.slice(5)));
  const version = lines.filter((l) => l.startsWith('version: ')).map((l) => l.slice(9));
  const text = version.join('\n');
  const evidence = [...have].length ? `${[...have].join(', ')} on the PATH${text ? `; ${version[0]}` : ''}` : 'no sbatch, qsub or qstat on the PATH';
  const v = (re: RegExp) => re.exec(text)?.[1];
  if (have.has('sbatch')) return withVersion('slurm', v(/slurm(?:-wlm)?\s+(\S+)/i), evidence);
  if (have.has('qconf') || /\b(?:SGE|OGS|GE|Grid Engine)\b/.test(text)) return withVersion('gridengine', v(/\b(?:SGE|OGS\/GE|GE)\s+(\S+)/), evidence);
  const pbs = v(/pbs_version\s*=\s*(\S+)/);
  if (pbs) return withVersion('pbs', pbs, evidence);
  const torque = v(/^Version:\s*(\S+)/im);
  if (torque && have.has('qsub')) return withVersion('torque', torque, evidence);
  return { kind: 'none', evidence };
}

function withVersion(kind: SchedulerKind, version: string | undefined, evidence: string): DetectedScheduler {
  return version ? { kind, version, evidence } : { kind, evidence };
}
