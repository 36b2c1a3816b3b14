/** The text of a "Job Details" tab: every attribute the scheduler reports, section by section. Pure. */
import type { JobDetails } from '../scheduler/types';
import { durationText } from './format';

export interface DetailsInput extends JobDetails {
  host: string;
  id: string;
  fetchedAt: Date;
}

function block(title: string, rec: Record<string, string>, durations: ReadonlySet<string>): string[] {
  const keys = Object.keys(rec);
  const width = Math.min(28, Math.max(0, ...keys.map((k) => k.length)));
  const out = [`# ${title}`];
  for (const k of keys) {
    const v = durations.has(k) ? durationText(rec[k] ?? '') : (rec[k] ?? '');
    const lines = v.split('\n');
    out.push(`${`${k}:`.padEnd(width + 2)}${lines[0] ?? ''}`);
    for (const more of lines.slice(1)) out.push(`${' '.repeat(width + 2)}${more}`);
  }
  return out;
}

export function renderDetails(d: DetailsInput): string {
  const lines = [`# Job ${d.id} on ${d.host} — fetched ${d.fetchedAt.toLocaleString()}`, '# Read-only. Run "Show Job Details" again to refresh.', ''];
  // Durations in the one format of the whole UI (`3:01`, `1-02:03:04`, `no limit`).
  for (const s of d.sections) lines.push(...block(s.title, s.fields, new Set(s.durations)), '');
  for (const n of d.notes) lines.push(`# ${n}`);
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
