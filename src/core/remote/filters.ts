/**
 * Slycat's path filters: four regex lists matched (search, not full match) against an entry's
 * full path. An entry is dropped only when it matches a reject pattern of its kind and no allow
 * pattern of its kind. Directories (and symlinks to directories) use dirReject/dirAllow, every
 * other entry fileReject/fileAllow.
 *
 *   { fileReject: ['.*'], fileAllow: ['[.]csv$'] }   only CSV files (directories all kept)
 *
 * The same filter runs in the Python agent and, for the SFTP fallback, here. Patterns are written
 * in the common subset of the two dialects and each is translated once into an exact JavaScript
 * (flag `u`) and Python (`re.ASCII`) equivalent, so both sides keep exactly the same entries:
 *   `.` never matches a newline, `$` and `\Z` only match at the very end, `\A` at the start,
 *   `\s` is ASCII whitespace, `\d \w \b` are ASCII, `{,n}` means `{0,n}`, `[]...]` starts with a
 *   literal `]`. Constructs one side lacks (named groups, inline flags, `\p{..}`, octal escapes,
 *   possessive quantifiers, unknown letter escapes) are refused with a message saying so.
 * Not detectable here: Python refuses variable-width lookbehind; the agent reports that.
 *
 * A pattern that looks like a glob (`*.csv`, `run_??.out`: a `*` or `?`, no other regex syntax
 * apart from `.`, and no regex idiom `.*` / `.?`) matches the entry's name as a whole, the way
 * a shell would: `*` and `?` never cross a `/`.
 */
import type { PathFilter } from './types';

class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

export interface TranslatedPattern {
  /** Source for `new RegExp(js, 'u')`. */
  js: string;
  /** Source for `re.compile(py, re.ASCII)`. */
  py: string;
}

const JS_SPACE = '\\t\\n\\v\\f\\r ';
const SYNTAX = '^$\\.*+?()[]{}|/';

function fail(at: number, what: string): never {
  throw new FilterSyntaxError(`${what} at position ${at + 1}`);
}

const GLOB_RE = /^[^\\^$+()[\]{}|/]*[*?][^\\^$+()[\]{}|/]*$/u;

/** True when the pattern is read as a glob on the name (see the header). */
export function isGlobPattern(pattern: string): boolean {
  return GLOB_RE.test(pattern) && !/\.[*?]/u.test(pattern);
}

/** A glob on the name as a pattern of the common dialect matched against the full path. */
function globToRegex(glob: string): string {
  let out = '/';
  for (const c of glob) out += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c === '.' ? '\\.' : c;
  return `${out}$`;
}

/** Translates one pattern of the common dialect (or a glob); throws FilterSyntaxError on unsupported syntax. */
export function translatePattern(pattern: string): TranslatedPattern {
  const src = isGlobPattern(pattern) ? globToRegex(pattern) : pattern;
  let js = '';
  let py = '';
  const both = (s: string) => {
    js += s;
    py += s;
  };
  let inClass = false;
  let classStart = false;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      if (i + 1 >= src.length) fail(i, 'Pattern ends with a lone backslash');
      const d = src[i + 1];
      classStart = false;
      i += 2;
      if ('dDwWb'.includes(d)) both(`\\${d}`);
      else if (d === 'B') {
        if (inClass) fail(i - 2, '\\B inside [...] is not supported');
        both('\\B');
      } else if (d === 's') {
        js += inClass ? JS_SPACE : `[${JS_SPACE}]`;
        py += '\\s';
      } else if (d === 'S') {
        if (inClass) fail(i - 2, '\\S inside [...] is not supported (list the characters instead)');
        js += `[^${JS_SPACE}]`;
        py += '\\S';
      } else if (d === 'A' || d === 'Z') {
        if (inClass) fail(i - 2, `\\${d} inside [...] is not supported`);
        js += d === 'A' ? '^' : '$';
        py += `\\${d}`;
      } else if ('nrtfv'.includes(d)) both(`\\${d}`);
      else if (d === '0') {
        if (/[0-9]/.test(src[i] ?? '')) fail(i - 2, 'Octal escapes are not supported (use \\xHH)');
        both('\\x00');
      } else if (/[1-9]/.test(d)) {
        if (inClass) fail(i - 2, 'Back-references inside [...] are not supported');
        let num = d;
        while (/[0-9]/.test(src[i] ?? '')) num += src[i++];
        both(`\\${num}`);
      } else if (d === 'x') {
        const hex = src.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail(i - 2, '\\x needs two hex digits');
        both(`\\x${hex}`);
        i += 2;
      } else if (d === 'u') {
        const hex = src.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(i - 2, '\\u needs four hex digits');
        both(`\\u${hex}`);
        i += 4;
      } else if (d === 'U') {
        const hex = src.slice(i, i + 8);
        if (!/^[0-9a-fA-F]{8}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) fail(i - 2, '\\U needs eight hex digits (at most 0010FFFF)');
        js += `\\u{${hex}}`;
        py += `\\U${hex}`;
        i += 8;
      } else if (/[A-Za-z]/.test(d)) {
        fail(i - 2, `Unsupported escape \\${d}`);
      } else if (SYNTAX.includes(d)) both(`\\${d}`);
      else if (d === '-') both(inClass ? '\\-' : '-');
      else both(d); // any other escaped character stands for itself in both dialects
      continue;
    }
    if (inClass) {
      if (c === ']' && !classStart) {
        inClass = false;
        both(']');
      } else if (c === ']' || c === '[') both(`\\${c}`); // a leading ']' is literal in Python
      else both(c);
      classStart = false;
      i++;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        both('[');
        i++;
        if (src[i] === '^') {
          both('^');
          i++;
        }
        classStart = true;
        continue;
      case '.':
        js += '[^\\n]';
        py += '.';
        break;
      case '$':
        js += '$';
        py += '\\Z';
        break;
      case '(': {
        if (src[i + 1] === '?') {
          const rest = src.slice(i + 2);
          const m = /^(:|=|!|<=|<!)/.exec(rest);
          if (!m) {
            const what = rest.startsWith('P') || rest.startsWith('<') ? 'Named groups' : rest.startsWith('#') ? 'Comments' : rest.startsWith('(') ? 'Conditionals' : 'Inline flags';
            fail(i, `${what} are not supported: (?${rest.slice(0, 1)}`);
          }
          both(`(?${m[1]}`);
          i += 2 + m[1].length;
          continue;
        }
        both('(');
        break;
      }
      case '{': {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(src.slice(i));
        if (m && (m[1] !== '' || (m[2] !== '' && m[3] !== ''))) {
          both(m[1] === '' ? `{0,${m[3]}}` : m[0]);
          i += m[0].length;
          if (src[i] === '+') fail(i, 'Possessive quantifiers are not supported');
          continue;
        }
        both('\\{');
        break;
      }
      case '}':
      case ']':
        both(`\\${c}`);
        break;
      case '*':
      case '+':
      case '?':
        both(c);
        if (src[i + 1] === '+') fail(i + 1, 'Possessive quantifiers are not supported');
        break;
      default:
        both(c);
    }
    i++;
  }
  if (inClass) fail(src.length - 1, 'Unterminated [...]');
  try {
    new RegExp(js, 'u');
  } catch (err) {
    const msg = (err as Error).message.replace(/^Invalid regular expression: \/.*\/u?: /s, '');
    throw new FilterSyntaxError(msg.charAt(0).toUpperCase() + msg.slice(1));
  }
  return { js, py };
}

