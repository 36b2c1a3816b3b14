/**
 * `#PBS` lines: read for the submit flow (what a script sets for itself) and written for a job
 * description, the same for PBS Pro / OpenPBS and Torque apart from what a {@link PbsDialect}
 * says. Like qsub, reading stops at the first line that is neither blank nor a comment. Pure.
 */
import { SpecError } from '../command';
import type { BatchScriptFormat, ScriptDirectives, ScriptOptions } from '../types';
import { formatDuration } from '../formats';
import { parseNativeId, neutralId } from './ids';
import { checkWalltime, qsubOptions, type PbsDialect } from './options';
import { COMMENT_VAR } from './records';
import { directiveWord, splitDirectiveWords } from './words';

/** Options whose value is the next word (or the rest of the word: `-Nname`). */
const WITH_VALUE = new Set('aAcCdDeEfFIJlmMNoPqrSTtuvVWwXz'.split(''));

/**
 * A `-v` list (`A=1,B='x, y',C`) into name → value, as qsub splits it: commas separate unless
 * quoted, quotes are taken off. A name without a value is left out (it comes from qsub's environment).
 */
export function parseVariableList(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  let cur = '';
  let quote: string | undefined;
  const flush = () => {
    const eq = cur.indexOf('=');
    if (eq > 0) out[cur.slice(0, eq).trim()] = cur.slice(eq + 1);
    cur = '';
  };
  for (const c of list) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ',') flush();
    else cur += c;
  }
  flush();
  return out;
}

/** A walltime as written (`3600`, `1:00:00`, `10:00`) in the neutral form: PBS's bare number is seconds. */
function neutralWalltime(v: string): string {
  return /^\d+$/.test(v) ? formatDuration(Number(v)) : v;
}

/** `afterok:12.srv:13[2].srv` → `afterok:12:13_2`. */
function neutralDepend(v: string): string {
  return v
    .split(',')
    .map((part) => {
      const [kind, ...ids] = part.split(':');
      const neutral = ids.map((raw) => {
        const id = parseNativeId(raw.replace(/@.*$/, ''));
        return id ? neutralId(id) : raw;
      });
      return [kind, ...neutral].join(':');
    })
    .join(',');
}

function readPbsDirectives(script: string): ScriptDirectives {
  const out: ScriptDirectives = {};
  for (const raw of script.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#!')) continue;
    if (!line.startsWith('#')) break;
    const m = /^#PBS\s+(.*)$/.exec(line);
    if (!m) continue;
    const words = splitDirectiveWords(m[1] as string);
    for (let i = 0; i < words.length; i++) {
      const opt = /^-([A-Za-z])(.*)$/s.exec(words[i] as string);
      if (!opt) continue;
      const flag = opt[1] as string;
      const value = WITH_VALUE.has(flag) ? (opt[2] ? opt[2] : words[++i]) : undefined;
      if (value === undefined) continue;
      switch (flag) {
        case 'N':
          out.name = value;
          break;
        case 'q':
          out.partition = value;
          break;
        case 'A':
          out.account = value;
          break;
        case 'P':
          out.account ??= value;
          break;
        case 'J':
        case 't':
          out.array = value;
          break;
        case 'o':
          out.output = value;
          break;
        case 'e':
          out.error = value;
          break;
        case 'l':
          for (const res of value.split(',')) {
            const [k, v] = res.split('=');
            if (k?.trim() === 'walltime' && v) out.time = neutralWalltime(v.trim());
          }
          break;
        case 'W': {
          const d = /^depend=(.*)$/.exec(value);
          if (d) out.dependency = neutralDepend(d[1] as string);
          break;
        }
        case 'v': {
          const c = parseVariableList(value)[COMMENT_VAR];
          if (c !== undefined) out.comment = c;
          break;
        }
      }
    }
  }
  return out;
}

/** A `-v` value qsub keeps whole: quoted when it holds commas or spaces. */
function variableValue(value: string): string {
  if (/^[^\s,'"\\]*$/.test(value)) return value;
  if (value.includes('\\')) throw new SpecError('A PBS comment cannot hold a backslash');
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  throw new SpecError('A PBS comment cannot hold both kinds of quotes');
}

/** One `#PBS` line per qsub option; the comment and tags as the job variable qsub's -v sets. */
function writePbsDirectives(options: ScriptOptions, dialect: PbsDialect): string[] {
  const { opts, env } = qsubOptions(options, dialect);
  const lines = opts.map(([flag, value]) => (value === undefined ? `#PBS ${flag}` : `#PBS ${flag} ${directiveWord(value)}`));
  const comment = env[COMMENT_VAR];
  if (comment !== undefined) lines.push(`#PBS -v ${directiveWord(`${COMMENT_VAR}=${variableValue(comment)}`)}`);
  return lines;
}

/** How a PBS-family scheduler's batch scripts carry options: `#PBS` lines, in its dialect. */
export function pbsFamilyScriptFormat(dialect: PbsDialect): BatchScriptFormat {
  return { readDirectives: readPbsDirectives, writeDirectives: (options) => writePbsDirectives(options, dialect), checkTimeLimit: checkWalltime, chdirDirective: dialect.chdirFlag !== undefined };
}
