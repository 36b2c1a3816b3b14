/**
 * The XML Grid Engine's qstat prints (`qstat -xml`, `qstat -j … -xml`): well-formed, entities
 * escaped (`&apos;`, `&quot;`, `&amp;`, `&gt;`), no CDATA, no mixed content that matters, and one
 * quirk: Grid Engine 8.1 writes `<` in a value as `%lt;` (its escaping has `%` for `&`), read back as `<`.
 * A small tree reader, enough for that and nothing more: elements, attributes, text. Pure.
 */
import { ParseError } from '../command';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (entities decoded, untrimmed). */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/%lt;/g, '<').replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e] ?? m;
  });
}

const ATTR = /([A-Za-z_:][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The document's root element. ParseError for anything not well-formed. */
export function parseXml(text: string): XmlElement {
  const stack: XmlElement[] = [{ name: '#document', attrs: {}, children: [], text: '' }];
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const top = stack[stack.length - 1] as XmlElement;
    if (lt < 0) {
      top.text += decodeEntities(text.slice(i));
      break;
    }
    top.text += decodeEntities(text.slice(i, lt));
    if (text.startsWith('<?', lt) || text.startsWith('<!--', lt)) {
      const end = text.indexOf(text.startsWith('<?', lt) ? '?>' : '-->', lt);
      if (end < 0) throw new ParseError('unterminated declaration or comment', text.slice(lt, lt + 200));
      i = end + (text.startsWith('<?', lt) ? 2 : 3);
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new ParseError('unterminated tag', text.slice(lt, lt + 200));
    const tag = text.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (top.name !== name || stack.length === 1) throw new ParseError(`</${name}> does not close <${top.name}>`, text.slice(lt, lt + 200));
      stack.pop();
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = /^[A-Za-z_][\w:.-]*/.exec(body)?.[0];
    if (!name) throw new ParseError('bad tag', text.slice(lt, lt + 200));
    const attrs: Record<string, string> = {};
    for (const m of body.slice(name.length).matchAll(ATTR)) attrs[m[1] as string] = decodeEntities(m[2] ?? m[3] ?? '');
    const el: XmlElement = { name, attrs, children: [], text: '' };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new ParseError(`<${(stack[stack.length - 1] as XmlElement).name}> not closed`, text.slice(-200));
  const root = (stack[0] as XmlElement).children[0];
  if (!root) throw new ParseError('no XML element', text.slice(0, 200));
  return root;
}

/** The first child named `name`. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** Every child named `name`. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el?.children.filter((c) => c.name === name) ?? [];
}

/** The trimmed text of the first child named `name` (undefined when there is none). */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c === undefined ? undefined : c.text.trim();
}
