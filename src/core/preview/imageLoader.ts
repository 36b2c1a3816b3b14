/**
 * What the image preview shows for one remote file, fetched into the preview cache:
 *  - a browser-readable image of modest size: the file itself;
 *  - a large one (bytes or pixels): a rendering downscaled on the remote, with the original's
 *    pixel size, so the webview can offer "Load full resolution";
 *  - TIFF and friends: converted on the remote (to PNG, downscaled when large).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CancelledError } from '../cancel';
import type { RemoteOps } from '../remote/types';
import type { PreviewCache, CacheKey } from './cache';
import { downloadToFile } from './download';
import { IMAGE_HEADER_BYTES, imageSize } from './imageSize';
import { BROWSER_IMAGE_EXTS, extOf, mimeOf } from './mime';
import { renderRemote } from './thumbnails';

export interface ImageLoadOptions {
  ops: RemoteOps;
  /** Niceness of a remote conversion (default 10). */
  nice?: number;
  cache: PreviewCache;
  host: string;
  path: string;
  size: number;
  mtimeMs: number;
  /** Skip downscaling: the original (converted when the browser can't read it). */
  full?: boolean;
  /** Longest side of a downscaled preview (default 2048). */
  previewMaxSide?: number;
  /** Larger files are downscaled first (default 12 MiB). */
  maxDirectBytes?: number;
  /** Images with more pixels are downscaled first (default 24 Mpx). */
  maxDirectPixels?: number;
  signal?: AbortSignal;
  onProgress?(loaded: number, total: number | undefined, label: string): void;
}

export interface LoadedImage {
  /** Local file in the preview cache. */
  file: string;
  key: CacheKey;
  mime: string;
  width?: number;
  height?: number;
  originalWidth?: number;
  originalHeight?: number;
  downscaled: boolean;
  convertedFrom?: string;
}

class UnsupportedImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedImageError';
  }
}

export async function loadImage(o: ImageLoadOptions): Promise<LoadedImage> {
  const ext = extOf(o.path);
  const native = BROWSER_IMAGE_EXTS.has(ext);
  const base = { host: o.host, path: o.path, size: o.size, mtimeMs: o.mtimeMs };
  const maxBytes = o.maxDirectBytes ?? 12 * 1024 * 1024;
  const maxPixels = o.maxDirectPixels ?? 24_000_000;
  const previewSide = o.previewMaxSide ?? 2048;

  const fetchOriginal = async (): Promise<LoadedImage> => {
    const key: CacheKey = { ...base, variant: 'full', ext: ext || 'bin' };
    const file = await o.cache.produce(key, (tmp) =>
      downloadToFile(o.ops, o.path, o.size, tmp, { signal: o.signal, onProgress: (l, t) => o.onProgress?.(l, t, 'Downloading') }),
    );
    return { file, key, mime: mimeOf(ext), downscaled: false };
  };

  const render = async (maxSide: number, label: string): Promise<LoadedImage | undefined> => {
    const variant = maxSide ? `preview-${maxSide}` : 'converted';
    o.onProgress?.(0, undefined, label);
    const batch = await renderRemote(o.ops, [o.path], { maxSize: maxSide, format: maxSide ? 'auto' : 'png', signal: o.signal, workers: 1, ...(o.nice !== undefined ? { nice: o.nice } : {}) });
    const r = batch.results[0];
    if (!r.ok) {
      if (r.unsupported) return undefined;
      throw new Error(r.error);
    }
    const key: CacheKey = { ...base, variant, ext: r.format === 'jpeg' ? 'jpg' : 'png' };
    const file = await o.cache.produce(key, (tmp) => writeFile(tmp, r.data));
    const downscaled = r.originalWidth !== undefined && r.originalHeight !== undefined && (r.width < r.originalWidth || r.height < r.originalHeight);
    return {
      file,
      key,
      mime: r.mime,
      width: r.width,
      height: r.height,
      ...(r.originalWidth !== undefined ? { originalWidth: r.originalWidth, originalHeight: r.originalHeight } : {}),
      downscaled: downscaled || (maxSide > 0 && r.originalWidth === undefined),
      ...(native ? {} : { convertedFrom: ext.toUpperCase() }),
    };
  };

  if (o.signal?.aborted) throw new CancelledError();

  if (native && (o.full || ext === 'svg')) return fetchOriginal();

  // Pixel size from the header: cheap, and decides whether to downscale.
  const header = o.size > 0 ? await o.ops.readFile(o.path, { offset: 0, length: Math.min(o.size, IMAGE_HEADER_BYTES) }) : Buffer.alloc(0);
  const dims = imageSize(header);
  const tooBig = o.size > maxBytes || (dims !== undefined && dims.width * dims.height > maxPixels);

  if (native && !tooBig) {
    if (header.length === o.size) {
      const key: CacheKey = { ...base, variant: 'full', ext };
      const file = await o.cache.produce(key, (tmp) => writeFile(tmp, header));
      return { file, key, mime: mimeOf(ext), downscaled: false, ...sizeFields(dims) };
    }
    return { ...(await fetchOriginal()), ...sizeFields(dims) };
  }

  if (!native && o.full) {
    const converted = (await cachedRender(o, base, 'converted')) ?? (await render(0, `Converting ${ext.toUpperCase()} on the remote host`));
    if (converted) return withOriginal(converted, dims);
    throw new UnsupportedImageError(`Can't show ${ext.toUpperCase()} here: the remote host has neither Pillow nor ImageMagick to convert it.`);
  }

  // Large, or a format the browser can't read: render on the remote.
  const side = tooBig || (dims && Math.max(dims.width, dims.height) > previewSide) ? previewSide : 0;
  const variant = side ? `preview-${side}` : 'converted';
  const shown = (await cachedRender(o, base, variant)) ?? (await render(side, side ? 'Downscaling on the remote host' : `Converting ${ext.toUpperCase()} on the remote host`));
  if (shown) return withOriginal(shown, dims);
  if (native) return { ...(await fetchOriginal()), ...sizeFields(dims) };
  throw new UnsupportedImageError(`Can't show ${ext.toUpperCase()} here: the remote host has neither Pillow nor ImageMagick to convert it.`);
}

function sizeFields(dims: { width: number; height: number } | undefined): Partial<LoadedImage> {
  return dims ? { width: dims.width, height: dims.height, originalWidth: dims.width, originalHeight: dims.height } : {};
}

function withOriginal(img: LoadedImage, dims: { width: number; height: number } | undefined): LoadedImage {
  if (img.originalWidth === undefined && dims) return { ...img, originalWidth: dims.width, originalHeight: dims.height, downscaled: img.downscaled || (img.width ?? 0) < dims.width };
  return img;
}

/** A rendering made earlier (by this or a previous session). */
async function cachedRender(o: ImageLoadOptions, base: Omit<CacheKey, 'variant' | 'ext'>, variant: string): Promise<LoadedImage | undefined> {
  for (const ext of ['jpg', 'png']) {
    const key: CacheKey = { ...base, variant, ext };
    const file = o.cache.get(key);
    if (!file) continue;
    const dims = imageSize(await readFile(file));
    return {
      file,
      key,
      mime: mimeOf(ext),
      ...(dims ? { width: dims.width, height: dims.height } : {}),
      downscaled: variant !== 'converted',
      ...(BROWSER_IMAGE_EXTS.has(extOf(o.path)) ? {} : { convertedFrom: extOf(o.path).toUpperCase() }),
    };
  }
  return undefined;
}
