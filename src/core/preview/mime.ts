/** Extensions the previews know, and their MIME types. */

const IMAGE_EXTS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg', 'tif', 'tiff'] as const;
/** What a browser <img> shows as is. */
export const BROWSER_IMAGE_EXTS = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'svg']);
/** Still frames ffmpeg's image2 demuxer reads, for videos. */
export const FRAME_EXTS = new Set(['png', 'jpg', 'jpeg', 'tif', 'tiff', 'bmp', 'webp', 'gif']);

const MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogg: 'video/ogg',
  ogv: 'video/ogg',
  mov: 'video/quicktime',
};

/** Lower-case extension without the dot ('' when none). */
export function extOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

export function mimeOf(ext: string): string {
  return MIME[ext.toLowerCase()] ?? 'application/octet-stream';
}

export function isImagePath(path: string): boolean {
  return (IMAGE_EXTS as readonly string[]).includes(extOf(path));
}

/** jpg and jpeg decode alike; tif and tiff too. */
export function formatGroup(ext: string): string {
  const e = ext.toLowerCase();
  return e === 'jpeg' ? 'jpg' : e === 'tiff' ? 'tif' : e;
}

export function basename(path: string): string {
  const p = path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path;
  return p.slice(p.lastIndexOf('/') + 1);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

let collator: Intl.Collator | undefined;

/** Name order that puts frame2 before frame10. (The collator is built on first use: ~25 ms that activation need not pay.) */
export function naturalCompare(a: string, b: string): number {
  collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });
  return collator.compare(a, b);
}
