/**
 * Image preview webview: fit / 100 % / zoom (buttons, keys, Ctrl+wheel around the pointer) and
 * pan (drag); pixel size, file size, mtime; "Load full resolution" when the host sent a
 * downscaled rendering. SVG arrives as bytes and is shown from a blob URL inside <img>.
 */
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '../shared/common.css';
import './style.css';
import type { ImageMeta, ImageShown } from '../../src/shared/protocol';
import { formatBytes, formatTime, h, icon, leaveOffline, showMessage as showMessageIn, showOffline, updateProgressBar } from '../shared/dom';
import { WebviewRpc, RpcError } from '../shared/rpc';
import { getState, setState } from '../shared/vscode';
import { fitScale, formatScale, stepScale, wheelScale, type Size } from './zoom';

const rpc = new WebviewRpc('imagePreview');
/** Room kept around the image in the stage (CSS px, each side): .pad's padding in style.css. */
const PAD = 10;

/** Kept by VS Code while the tab is hidden and across window reloads. */
interface State {
  /** null = fit to window; else CSS px per pixel of the original image. */
  zoom: number | null;
  scrollLeft: number;
  scrollTop: number;
}

let meta: ImageMeta | undefined;
let shown: ImageShown | undefined;
let blobUrl: string | undefined;
const saved = getState<State>();
let zoom: number | null = typeof saved?.zoom === 'number' && saved.zoom > 0 ? saved.zoom : null;
/** Scroll position to restore once the image has its size (after a reload). */
let restoreScroll = zoom !== null && saved ? { left: saved.scrollLeft, top: saved.scrollTop } : undefined;

const title = h('span', { class: 'title' });
const status = h('span', { class: 'status', 'data-testid': 'status' });
const zoomLabel = h('span', { class: 'zoom status', 'aria-live': 'polite', 'data-testid': 'zoom' });
const fitBtn = h('vscode-toolbar-button', { icon: 'screen-normal', label: 'Fit to window (0)', title: 'Fit to window (0)', toggleable: true });
const actualBtn = h('vscode-toolbar-button', { icon: 'screen-full', label: 'Actual size (1)', title: 'Actual size, 100% (1)' });
const outBtn = h('vscode-toolbar-button', { icon: 'zoom-out', label: 'Zoom out (-)', title: 'Zoom out (-)' });
const inBtn = h('vscode-toolbar-button', { icon: 'zoom-in', label: 'Zoom in (+)', title: 'Zoom in (+)' });
const reloadBtn = h('vscode-toolbar-button', { icon: 'refresh', label: 'Reload', title: 'Reload from the remote host' });
const toolbar = h('div', { class: 'toolbar', role: 'toolbar' }, title, status, h('span', { class: 'spacer' }), zoomLabel, outBtn, inBtn, fitBtn, actualBtn, reloadBtn);
const bannerText = h('span');
const fullBtn = h('vscode-button', { icon: 'cloud-download', 'data-testid': 'load-full' }, 'Load full resolution');
const banner = h('div', { class: 'banner', hidden: true }, icon('info'), bannerText, fullBtn);
const progress = h('vscode-progress-bar', { class: 'progress', indeterminate: true, 'aria-label': 'Loading' });
const img = h('img', { alt: '', draggable: 'false' });
const pad = h('div', { class: 'pad' }, img);
const stage = h('div', { class: 'stage', tabindex: '0', 'aria-label': 'Image' });
const message = h('div', { class: 'message', hidden: true });
document.getElementById('app')?.append(toolbar, banner, progress, stage, message);

/** The original's pixel size (the host's word first: a downscaled rendering stands in for it). */
function naturalSize(): Size | undefined {
  const w = shown?.originalWidth ?? shown?.width ?? (img.naturalWidth || undefined);
  const hh = shown?.originalHeight ?? shown?.height ?? (img.naturalHeight || undefined);
  return w && hh ? { w, h: hh } : undefined;
}

/** The stage's inside (without scrollbars), less the padding kept around the image. */
function room(): Size {
  return { w: Math.max(0, stage.clientWidth - 2 * PAD), h: Math.max(0, stage.clientHeight - 2 * PAD) };
}

/**
 * Scale 1 in CSS px: the original's pixels, or, for an image without a size of its own (an SVG
 * with only a viewBox), the room it has; `object-fit: contain` keeps its aspect inside that box.
 */
