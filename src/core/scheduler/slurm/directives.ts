/** The `#SBATCH` lines of a batch script: written for a job description, read for the submit flow. Pure. */
import type { ScriptDirectives, ScriptOptions } from '../types';
import { splitShellWords } from '../shellWords';
import { sbatchOptions } from './sbatch';

const SHORT: Record<string, keyof ScriptDirectives> = { J: 'name', p: 'partition', A: 'account', t: 'time', a: 'array', o: 'output', e: 'error', d: 'dependency' };
const LONG: Record<string, keyof ScriptDirectives> = {
  'job-name': 'name',
  partition: 'partition',
  account: 'account',
  time: 'time',
  comment: 'comment',
  nice: 'nice',
  array: 'array',
  output: 'output',
  error: 'error',
  dependency: 'dependency',
  'mail-user': 'mailUser',
  'mail-type': 'mailType',
};

/**
 * Reads the `#SBATCH` lines at the top of a batch script. Like sbatch, it stops at the first line
 * that is neither blank nor a comment.
 */
export function parseSbatchDirectives(script: string): ScriptDirectives {
  const out: ScriptDirectives = {};
  const set = (key: keyof ScriptDirectives, value: string | undefined) => {
    if (value === undefined) return;
    if (key === 'nice') {
      const n = value === '' ? 100 : Number(value);
      if (Number.isInteger(n)) out.nice = n;
      return;
    }
    out[key] = value;
  };
  for (const raw of script.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#!')) continue;
    if (!line.startsWith('#')) break;
    const m = /^#SBATCH\s+(.*)$/.exec(line);
    if (!m) continue;
    const words = splitShellWords(m[1] as string);
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as string;
      const long = /^--([a-z-]+)(?:=(.*))?$/.exec(w);
      if (long) {
        const key = LONG[long[1] as string];
        if (!key) continue;
        const value = long[2] ?? (key === 'nice' && (words[i + 1] === undefined || words[i + 1]?.startsWith('-')) ? '' : words[++i]);
        set(key, value);
        continue;
      }
      const short = /^-([A-Za-z])(.*)$/.exec(w);
      if (short) {
        const key = SHORT[short[1] as string];
        if (!key) continue;
        set(key, short[2] ? short[2] : words[++i]);
      }
    }
  }
  return out;
}

/**
 * A `#SBATCH` value as sbatch's own script parser reads it: whitespace splits, `'`/`"` group,
 * `\` escapes, an unquoted `#` starts a comment. Plain words stay bare; anything else is
 * double-quoted with `\` and `"` escaped. Newlines cannot be expressed and are refused.
 */
export function sbatchDirectiveWord(word: string): string {
  if (/[\n\r\0]/.test(word)) throw new Error(`#SBATCH values cannot contain newlines: ${JSON.stringify(word)}`);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  // Keep the option name bare for readability: --job-name="a b".
  const eq = word.indexOf('=');
  const [head, value] = word.startsWith('-') && eq > 0 ? [word.slice(0, eq + 1), word.slice(eq + 1)] : ['', word];
  return `${head}"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** One `#SBATCH` line per sbatch option (the same options the command line would get). */
export function sbatchDirectiveLines(options: ScriptOptions): string[] {
  return sbatchOptions(options).map((o) => `#SBATCH ${sbatchDirectiveWord(o)}`);
}
