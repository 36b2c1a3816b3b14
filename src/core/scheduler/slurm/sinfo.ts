/**
 * `sinfo -h -o <format>`: one line per partition and node configuration (nodes that differ in
 * CPUs, memory or GRES give a line each), merged here into one record per partition.
 * Partition names hold no `|` (SLURM refuses it in names), so `|` delimits safely.
 */
import type { Partition } from '../types';
import type { SchedulerCommand } from '../command';
import { ParseError } from '../command';
import { duration, int, optional } from './fields';
import { SLURM_ENV } from './squeue';

const FORMAT = ['%R', '%P', '%a', '%l', '%F', '%c', '%m', '%G'];

export function sinfoPartitionsCommand(): SchedulerCommand<Partition[]> {
  return { argv: ['sinfo', '-h', '-o', FORMAT.join('|')], env: SLURM_ENV, parse: parseSinfo };
}

export function parseSinfo(stdout: string): Partition[] {
  const byName = new Map<string, Partition>();
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split('|');
    if (f.length !== FORMAT.length) throw new ParseError(`${FORMAT.length} fields expected`, line);
    const name = (f[0] as string).trim();
    if (!name) throw new ParseError('partition name expected', line);
    const counts = /^(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec((f[4] as string).trim());
    if (!counts) throw new ParseError('node counts A/I/O/T expected', line);
    const [allocated, idle, other, total] = counts.slice(1).map(Number) as [number, number, number, number];
    const cpus = int((f[5] as string).replace(/\+$/, ''), 'CPUs', line);
    const mem = int((f[6] as string).replace(/\+$/, ''), 'memory', line);
    const gres = (optional(f[7]) ?? '').split(/,(?![^(]*\))/).map((g) => g.trim()).filter(Boolean);
    const had = byName.get(name);
    if (!had) {
      const availability = (f[2] as string).trim();
      byName.set(name, {
        name,
        isDefault: (f[1] as string).trim().endsWith('*'),
        up: availability === 'up',
        availability,
        timeLimit: duration(f[3]),
        nodes: { allocated, idle, other, total },
        cpusPerNode: cpus !== undefined ? [cpus] : [],
        memoryMbPerNode: mem !== undefined ? [mem] : [],
        gres,
      });
      continue;
    }
    had.nodes = { allocated: had.nodes.allocated + allocated, idle: had.nodes.idle + idle, other: had.nodes.other + other, total: had.nodes.total + total };
    if (cpus !== undefined && !had.cpusPerNode.includes(cpus)) had.cpusPerNode.push(cpus);
    if (mem !== undefined && !had.memoryMbPerNode.includes(mem)) had.memoryMbPerNode.push(mem);
    for (const g of gres) if (!had.gres.includes(g)) had.gres.push(g);
  }
  return [...byName.values()];
}
