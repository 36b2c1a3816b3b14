/**
 * What submitting a job file sends, decided before anything is sent: every input with its source
 * and target, the ones whose source lies outside the job file's folder (a job file from a cloned
 * repository must not quietly upload ~/.ssh/id_ed25519), and targets that would leave the work
 * folder (refused). The dialogs that show this are thin (src/jobs/jobFile.ts).
 */
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import { posix } from 'node:path';
import { isInside, type PathApi } from '../local/localPath';
import type { StagingPlan } from '../scheduler/jobSpec';

interface StagingItem {
  /** upload: a local file or folder; copy: a path on the cluster. */
  kind: 'upload' | 'copy';
  from: string;
  /** Absolute path on the cluster, inside the work folder. */
  to: string;
  /** The source is outside the job file's folder (real paths: a link out counts as outside). */
  outside: boolean;
}

export interface StagingReview {
  workdir: string;
  items: StagingItem[];
  outside: StagingItem[];
}

export interface StagingInput {
  plan: StagingPlan;
  /** The job file's folder: local, or on the cluster for a remote job file. */
  specDir: string;
  remoteSpec: boolean;
  workdir: string;
  home: string;
}

/** Real path, or the path itself when it does not exist (the upload then fails with "not found"). */
async function realOr(p: string, realpath: (p: string) => Promise<string>): Promise<string> {
  return realpath(p).catch(() => p);
}

/**
 * Resolves the plan to items and flags sources outside the job file's folder. Local sources are
 * checked through real paths; cluster sources of a remote job file lexically (`~` expanded).
 */
export async function reviewStaging(s: StagingInput, o: { path?: PathApi; realpath?: (p: string) => Promise<string> } = {}): Promise<StagingReview> {
  const p = o.path ?? nodePath;
  const realpath = o.realpath ?? ((x: string) => fsp.realpath(x));
  const expand = (x: string, base: string) => (x === '~' ? s.home : x.startsWith('~/') ? posix.join(s.home, x.slice(2)) : posix.resolve(base, x));
  const items: StagingItem[] = [];
  for (const c of s.plan.copies) {
    const from = expand(c.from, s.remoteSpec ? s.specDir : s.home);
    items.push({ kind: 'copy', from, to: c.to, outside: s.remoteSpec && !isInside(s.specDir, from, posix) });
  }
  if (s.remoteSpec) {
    for (const u of s.plan.uploads) items.push({ kind: 'copy', from: u.local, to: u.remote, outside: !isInside(s.specDir, u.local, posix) });
  } else {
    const realDir = await realOr(s.specDir, realpath);
    const uploads: StagingItem[] = [];
    for (const u of s.plan.uploads) {
      const outside = !isInside(s.specDir, u.local, p) || !isInside(realDir, await realOr(u.local, realpath), p);
      uploads.push({ kind: 'upload', from: u.local, to: u.remote, outside });
    }
    // Uploads first, in the job file's order.
    items.unshift(...uploads);
  }
  for (const it of items) {
    if (!isInside(s.workdir, it.to, posix)) throw new Error(`An input's target ${it.to} is outside the work folder ${s.workdir}: inputs' "to" must stay inside it.`);
  }
  return { workdir: s.workdir, items, outside: items.filter((i) => i.outside) };
}

const LIST_MAX = 15;

function listed(items: readonly StagingItem[], line: (i: StagingItem) => string): string {
  const shown = items.slice(0, LIST_MAX).map(line);
  return [...shown, ...(items.length > LIST_MAX ? [`… and ${items.length - LIST_MAX} more`] : [])].join('\n');
}

/** The modal warning for sources outside the job file's folder. */
export function outsideWarning(r: StagingReview, jobFile: string): { message: string; detail: string } {
  return {
    message: `${jobFile} wants to send ${r.outside.length === 1 ? 'a file' : `${r.outside.length} files or folders`} from outside its folder. Send ${r.outside.length === 1 ? 'it' : 'them'} anyway?`,
    detail: `Only do this if you trust the job file.\n\n${listed(r.outside, (i) => `${i.kind === 'upload' ? 'this machine' : 'cluster'}: ${i.from}`)}`,
  };
}

/** The confirmation listing every input and the target folder, shown before anything is sent. */
export function stagingConfirmation(r: StagingReview, host: string): { message: string; detail: string } {
  const ups = r.items.filter((i) => i.kind === 'upload').length;
  const what = [ups ? `upload ${ups} item${ups === 1 ? '' : 's'}` : '', r.items.length - ups ? `copy ${r.items.length - ups} on the cluster` : ''].filter(Boolean).join(' and ');
  return {
    message: `Submitting will ${what} into ${host}:${r.workdir}.`,
    detail: listed(r.items, (i) => `${i.kind === 'upload' ? '↑' : '⇉'} ${i.from} → ${posix.relative(r.workdir, i.to)}`),
  };
}
