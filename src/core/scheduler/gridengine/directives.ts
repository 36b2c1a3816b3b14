/**
 * `#$` lines: read for the submit flow (what a script sets for itself) and written for a job
 * description. How qsub reads them (recorded on the sandbox's Grid Engine 8.1.9, see
 * test/fixtures/gridengine/README.md): whitespace separates words, `'…'` and `"…"` group and
 * every quote character is dropped, `\` is an ordinary character, a word starting with `#` ends
 * the line. So a value can hold spaces (written inside double quotes) but no quote, `\` or `#`:
 * writeDirectives refuses those. The comment rides in `-v RHPC_COMMENT=…`, whose commas qsub
 * would split: it is percent-encoded (options.ts encodeComment). Like qsub, reading stops at
 * the first line that is neither blank nor a comment. Pure.
 */
import { SpecError } from '../command';
import type { BatchScriptFormat, ScriptDirectives, ScriptOptions } from '../types';
import { formatDuration } from '../formats';
import { checkTimeLimit, COMMENT_VAR, decodeComment, qsubOptions } from './options';

/** Options whose value is the next word. */
const WITH_VALUE = new Set(['N', 'q', 'A', 'P', 't', 'tc', 'o', 'e', 'j', 'l', 'hold_jid', 'v', 'ac', 'wd', 'M', 'm', 'p', 'pe', 'S', 'r', 'b', 'R']);

export function splitDirectiveWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c !== '"' && c !== "'") cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '#' && !inWord) break;
    else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** `-l h_rt=300` or `h_rt=0:05:00` → the neutral form (a bare number is seconds). */
function neutralHrt(v: string): string {
  return /^\d+$/.test(v) ? formatDuration(Number(v)) : v;
}

function readGeDirectives(script: string): ScriptDirectives {
  const out: ScriptDirectives = {};
  for (const raw of script.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#!')) continue;
    if (!line.startsWith('#')) break;
    const m = /^#\$\s+(.*)$/.exec(line);
    if (!m) continue;
    const words = splitDirectiveWords(m[1] as string);
    for (let i = 0; i < words.length; i++) {
      const flag = /^-(\w+)$/.exec(words[i] as string)?.[1];
      if (!flag || !WITH_VALUE.has(flag)) continue;
      const value = words[++i];
      if (value === undefined) break;
      if (flag === 'N') out.name = value;
      else if (flag === 'q') out.partition = value;
      else if (flag === 'A') out.account = value;
      else if (flag === 'P') out.account ??= value;
      else if (flag === 't') out.array = value;
      else if (flag === 'o') out.output = value;
      else if (flag === 'e') out.error = value;
      else if (flag === 'hold_jid') out.dependency = `afterany:${value.split(',').join(':')}`;
      else if (flag === 'l') {
        for (const res of value.split(',')) {
          const [k, v] = res.split('=');
          if ((k?.trim() === 'h_rt' || k?.trim() === 'hard_run_time') && v) out.time = neutralHrt(v.trim());
        }
      } else if (flag === 'v') {
        for (const kv of value.split(',')) if (kv.startsWith(`${COMMENT_VAR}=`)) out.comment = decodeComment(kv.slice(COMMENT_VAR.length + 1));
      }
    }
  }
  return out;
}

/** One word as qsub reads it back from a `#$` line. */
function directiveWord(word: string): string {
  if (/[\n\r\0'"\\#]/.test(word)) throw new SpecError(`#$ lines cannot carry quotes, \\ or # in a value (qsub drops or stops at them): ${JSON.stringify(word)}`);
  if (word === '') throw new SpecError('#$ values must not be empty');
  return /\s/.test(word) ? `"${word}"` : word;
}

/** One `#$` line per qsub option; the comment and tags as the job variable `-v` sets. */
function writeGeDirectives(options: ScriptOptions): string[] {
  const { opts, env } = qsubOptions(options);
  const lines = opts.map(([flag, ...values]) => ['#$', flag, ...values.map(directiveWord)].join(' '));
  const comment = env[COMMENT_VAR];
  if (comment !== undefined) lines.push(`#$ -v ${directiveWord(`${COMMENT_VAR}=${comment}`)}`);
  return lines;
}

/** How Grid Engine batch scripts carry options: `#$` lines. */
export const gridEngineScriptFormat: BatchScriptFormat = {
  readDirectives: readGeDirectives,
  writeDirectives: writeGeDirectives,
  checkTimeLimit,
};
