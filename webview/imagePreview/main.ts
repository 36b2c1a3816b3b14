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
import { formatBytes, formatTime, h, icon, showMessage as showMessageIn, updateProgressBar } from '../shared/dom';
import { WebviewRpc, RpcError } from '../shared/rpc';

const rpc = new WebviewRpc('imagePreview');
const ZOOMS = [0.05, 0.1, 0.2, 0.33, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32];

let meta: ImageMeta | undefined;
let shown: ImageShown | undefined;
let blobUrl: string | undefined;
/** null = fit to window. Relative to the original's pixels. */
let zoom: number | null = null;

const title = h('span', { class: 'title' });
const status = h('span', { class: 'status', 'data-testid': 'status' });
const zoomLabel = h('span', { class: 'zoom status', 'aria-live': 'polite' });
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
const stage = h('div', { class: 'stage fit', tabindex: '0', 'aria-label': 'Image' });
const message = h('div', { class: 'message', hidden: true });
document.getElementById('app')?.append(toolbar, banner, progress, stage, message);

function naturalSize(): { w: number; h: number } | undefined {
  const w = shown?.originalWidth ?? shown?.width ?? (img.naturalWidth || undefined);
  const hh = shown?.originalHeight ?? shown?.height ?? (img.naturalHeight || undefined);
  return w && hh ? { w, h: hh } : undefined;
}

function fitScale(): number {
  const n = naturalSize();
  if (!n) return 1;
  return Math.min(1, (stage.clientWidth - 2) / n.w, (stage.clientHeight - 2) / n.h);
}

function applyZoom(anchor?: { x: number; y: number }): void {
  const n = naturalSize();
  const prev = img.getBoundingClientRect();
  stage.classList.toggle('fit', zoom === null);
  stage.classList.toggle('zoomed', zoom !== null);
  (fitBtn as HTMLElement & { checked: boolean }).checked = zoom === null;
  if (zoom === null || !n) {
    img.style.width = '';
    img.style.height = '';
    img.classList.remove('pixelated');
  } else {
    img.style.width = `${n.w * zoom}px`;
    img.style.height = `${n.h * zoom}px`;
    const shownW = shown?.width ?? img.naturalWidth;
    img.classList.toggle('pixelated', shownW > 0 && (n.w * zoom) / shownW >= 3);
  }
  const effective = zoom ?? fitScale();
  zoomLabel.textContent = `${Math.round(effective * 100)}%`;
  if (anchor && prev.width > 0) {
    // keep the image point under the pointer where it was
    const next = img.getBoundingClientRect();
    const fx = (anchor.x - prev.left) / prev.width;
    const fy = (anchor.y - prev.top) / prev.height;
    stage.scrollLeft += next.left + fx * next.width - anchor.x;
    stage.scrollTop += next.top + fy * next.height - anchor.y;
  }
}

function stepZoom(dir: 1 | -1, anchor?: { x: number; y: number }): void {
  const current = zoom ?? fitScale();
  const next = dir > 0 ? ZOOMS.find((z) => z > current * 1.001) : [...ZOOMS].reverse().find((z) => z < current * 0.999);
  zoom = next ?? current;
  applyZoom(anchor);
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

rpc.on('progress', (p) => {
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

fitBtn.addEventListener('click', () => {
  zoom = zoom === null ? 1 : null;
  applyZoom();
});
actualBtn.addEventListener('click', () => {
  zoom = 1;
  applyZoom();
});
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

stage.addEventListener(
  'wheel',
  (e) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    stepZoom(e.deltaY < 0 ? 1 : -1, { x: e.clientX, y: e.clientY });
  },
  { passive: false },
);

// drag to pan
let drag: { x: number; y: number; left: number; top: number } | undefined;
stage.addEventListener('pointerdown', (e) => {
  if (e.button !== 0 || zoom === null) return;
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
stage.addEventListener('dblclick', (e) => {
  zoom = zoom === null ? 1 : null;
  applyZoom(zoom === null ? undefined : { x: e.clientX, y: e.clientY });
});

window.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement) return;
  if (e.key === '+' || e.key === '=') stepZoom(1);
  else if (e.key === '-') stepZoom(-1);
  else if (e.key === '0') {
    zoom = null;
    applyZoom();
  } else if (e.key === '1') {
    zoom = 1;
    applyZoom();
  } else return;
  e.preventDefault();
});
window.addEventListener('resize', () => applyZoom());

rpc.start();