function baseSize(): Size {
  return naturalSize() ?? room();
}

function currentFit(): number {
  return naturalSize() ? fitScale(baseSize(), room()) : 1;
}

function saveState(): void {
  setState<State>({ zoom, scrollLeft: stage.scrollLeft, scrollTop: stage.scrollTop });
}

/**
 * Draws the image at the current zoom: both sides get the same scale, always as explicit pixel
 * sizes (no max-width can squeeze one side). `anchor` (client coordinates) stays over the same
 * image point; without it, the point at the centre of the view does.
 */
function applyZoom(anchor?: { x: number; y: number }): void {
  if (!img.dataset.loaded) return;
  const base = baseSize();
  const fit = currentFit();
  const scale = zoom ?? fit;
  const view = stage.getBoundingClientRect();
  const at = anchor ?? { x: view.left + stage.clientWidth / 2, y: view.top + stage.clientHeight / 2 };
  const prev = img.getBoundingClientRect();
  const fx = prev.width > 0 ? (at.x - prev.left) / prev.width : 0.5;
  const fy = prev.height > 0 ? (at.y - prev.top) / prev.height : 0.5;

  img.style.width = `${base.w * scale}px`;
  img.style.height = `${base.h * scale}px`;
  // Pixels of the bitmap shown, enlarged: draw them as squares, not blurred (as VS Code does).
  const bitmapW = img.naturalWidth || base.w;
  img.classList.toggle('pixelated', shown?.source.mime !== 'image/svg+xml' && (base.w * scale) / bitmapW > 1.001);
  stage.classList.toggle('fit', zoom === null);
  stage.classList.toggle('pannable', stage.scrollWidth > stage.clientWidth || stage.scrollHeight > stage.clientHeight);
  (fitBtn as HTMLElement & { checked: boolean }).checked = zoom === null;
  zoomLabel.textContent = formatScale(scale);
  zoomLabel.title = zoom === null ? `Fit to window: ${formatScale(scale)}` : `Zoom ${formatScale(scale)}`;

  if (restoreScroll) {
    stage.scrollLeft = restoreScroll.left;
    stage.scrollTop = restoreScroll.top;
    restoreScroll = undefined;
  } else if (prev.width > 0 && zoom !== null) {
    const next = img.getBoundingClientRect();
    stage.scrollLeft += next.left + fx * next.width - at.x;
    stage.scrollTop += next.top + fy * next.height - at.y;
  }
  saveState();
}

function setZoom(next: number | null, anchor?: { x: number; y: number }): void {
  zoom = next;
  applyZoom(anchor);
}

function stepZoom(dir: 1 | -1, anchor?: { x: number; y: number }): void {
  setZoom(stepScale(zoom ?? currentFit(), dir, currentFit()), anchor);
}

function describe(): void {
  if (!meta) return;
  title.textContent = meta.name;
  title.title = `${meta.host}:${meta.path}`;
  const n = naturalSize();
  const parts = [n ? `${n.w} × ${n.h} px` : undefined, formatBytes(meta.fileSize), `modified ${formatTime(meta.mtimeMs)}`];
  status.textContent = parts.filter(Boolean).join(' · ');
  if (shown?.downscaled) {
    const s = `${shown.width ?? img.naturalWidth} × ${shown.height ?? img.naturalHeight}`;
    bannerText.textContent = `Showing a preview downscaled on the remote host (${s} px)${shown.convertedFrom ? `, converted from ${shown.convertedFrom}` : ''}.`;
    banner.hidden = false;
  } else if (shown?.convertedFrom) {
    bannerText.textContent = `Converted from ${shown.convertedFrom} on the remote host.`;
    banner.hidden = false;
    fullBtn.hidden = true;
  } else {
    banner.hidden = true;
  }
  if (shown?.downscaled) fullBtn.hidden = false;
}

function showMessage(text: string, isError: boolean): void {
  showMessageIn(message, text, isError, [stage, progress]);
}

rpc.on('meta', (m) => {
  meta = m;
  describe();
});

rpc.on('offline', (info) => showOffline(message, info, 'this image', [stage, progress], () => rpc.request('connect', {})));

