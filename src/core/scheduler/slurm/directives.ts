/** The `#SBATCH` lines of a batch script: the options the submit flow cares about. Pure. */
import type { ScriptDirectives } from '../types';
import { splitShellWords } from '../shellWords';

const SHORT: Record<string, keyof ScriptDirectives> = { J: 'name', p: 'partition', A: 'account', t: 'time', a: 'array', o: 'output', e: 'error' };
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
