/**
 * The problems of a `*.job.json` text, each with the span it concerns: a JSON syntax error, or
 * {@link validateJobSpec}'s (the same checks Submit makes), so the editor marks them as errors
 * before a submit refuses the file. Pure.
 */
import { validateJobSpec } from '../scheduler/jobSpec';

export interface JobFileProblem {
  message: string;
  /** Offsets into the text (end exclusive). */
  start: number;
  end: number;
}

/** A JSON value's place in the text; objects keep their keys' places too. */
interface Span {
  start: number;
  end: number;
  key?: { start: number; end: number };
  children?: Map<string, Span>;
}

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** Where every value of a strict JSON text is (a small recursive scan; JSON.parse reads the values). */
function spans(text: string): Span {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxProblem(i >= text.length ? `JSON: ${what} expected before the end` : `JSON: ${what} expected`, Math.min(i, Math.max(0, text.length - 1)));
  };
  const string = (): Span => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (text[i] !== '"') fail('closing quote');
    i++;
    return { start, end: i };
  };
  const value = (): Span => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      const children = new Map<string, Span>();
      i++;
      ws();
      let n = 0;
      while (text[i] !== close) {
        if (n > 0) {
          if (text[i] !== ',') fail(`',' or '${close}'`);
          i++;
          ws();
        }
        if (c === '{') {
          if (text[i] !== '"') fail('a property name');
          const key = string();
          ws();
          if (text[i] !== ':') fail("':'");
          i++;
          const v = value();
          children.set(JSON.parse(text.slice(key.start, key.end)) as string, { ...v, key });
        } else children.set(String(n), value());
        n++;
        ws();
      }
      i++;
      return { start, end: i, children };
    }
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) fail('a value');
    i += (m as RegExpExecArray)[0].length;
    return { start, end: i };
  };
  const root = value();
  ws();
  if (i < text.length) fail('the end of the text');
  return root;
}

/** The span a JSON pointer (`/inputs/0/src`) names, or undefined when the text has none there. */
function spanAt(root: Span, pointer: string): Span | undefined {
  let s: Span | undefined = root;
  for (const raw of pointer.split('/').slice(1)) s = s?.children?.get(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  return s;
}

export function jobFileProblems(text: string): JobFileProblem[] {
  let root: Span;
  try {
    root = spans(text);
  } catch (e) {
    if (!(e instanceof SyntaxProblem)) throw e;
    return [{ message: e.message, start: e.at, end: e.at + 1 }];
  }
  return validateJobSpec(JSON.parse(text)).map((e) => {
    const s = spanAt(root, e.path);
    // An unknown property: its name; anything else: the value; nothing there: the opening brace.
    const span = s && /^Unknown property/.test(e.message) ? (s.key ?? s) : (s ?? { start: root.start, end: root.start + 1 });
    return { message: e.message, start: span.start, end: span.end };
  });
}
