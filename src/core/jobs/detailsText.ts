/** The text of a "Job Details" tab: every attribute the controller and accounting report. Pure. */

export interface DetailsInput {
  host: string;
  id: string;
  /** `scontrol show job -o` record, when the controller still knows the job. */
  controller?: Record<string, string>;
  /** sacct record (finished jobs, or when the controller no longer has it). */
  accounting?: Record<string, string>;
  /** Why a part is missing, e.g. accounting disabled. */
  notes?: string[];
  fetchedAt: Date;
}

function block(title: string, rec: Record<string, string>): string[] {
  const keys = Object.keys(rec);
  const width = Math.min(28, Math.max(0, ...keys.map((k) => k.length)));
  const out = [`# ${title}`];
  for (const k of keys) {
    const v = rec[k] ?? '';
    const lines = v.split('\n');
    out.push(`${`${k}:`.padEnd(width + 2)}${lines[0] ?? ''}`);
    for (const more of lines.slice(1)) out.push(`${' '.repeat(width + 2)}${more}`);
  }
  return out;
}

export function renderDetails(d: DetailsInput): string {
  const lines = [`# Job ${d.id} on ${d.host} — fetched ${d.fetchedAt.toLocaleString()}`, '# Read-only. Run "Show Job Details" again to refresh.', ''];
  if (d.controller) lines.push(...block('Controller (scontrol show job)', d.controller), '');
  if (d.accounting) lines.push(...block('Accounting (sacct)', d.accounting), '');
  for (const n of d.notes ?? []) lines.push(`# ${n}`);
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** Is this (details) record from accounting rather than the controller? */
export function isAccountingRecord(rec: Record<string, string>): boolean {
  return 'JobIDRaw' in rec || 'JobID' in rec;
}
