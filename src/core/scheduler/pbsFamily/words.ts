/**
 * How qsub splits a `#PBS` directive line into words (`make_argv` in OpenPBS src/cmds/qsub.c and
 * Torque src/cmds/qsub_functions.c, the same code): whitespace separates, `'…'` and `"…"` group
 * with nothing escaped inside, a `\` outside quotes takes the next character as it is. Unlike a
 * shell, `#` and `$` mean nothing. Pure.
 */
import { SpecError } from '../command';

export function splitDirectiveWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      // qsub stops with "unmatched quote": the rest is taken as it is here.
      cur += end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** One word as `make_argv` reads it back: plain words bare, anything else with each special character `\`-escaped. */
export function directiveWord(word: string): string {
  if (/[\n\r\0]/.test(word)) throw new SpecError(`#PBS values cannot contain newlines: ${JSON.stringify(word)}`);
  if (word === '') return "''";
  // Only ASCII punctuation and spaces are special to make_argv; other characters go as they are.
  return word.replace(/[^\x80-\uffffA-Za-z0-9_@%+=:,./-]/g, (c) => `\\${c}`);
}
