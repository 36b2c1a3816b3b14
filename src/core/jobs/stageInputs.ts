/**
 * Sending a reviewed staging plan (core/jobs/staging.ts) without the UI: the work folder is made,
 * local inputs (files or folders) uploaded atomically, inputs already on the cluster copied.
 */
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import { posix } from 'node:path';
import { CancelledError } from '../cancel';
import type { RemoteOps } from '../remote/types';
import type { StagingReview } from './staging';

/** `mkdir -p` on the cluster. */
export async function mkdirp(ops: RemoteOps, dir: string): Promise<void> {
  await ops.mkdir(dir, { recursive: true });
}

export interface StageOptions {
  signal?: AbortSignal;
  /** Called before each input: what it does, and its place among all of them. */
  onStep?(what: string, done: number, total: number): void;
}

/** Stages every reviewed input into the work folder, in order. */
export async function stageInputs(ops: RemoteOps, review: StagingReview, o: StageOptions = {}): Promise<void> {
  const check = () => {
    if (o.signal?.aborted) throw new CancelledError();
  };
  await mkdirp(ops, review.workdir);
  const total = review.items.length;
  let done = 0;
  for (const it of review.items) {
    check();
    o.onStep?.(`${it.kind === 'upload' ? 'uploading' : 'copying'} ${nodePath.basename(it.from)}`, ++done, total);
    if (it.kind === 'upload') await uploadPath(ops, it.from, it.to, o.signal);
    else if (it.from !== it.to) {
      await mkdirp(ops, posix.dirname(it.to));
      await ops.copy(it.from, it.to, { overwrite: true });
    }
  }
  check();
}

/** Uploads a local file, or a folder recursively (regular files and folders only, no links). */
async function uploadPath(ops: RemoteOps, local: string, remote: string, signal: AbortSignal | undefined): Promise<void> {
  const st = await fsp.stat(local).catch(() => null);
  if (!st) throw new Error(`Input not found: ${local}`);
  if (st.isDirectory()) {
    await mkdirp(ops, remote);
    for (const e of await fsp.readdir(local, { withFileTypes: true })) {
      if (signal?.aborted) throw new CancelledError();
      if (e.isDirectory() || e.isFile()) await uploadPath(ops, nodePath.join(local, e.name), posix.join(remote, e.name), signal);
    }
    return;
  }
  await mkdirp(ops, posix.dirname(remote));
  await ops.writeFileAtomic(remote, await fsp.readFile(local), { create: true, overwrite: true });
}
