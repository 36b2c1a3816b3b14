/** Human-readable sizes, times and modes for tooltips and prompts. */

export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** `rwxr-x---` from permission bits, with the type letter in front (`d`, `l`, `-`). */
export function formatMode(mode: number, type: 'file' | 'directory' | 'symlink' | 'other' = 'file'): string {
  const t = type === 'directory' ? 'd' : type === 'symlink' ? 'l' : type === 'other' ? '?' : '-';
  const rwx = (bits: number) => `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  let s = `${rwx((mode >> 6) & 7)}${rwx((mode >> 3) & 7)}${rwx(mode & 7)}`.split('');
  if (mode & 0o4000) s[2] = s[2] === 'x' ? 's' : 'S';
  if (mode & 0o2000) s[5] = s[5] === 'x' ? 's' : 'S';
  if (mode & 0o1000) s[8] = s[8] === 'x' ? 't' : 'T';
  s = [t, ...s];
  return s.join('');
}

/** ISO-like local time `YYYY-MM-DD HH:MM` (stable across locales, sorts as text). */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '?';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
