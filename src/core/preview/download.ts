/**
 * Copies a remote file to a local path in ranged reads, several in flight (so a high-latency
 * link stays busy), reporting progress and honouring an AbortSignal.
 */
import { open } from 'node:fs/promises';
import { CancelledError } from '../cancel';
import { formatSize } from '../remote/format';
import type { RemoteOps } from '../remote/types';

export interface DownloadOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** Reads in flight (default 4). */
  parallel?: number;
  signal?: AbortSignal;
  onProgress?(loaded: number, total: number): void;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * A preview that needs the whole file in the local cache (video) refuses one bigger than the cache
 * holds: the remote's announced size would otherwise decide how much local disk fills up.
 */
export function checkFitsCache(remotePath: string, size: number, cacheLimit: number): void {
  if (size > cacheLimit) {
    throw new Error(
      `${remotePath} is ${formatSize(size)}, more than the preview cache holds (${formatSize(cacheLimit)}). ` +
        'Use Download… to copy it, or raise remoteHpc.preview.cacheSizeMB.',
    );
  }
}

/** Writes `size` bytes of the remote file to `localPath`; fails if the file came out shorter. */
export async function downloadToFile(ops: RemoteOps, remotePath: string, size: number, localPath: string, opts: DownloadOptions = {}): Promise<void> {
  const chunk = opts.chunkSize ?? 1024 * 1024;
  const parallel = Math.max(1, opts.parallel ?? 4);
  const fh = await open(localPath, 'w');
  try {
    let next = 0;
    let loaded = 0;
    opts.onProgress?.(0, size);
    const worker = async () => {
      while (next < size) {
        throwIfAborted(opts.signal);
        const offset = next;
        const length = Math.min(chunk, size - offset);
        next += length;
        const data = await ops.readFile(remotePath, { offset, length });
        throwIfAborted(opts.signal);
        if (data.length !== length) throw new Error(`${remotePath} changed while it was read (${data.length} of ${length} bytes at ${offset})`);
        await fh.write(data, 0, data.length, offset);
        loaded += data.length;
        opts.onProgress?.(loaded, size);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, Math.max(1, Math.ceil(size / chunk))) }, worker));
  } finally {
    await fh.close();
  }
}