/** Error message for an invalid pattern, undefined when it is fine. */
export function validatePattern(pattern: string): string | undefined {
  try {
    translatePattern(pattern);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const LABELS: Record<keyof PathFilter, string> = {
  fileAllow: 'File allow',
  fileReject: 'File reject',
  dirAllow: 'Directory allow',
  dirReject: 'Directory reject',
};
const KEYS = Object.keys(LABELS) as (keyof PathFilter)[];

/** First problem in a filter as a sentence for the user, or undefined when every pattern is valid. */
export function validateFilter(f: PathFilter | undefined): string | undefined {
  if (!f) return undefined;
  for (const k of KEYS) {
    for (const p of f[k] ?? []) {
      const err = validatePattern(p);
      if (err) return `${LABELS[k]} pattern ${JSON.stringify(p)}: ${err}`;
    }
  }
  return undefined;
}

export interface CompiledFilter {
  /** True when nothing can be rejected (no reject patterns). */
  readonly empty: boolean;
  /** Slycat rule: keep unless a reject of the entry's kind matches and no allow does. */
  keep(fullPath: string, isDir: boolean): boolean;
}

function compileList(list: string[] | undefined, k: keyof PathFilter): RegExp[] {
  return (list ?? []).map((p) => {
    try {
      return new RegExp(translatePattern(p).js, 'u');
    } catch (err) {
      throw new FilterSyntaxError(`${LABELS[k]} pattern ${JSON.stringify(p)}: ${(err as Error).message}`);
    }
  });
}

/** Compiles a filter for local use (SFTP fallback); throws FilterSyntaxError when invalid. */
export function compileFilter(f: PathFilter | undefined): CompiledFilter {
  const fileAllow = compileList(f?.fileAllow, 'fileAllow');
  const fileReject = compileList(f?.fileReject, 'fileReject');
  const dirAllow = compileList(f?.dirAllow, 'dirAllow');
  const dirReject = compileList(f?.dirReject, 'dirReject');
  return {
    empty: fileReject.length === 0 && dirReject.length === 0,
    keep(fullPath, isDir) {
      const [reject, allow] = isDir ? [dirReject, dirAllow] : [fileReject, fileAllow];
      if (!reject.some((r) => r.test(fullPath))) return true;
      return allow.some((a) => a.test(fullPath));
    },
  };
}

/** The filter with every pattern translated to Python, as the agent expects it. */
export function pythonFilter(f: PathFilter | undefined): PathFilter | undefined {
  if (!f) return undefined;
  const out: PathFilter = {};
  for (const k of KEYS) {
    const list = f[k];
    if (list && list.length > 0) {
      out[k] = list.map((p) => {
        try {
          return translatePattern(p).py;
        } catch (err) {
          throw new FilterSyntaxError(`${LABELS[k]} pattern ${JSON.stringify(p)}: ${(err as Error).message}`);
        }
      });
    }
  }
  return out;
}

/** The full path both sides match filters against: `dir + '/' + name` (no doubled slash). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
