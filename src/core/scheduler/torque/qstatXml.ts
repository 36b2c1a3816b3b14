/**
 * Torque's `qstat -f -x`: one line of XML, `<Data><Job><Job_Id>…</Job_Id><Job_Name>…</Job_Name>
 * <Resource_List><walltime>…</walltime></Resource_List>…</Job>…</Data>` (`<Data></Data>` for no
 * jobs). Written by Torque's own MXML code (src/cmds/qstat.c `create_full_job_xml`,
 * src/lib/Libutils/u_MXML.c), which escapes nothing: a value may hold `&`, `>` and quotes raw,
 * and each `<` in a value is replaced by the byte 0x0E (MXMLSetVal). So no XML library: every
 * `<` starts a tag, and 0x0E is turned back into `<`. Times are epoch seconds.
 */
import { ParseError } from '../command';
import type { JobRecord } from '../pbsFamily/records';

/**
 * Torque prints the job's variables as one `A=1,B=2` string (commas inside values not escaped):
 * a piece that does not start with a variable name continues the value before it.
 */
export function splitVariableList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const piece of text.split(',')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(piece);
    if (m) {
      last = m[1] as string;
      out[last] = m[2] as string;
    } else if (last !== undefined) out[last] += `,${piece}`;
  }
  return out;
}

// eslint-disable-next-line no-control-regex -- 0x0E is exactly what Torque writes for '<'
const text = (s: string) => s.replace(/\x0e/g, '<');

export function parseQstatXml(stdout: string): JobRecord[] {
  const body = stdout.replace(/^\s*<\?xml[^>]*\?>/, '').trim();
  if (body === '') return [];
  if (!body.startsWith('<Data>')) throw new ParseError('expected <Data>', body.slice(0, 300));
  const records: JobRecord[] = [];
  const path: string[] = [];
  let record: JobRecord | undefined;
  let value = '';
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    if (lt < 0) {
      if (body.slice(i).trim()) throw new ParseError('text after </Data>', body.slice(i, i + 300));
      break;
    }
    value += body.slice(i, lt);
    const gt = body.indexOf('>', lt);
    if (gt < 0) throw new ParseError('unterminated tag', body.slice(lt, lt + 300));
    const tag = body.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.endsWith('/')) continue;
    if (!tag.startsWith('/')) {
      path.push(tag);
      value = '';
      if (path.length === 2 && tag === 'Job') record = { id: '', attrs: {} };
      continue;
    }
    const name = tag.slice(1);
    if (path[path.length - 1] !== name) throw new ParseError(`</${name}> does not close <${path[path.length - 1] ?? ''}>`, body.slice(lt, lt + 300));
    if (path.length === 2 && record) {
      if (!record.id) throw new ParseError('a job without <Job_Id>', JSON.stringify(record.attrs).slice(0, 300));
      records.push(record);
      record = undefined;
    } else if (path.length >= 3 && record) {
      const key = path.slice(2).join('.');
      const v = text(value);
      if (key === 'Job_Id') record.id = v.trim();
      else if (key === 'Variable_List') for (const [k, vv] of Object.entries(splitVariableList(v))) record.attrs[`Variable_List.${k}`] = vv;
      else if (value !== '' || !Object.keys(record.attrs).some((k) => k.startsWith(`${key}.`))) record.attrs[key] = v;
    }
    path.pop();
    value = '';
  }
  if (path.length) throw new ParseError(`<${path.join('><')}> not closed`, body.slice(-300));
  return records;
}
