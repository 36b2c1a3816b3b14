/**
 * Shared pieces of the SLURM parsers: the separators, record splitting and value cleaning.
 *
 * Job names, comments and paths are free text and may contain `|`, spaces, quotes, even
 * newlines. So the delimited formats use ASCII control characters that a shell-typed name
 * practically never holds: US (0x1f) between fields and, where the tool lets us, RS (0x1e)
 * closing each record, so a record is "everything up to RS + newline" rather than a line.
 * The free-text fields come last, so a stray separator inside one can only widen the last
 * field instead of shifting the others.
 */
import { ParseError, SpecError } from '../command';
import { normaliseDuration } from '../formats';
import { NO_TIME_LIMIT, PARTITION_TIME_LIMIT } from '../types';

export const FIELD_SEP = '\x1f';
export const RECORD_END = '\x1e';

/** Values SLURM prints for "nothing". */
const EMPTY = new Set(['', 'N/A', 'n/a', '(null)', 'None', 'NONE', 'Unknown', 'UNKNOWN', '(None)']);

export function optional(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return EMPTY.has(t) ? undefined : t;
}

export function text(v: string | undefined): string {
  return optional(v) ?? '';
}

/** An integer field; undefined for "nothing" values; ParseError for anything else non-numeric. */
export function int(v: string | undefined, field: string, line: string): number | undefined {
  const t = optional(v);
  if (t === undefined) return undefined;
  if (!/^-?\d+$/.test(t)) throw new ParseError(`${field} is not an integer (${JSON.stringify(t)})`, line);
  return Number(t);
}

/**
 * An elapsed time or time limit in the neutral format: `00:03:01` → `3:01`, `INFINITE` →
 * `UNLIMITED`, sacct's `Partition_Limit` (no limit of the job's own) → `PARTITION_LIMIT`.
 */
export function duration(v: string | undefined): string {
  const t = text(v);
  if (/^(?:UNLIMITED|INFINITE)$/i.test(t)) return NO_TIME_LIMIT;
  if (t === 'Partition_Limit') return PARTITION_TIME_LIMIT;
  return normaliseDuration(t);
}

/** `code:signal` as in sacct's ExitCode and scontrol's ExitCode. */
export function exitCode(v: string | undefined, line: string): { exitCode?: number; signal?: number } {
  const t = optional(v);
  if (t === undefined) return {};
  const m = /^(\d+):(\d+)$/.exec(t);
  if (!m) throw new ParseError(`ExitCode is not code:signal (${JSON.stringify(t)})`, line);
  return { exitCode: Number(m[1]), signal: Number(m[2]) };
}

/** Job id forms: `123`, `123_4`, `123_[5-9%2]`, `123+1` (het job). */
export function splitJobId(id: string): { arrayJobId?: string; arrayTaskId?: string } {
  const m = /^(\d+)_(\d+|\[[^\]]*\])$/.exec(id);
  return m ? { arrayJobId: m[1], arrayTaskId: m[2] } : {};
}

const JOB_ID = /^\d+(?:_(?:\d+|\[[\d,\-:%]+\]))?(?:\+\d+)?$/;

/** Refuses anything that is not a SLURM job id, before it reaches a command line. */
export function checkJobIds(ids: readonly string[]): string[] {
  if (ids.length === 0) throw new SpecError('No job ids given');
  for (const id of ids) if (!JOB_ID.test(id)) throw new SpecError(`Not a job id: ${JSON.stringify(id)}`);
  return [...ids];
}

export function checkUser(user: string): string {
  if (!user || user.startsWith('-') || /[\s,]/.test(user)) throw new SpecError(`Not a user name: ${JSON.stringify(user)}`);
  return user;
}

/**
 * Splits output into records ending with `end` (+ newline) and those into `count` fields.
 * Extra separators are folded into the last field (the free-text name); fewer fields is a ParseError.
 */
export function splitRecords(stdout: string, count: number, end: string, sep = FIELD_SEP): string[][] {
  const records: string[][] = [];
  const terminator = `${end}\n`;
  let rest = stdout;
  while (rest.length > 0) {
    let i = rest.indexOf(terminator);
    let rec: string;
    if (i < 0) {
      // The final record may lack its newline; anything else left over is garbage.
      if (rest.endsWith(end)) i = rest.length - end.length;
      else if (rest.trim() === '') break;
      else throw new ParseError('record is not terminated', rest);
      rec = rest.slice(0, i);
      rest = '';
    } else {
      rec = rest.slice(0, i);
      rest = rest.slice(i + terminator.length);
    }
    const parts = rec.split(sep);
    if (parts.length < count) throw new ParseError(`expected ${count} fields, got ${parts.length}`, rec);
    if (parts.length > count) parts.splice(count - 1, parts.length - count + 1, parts.slice(count - 1).join(sep));
    records.push(parts);
  }
  return records;
}

/** `now-3days` style start times, computed on the cluster's own clock. */
export function sinceArg(days: number): string {
  if (!(days >= 0) || !Number.isFinite(days)) throw new Error(`Bad number of days: ${days}`);
  if (Number.isInteger(days)) return `now-${days}days`;
  return `now-${Math.ceil(days * 24)}hours`;
}