rpc.on('progress', (p) => {
  leaveOffline(message);
  if (!updateProgressBar(progress, p)) return;
  if (!shown) {
    const label = p.label ?? 'Loading';
    const amount = p.loaded !== undefined ? ` ${formatBytes(p.loaded)}${p.total ? ` of ${formatBytes(p.total)}` : ''}` : '';
    status.textContent = `${label}${amount}…`;
  }
});

rpc.on('image', (s) => {
  shown = s;
  message.hidden = true;
  stage.hidden = false;
  progress.hidden = true;
  if (blobUrl) URL.revokeObjectURL(blobUrl);
  blobUrl = undefined;
  let src: string;
  if (s.source.kind === 'bytes') {
    blobUrl = URL.createObjectURL(new Blob([s.source.data as Uint8Array<ArrayBuffer>], { type: s.source.mime }));
    src = blobUrl;
  } else src = s.source.uri;
  img.alt = meta?.name ?? 'image';
  img.src = src;
  if (!stage.contains(pad)) stage.append(pad);
  describe();
});

rpc.on('error', (e) => {
  if (e.cancelled) return;
  showMessage(e.message, true);
});

img.addEventListener('load', () => {
  img.dataset.loaded = 'true';
  describe();
  applyZoom();
});
img.addEventListener('error', () => {
  if (!shown) return;
  rpc.notify('decodeError', { message: `Could not decode ${meta?.name ?? 'the image'}` });
  showMessage(`This image could not be displayed (${shown.source.mime}).`, true);
});

fitBtn.addEventListener('click', () => setZoom(zoom === null ? 1 : null));
actualBtn.addEventListener('click', () => setZoom(1));
inBtn.addEventListener('click', () => stepZoom(1));
outBtn.addEventListener('click', () => stepZoom(-1));
reloadBtn.addEventListener('click', () => void rpc.request('reload', {}).catch(() => undefined));
fullBtn.addEventListener('click', () => {
  (fullBtn as HTMLElement & { disabled: boolean }).disabled = true;
  rpc.request('loadFullResolution', {}).then(
    () => {
      (fullBtn as HTMLElement & { disabled: boolean }).disabled = false;
    },
    (err: unknown) => {
      (fullBtn as HTMLElement & { disabled: boolean }).disabled = false;
      if (!(err instanceof RpcError && err.cancelled)) bannerText.textContent = `Could not load the full resolution: ${err instanceof Error ? err.message : String(err)}`;
    },
  );
});

// Ctrl+wheel (and a trackpad pinch, which arrives as one) zooms smoothly around the pointer.
stage.addEventListener(
  'wheel',
  (e) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    if (!img.dataset.loaded) return;
    setZoom(wheelScale(zoom ?? currentFit(), e.deltaY, currentFit()), { x: e.clientX, y: e.clientY });
  },
  { passive: false },
);
stage.addEventListener('scroll', () => saveState(), { passive: true });

// Drag to pan, whenever there is something to pan to (not on the scrollbars).
let drag: { x: number; y: number; left: number; top: number } | undefined;
stage.addEventListener('pointerdown', (e) => {
  if (e.button !== 0 || !stage.classList.contains('pannable')) return;
  const r = stage.getBoundingClientRect();
  if (e.clientX - r.left >= stage.clientWidth || e.clientY - r.top >= stage.clientHeight) return;
  drag = { x: e.clientX, y: e.clientY, left: stage.scrollLeft, top: stage.scrollTop };
  stage.setPointerCapture(e.pointerId);
  stage.classList.add('panning');
});
stage.addEventListener('pointermove', (e) => {
  if (!drag) return;
  stage.scrollLeft = drag.left - (e.clientX - drag.x);
  stage.scrollTop = drag.top - (e.clientY - drag.y);
});
const endDrag = () => {
  drag = undefined;
  stage.classList.remove('panning');
};
stage.addEventListener('pointerup', endDrag);
stage.addEventListener('pointercancel', endDrag);
stage.addEventListener('dblclick', (e) => setZoom(zoom === null ? 1 : null, zoom === null ? { x: e.clientX, y: e.clientY } : undefined));

window.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === '+' || e.key === '=') stepZoom(1);
  else if (e.key === '-') stepZoom(-1);
  else if (e.key === '0') setZoom(null);
  else if (e.key === '1') setZoom(1);
  else return;
  e.preventDefault();
});
// The view changes size with the window, the toolbar wrapping and the banner: Fit follows.
new ResizeObserver(() => applyZoom()).observe(stage);

rpc.start();
