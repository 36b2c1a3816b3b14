/** Shell-like word splitting of user input and directive lines. Pure. */

/**
 * Splits a line into words the way a shell (and sbatch's directive reader) would: whitespace
 * separates, `'…'` and `"…"` group, `\` escapes outside single quotes, an unquoted `#` at the start
 * of a word ends the line.
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length && /["\\$`]/.test(line[i + 1] as string)) cur += line[++i];
      else cur += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if (c === '#' && !inWord) break;
    inWord = true;
    if (c === "'" || c === '"') quote = c;
    else if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}
