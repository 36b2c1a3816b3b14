/**
 * Taking one `Host <alias>` block out of an OpenSSH config text, for Remove Host (which asks
 * first, showing exactly these lines). Everything else stays byte for byte.
 */
import { splitConfigLine } from './sshConfig';

export interface HostBlockRemoval {
  /** The text without the block. */
  text: string;
  /** The lines taken out, as they were (for the confirmation). */
  removed: string;
}

const startsBlock = (line: string): boolean => {
  const key = splitConfigLine(line.trim())?.key;
  return key === 'host' || key === 'match';
};

const isBlankOrComment = (line: string): boolean => line.trim() === '' || line.trim().startsWith('#');

/**
 * Removes the block that starts at 0-based `line` with `Host <alias>` (that one pattern only):
 * the Host line and its options up to the next Host or Match line. Comments and blank lines
 * just before the next block stay (they usually describe it); one blank line before the block
 * goes with it. Undefined when that line is no longer `Host <alias>` (the file changed).
 */
export function removeHostBlock(text: string, line: number, alias: string): HostBlockRemoval | undefined {
  const lines = text.split('\n');
  const head = lines[line] !== undefined ? splitConfigLine(lines[line].replace(/\r$/, '').trim()) : undefined;
  if (head?.key !== 'host' || head.args.length !== 1 || head.args[0] !== alias) return undefined;
  // The "line" after a final newline is not one.
  const last = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  let end = line + 1;
  while (end < last && !startsBlock(lines[end].replace(/\r$/, ''))) end++;
  if (end < last) while (end - 1 > line && isBlankOrComment(lines[end - 1])) end--;
  const removed = lines.slice(line, end).map((l) => l.replace(/\r$/, '')).join('\n').replace(/\s+$/, '');
  // One blank line that separated the block goes too (before it, else after it).
  let start = line;
  if (start > 0 && lines[start - 1].trim() === '') start--;
  else if (end < last && lines[end].trim() === '') end++;
  const kept = [...lines.slice(0, start), ...lines.slice(end)];
  return { text: kept.join('\n'), removed };
}
