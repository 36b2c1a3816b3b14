/**
 * sbatch's filename patterns (`%j`, `%A_%a`, `%x`, `%u`, `%N`, `%%`, zero padding like `%4j`,
 * and a `\\` anywhere turning replacement off), for paths SLURM did not expand for us.
 */
import { posix } from 'node:path';

export interface PatternContext {
  jobId: string;
  arrayJobId?: string;
  arrayTaskId?: string;
  user?: string;
  name?: string;
  /** First node of the allocation. */
  node?: string;
  workDir?: string;
}

export function expandOutputPattern(pattern: string, ctx: PatternContext): string {
  let out: string;
  if (pattern.includes('\\')) out = pattern.replace(/\\/g, '');
  else
    out = pattern.replace(/%(\d*)([%AajJNnstux])/g, (whole, width: string, c: string) => {
      const pad = (v: string | undefined) => (v === undefined ? whole : /^\d+$/.test(v) && width ? v.padStart(Number(width), '0') : v);
      switch (c) {
        case '%':
          return '%';
        case 'A':
          return pad(ctx.arrayJobId ?? ctx.jobId);
        case 'a':
          return pad(ctx.arrayTaskId ?? '4294967294');
        case 'j':
          return pad(ctx.jobId);
        case 'J':
          return pad(ctx.jobId);
        case 'u':
          return ctx.user ?? whole;
        case 'x':
          return ctx.name ?? whole;
        case 'N':
          return ctx.node ?? whole;
        case 'n':
        case 't':
        case 's':
          return pad('0');
        default:
          return whole;
      }
    });
  if (ctx.workDir && !posix.isAbsolute(out)) out = posix.join(ctx.workDir, out);
  return out;
}

/** sbatch's default output file when no --output was given. */
export function defaultOutputPattern(isArrayTask: boolean): string {
  return isArrayTask ? 'slurm-%A_%a.out' : 'slurm-%j.out';
}
