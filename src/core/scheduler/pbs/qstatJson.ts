/**
 * `qstat -f -F json` (OpenPBS 14.1+): `{"timestamp", "pbs_version", "pbs_server", "Jobs": {id:
 * {attribute: value}}}` (no `Jobs` when there are none). How values are printed is in OpenPBS
 * src/cmds/qstat.c `prt_attr`: each value goes through a JSON parser first, so numbers come out
 * as numbers (and a value that happens to be valid JSON as that JSON), except Job_Name, project
 * and Account_Name, always strings; resources become objects (`"Resource_List": {"walltime": …}`)
 * and `Variable_List` an object of the job's variables, `\,` unescaped.
 *
 * Older servers (18.x) printed invalid JSON for some values (a bare `inf`, backslashes and
 * control characters unescaped); those are repaired before parsing rather than failing the poll.
 */
import { ParseError } from '../command';
import type { JobRecord } from '../pbsFamily/records';

function scalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

/** Escapes what a JSON string may not hold raw (control characters, stray backslashes) and quotes bare inf/nan. */
function repair(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (!inString) {
      if (c === '"') inString = true;
      out += c;
      continue;
    }
    if (c === '\\') {
      const n = text[i + 1] ?? '';
      if (/["\\/bfnrt]/.test(n) || (n === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))) {
        out += c + n;
        i++;
      } else out += '\\\\';
    } else if (c === '"') {
      inString = false;
      out += c;
    } else if (c < ' ') out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out.replace(/:\s*(-?(?:inf|nan))\s*([,}])/gi, ':"$1"$2');
}

function parseJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    try {
      return JSON.parse(repair(stdout));
    } catch (e) {
      throw new ParseError(`not JSON (${(e as Error).message})`, stdout.slice(0, 300));
    }
  }
}

export function parseQstatJson(stdout: string): JobRecord[] {
  const root = parseJson(stdout);
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new ParseError('expected a JSON object', stdout.slice(0, 300));
  const jobs = (root as Record<string, unknown>).Jobs;
  if (jobs === undefined) return [];
  if (typeof jobs !== 'object' || jobs === null || Array.isArray(jobs)) throw new ParseError('"Jobs" is not an object', stdout.slice(0, 300));
  return Object.entries(jobs as Record<string, unknown>).map(([id, attrs]) => {
    if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) throw new ParseError('a job is not an object', id);
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const [r, rv] of Object.entries(v as Record<string, unknown>)) flat[`${k}.${r}`] = scalar(rv);
      else flat[k] = scalar(v);
    }
    return { id, attrs: flat };
  });
}
