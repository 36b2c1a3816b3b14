/**
 * Content search, the parts both RemoteOps share: the size limit, the report of what was not
 * searched, the SFTP fallback's find/grep command lines (argv, never a shell string) and where a
 * match starts in its line. The agent's side is search_walk in agent.py (same limits, same reasons).
 */
import { formatSize } from './format';
import type { SearchResult, SearchSkip, SearchSkipReason } from './types';

/** Files larger than this are skipped (and reported) unless the search is asked to lift the limit. Equals agent.py's. */
export const SEARCH_MAX_FILE_SIZE = 10 * 1024 * 1024;
/** At most this many skipped entries are listed; the counts go on. Equals agent.py's. */
export const SEARCH_MAX_SKIPPED = 500;

/** The skipped entries of a search, capped, with exact counts per reason (agent.py's Skips). */
export class SkipList {
  private readonly items: SearchSkip[] = [];
  private readonly counts: Partial<Record<SearchSkipReason, number>> = {};

  add(skip: SearchSkip): void {
    this.counts[skip.reason] = (this.counts[skip.reason] ?? 0) + 1;
    if (this.items.length < SEARCH_MAX_SKIPPED) this.items.push(skip);
  }

  result(): Pick<SearchResult, 'skipped' | 'skippedCounts'> {
    return { skipped: this.items, skippedCounts: this.counts };
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * One line on what a search did not look into, e.g. "2 files over 10 MB, 1 binary file, 1 folder
 * without read permission"; undefined when nothing was skipped.
 */
export function describeSkips(result: Pick<SearchResult, 'skipped' | 'skippedCounts'>, maxFileSize: number | null = SEARCH_MAX_FILE_SIZE): string | undefined {
  const c = result.skippedCounts;
  const parts: string[] = [];
  if (c['too-big']) parts.push(`${plural(c['too-big'], 'file')} over ${formatSize(maxFileSize ?? SEARCH_MAX_FILE_SIZE)}`);
  if (c.binary) parts.push(plural(c.binary, 'binary file'));
  if (c.denied) {
    // Folders and files share the reason: name them apart when the list has them all.
    const listed = result.skipped.filter((s) => s.reason === 'denied');
    const folders = listed.filter((s) => s.folder).length;
    const what = listed.length === c.denied ? (folders === c.denied ? plural(c.denied, 'folder') : folders === 0 ? plural(c.denied, 'file') : plural(c.denied, 'file or folder', 'files or folders')) : plural(c.denied, 'file or folder', 'files or folders');
    parts.push(`${what} without read permission`);
  }
  if (c.unreadable) parts.push(`${plural(c.unreadable, 'file or folder', 'files or folders')} that could not be read`);
  return parts.length ? parts.join(', ') : undefined;
}

/** The reason of one skipped entry, for a list item ("too big (23.4 MB)", "permission denied"). */
export function describeSkip(s: SearchSkip): string {
  switch (s.reason) {
    case 'too-big':
      return s.size !== undefined ? `too big (${formatSize(s.size)})` : 'too big';
    case 'binary':
      return 'binary';
    case 'denied':
      return s.folder ? 'folder: permission denied' : 'permission denied';
    case 'unreadable':
      return s.folder ? 'folder could not be read' : 'could not be read';
  }
}

export interface GrepQuery {
  root: string;
  /** find -iname glob of the files to search. */
  glob: string;
  pattern: string;
  regex: boolean;
  caseSensitive: boolean;
  maxFileSize: number | null;
}

/** Files at most maxFileSize (find's `c` unit is bytes; +N means more than N). */
const sizeOk = (max: number | null): string[] => (max === null ? [] : ['!', '-size', `+${max}c`]);

/**
 * find over root printing NUL-separated records of what content search cannot look into:
 * `d\0path\0` a folder it cannot list or enter (root included: then nothing is searched),
 * `u\0path\0` a file it may not read, `b\0size\0path\0` a file over maxFileSize. Pruned folders
 * keep find quiet on stderr.
 */
export function skipsArgv(q: GrepQuery): string[] {
  const big = q.maxFileSize === null ? [] : ['-o', '-size', `+${q.maxFileSize}c`, '-printf', 'b\\0%s\\0%p\\0'];
  return [
    'find', q.root,
    '(', '-type', 'd', '(', '!', '-readable', '-o', '!', '-executable', ')', '-printf', 'd\\0%p\\0', '-prune', ')',
    '-o', '(', '-type', 'f', '-iname', q.glob, '(', '!', '-readable', '-printf', 'u\\0%p\\0', ...big, ')', ')',
  ];
}

/** The readable, non-empty files grep takes for binary (NUL in its first buffer): their paths, NUL-terminated. */
export function binaryFilesArgv(q: GrepQuery): string[] {
  return ['find', q.root, '-mindepth', '1', '-type', 'f', '-iname', q.glob, '-readable', '-size', '+0', ...sizeOk(q.maxFileSize), '-exec', 'grep', '-I', '-L', '-Z', '-e', '', '--', '{}', '+'];
}

/** grep over the files: "path\0line:text\n" per match (binary files left out; -F for literal text). */
export function contentGrepArgv(q: GrepQuery): string[] {
  const argv = ['find', q.root, '-mindepth', '1', '-type', 'f', '-iname', q.glob, '-readable', ...sizeOk(q.maxFileSize), '-exec', 'grep', '-I', '-n', '-H', '-Z', q.regex ? '-E' : '-F'];
  if (!q.caseSensitive) argv.push('-i');
  argv.push('-e', q.pattern, '--', '{}', '+');
  return argv;
}

/** The JavaScript RegExp of a content query, for finding the column of a match; undefined if it does not compile. */
function contentRegExp(pattern: string, opts: { regex?: boolean; caseSensitive?: boolean }): RegExp | undefined {
  const source = opts.regex ? pattern : pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  try {
    return new RegExp(source, opts.caseSensitive ? 'u' : 'iu');
  } catch {
    try {
      return new RegExp(source, opts.caseSensitive ? '' : 'i');
    } catch {
      return undefined;
    }
  }
}

/** Matched lines are short already (the agent and grep cap them); the column search stays bounded too. */
const MAX_COLUMN_SEARCH_CHARS = 1000;

/** 0-based column where the query matches in a result's line (0 when it cannot tell). */
export function matchColumn(line: string, pattern: string, opts: { regex?: boolean; caseSensitive?: boolean }): number {
  const rx = contentRegExp(pattern, opts);
  const head = line.slice(0, MAX_COLUMN_SEARCH_CHARS);
  return Math.max(0, rx ? head.search(rx) : head.indexOf(pattern));
}
