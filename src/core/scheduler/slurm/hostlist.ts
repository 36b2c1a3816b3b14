/**
 * SLURM host list expressions (`c[1-3,07-09]`, `gpu[01-02]-ib`, `r[1-2]n[1-2]`, `a,b[1-2]`) as
 * squeue's `%N` prints them, expanded to node names in order. Pure. An expression that is not
 * well formed is returned as one name (better a pick that says so than none).
 */

/** Splits at the commas that are outside brackets. */
function topLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of list) {
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** `1-3,07-09` → 1 2 3 07 08 09 (the width of a zero-padded bound is kept). */
function range(spec: string): string[] | undefined {
  const out: string[] = [];
  for (const r of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(r.trim());
    if (!m) return undefined;
    const from = m[1] as string;
    const to = m[2] ?? from;
    const width = from.length;
    const a = Number(from);
    const b = Number(to);
    if (b < a || b - a > 100_000) return undefined;
    for (let i = a; i <= b; i++) out.push(String(i).padStart(width, '0'));
  }
  return out;
}

function expandOne(expr: string): string[] | undefined {
  const open = expr.indexOf('[');
  if (open < 0) return expr.includes(']') ? undefined : [expr];
  const close = expr.indexOf(']', open);
  if (close < 0) return undefined;
  const numbers = range(expr.slice(open + 1, close));
  const rest = expandOne(expr.slice(close + 1));
  if (!numbers || !rest) return undefined;
  const prefix = expr.slice(0, open);
  return numbers.flatMap((n) => rest.map((r) => `${prefix}${n}${r}`));
}

export function expandHostlist(list: string): string[] {
  const names: string[] = [];
  for (const part of topLevel(list.trim())) names.push(...(expandOne(part) ?? [part]));
  return names;
}
