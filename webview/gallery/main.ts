/**
 * Gallery webview: a virtualised grid (only the rows on screen, plus a little overscan, exist
 * in the DOM, so 10,000 images scroll smoothly); thumbnails arrive in batches and are asked for
 * on-screen first; filter by name, sort by name/time/size; keyboard navigation; Enter or click
 * previews the image beside and the gallery keeps the keyboard (the arrows go on through the
 * images, as in VS Code's explorer); a double-click opens it to stay and moves there.
 */
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '../shared/common.css';
import './style.css';
import type { GalleryEntry, GalleryThumb } from '../../src/shared/protocol';
import { debounce, formatBytes, formatTime, h, icon, leaveOffline, showOffline, updateProgressBar } from '../shared/dom';
import { getState, setState } from '../shared/vscode';
import { WebviewRpc } from '../shared/rpc';

type SortKey = 'name' | 'mtime' | 'size';
interface State {
  /** What the panel shows: read back by the extension's serializer after a reload. */
  host?: string;
  folder?: string;
  filter: string;
  sort: SortKey;
  desc: boolean;
  scrollTop: number;
  selected?: string;
}

const CELL_W = 168;
const ROW_H = 196;
const PAD = 8;
const OVERSCAN_ROWS = 2;

const rpc = new WebviewRpc('gallery');
const saved = getState<State>();
const state: State = { host: saved?.host, folder: saved?.folder, filter: saved?.filter ?? '', sort: saved?.sort ?? 'name', desc: saved?.desc ?? false, scrollTop: saved?.scrollTop ?? 0, selected: saved?.selected };

const entries = new Map<string, GalleryEntry>();
const thumbs = new Map<string, GalleryThumb>();
let view: GalleryEntry[] = [];
let selected = -1;
let complete = false;
let folder = '';
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

// ------------------------------------------------------------------ layout
const title = h('span', { class: 'title' });
const count = h('span', { class: 'status', 'data-testid': 'count', 'aria-live': 'polite' });
const work = h('span', { class: 'status', 'data-testid': 'work', 'aria-live': 'polite', hidden: true });
const filterBox = h('vscode-textfield', { class: 'filter', placeholder: 'Filter by name', 'aria-label': 'Filter by name' });
filterBox.append(h('span', { slot: 'content-before', class: 'codicon codicon-filter' }));
const sortSelect = h(
  'vscode-single-select',
  { 'aria-label': 'Sort by' },
  h('vscode-option', { value: 'name' }, 'Name'),
  h('vscode-option', { value: 'mtime' }, 'Modified'),
  h('vscode-option', { value: 'size' }, 'Size'),
);
const dirBtn = h('vscode-toolbar-button', { icon: 'arrow-up', label: 'Ascending', title: 'Reverse the order' });
const videoBtn = h('vscode-toolbar-button', { icon: 'device-camera-video', label: 'Make video', title: 'Make a video from the images shown' });
const refreshBtn = h('vscode-toolbar-button', { icon: 'refresh', label: 'Refresh', title: 'List the folder again' });
const toolbar = h('div', { class: 'toolbar', role: 'toolbar' }, title, count, work, h('span', { class: 'spacer' }), filterBox, sortSelect, dirBtn, videoBtn, refreshBtn);
const progress = h('vscode-progress-bar', { class: 'progress', indeterminate: true, 'aria-label': 'Listing' });
const spacer = h('div', { class: 'spacer' });
const viewport = h('div', { class: 'viewport', tabindex: '0', role: 'listbox', 'aria-label': 'Images', 'aria-multiselectable': 'false' }, spacer);
const empty = h('div', { class: 'empty', hidden: true });
const offline = h('div', { class: 'message', hidden: true });
document.getElementById('app')?.append(toolbar, progress, viewport, empty, offline);

(filterBox as HTMLElement & { value: string }).value = state.filter;
(sortSelect as HTMLElement & { value: string }).value = state.sort;

// ------------------------------------------------------------------ model → view
function recompute(): void {
  const needle = state.filter.trim().toLowerCase();
  const list = [...entries.values()].filter((e) => !needle || e.name.toLowerCase().includes(needle));
  const cmp =
    state.sort === 'name'
      ? (a: GalleryEntry, b: GalleryEntry) => collator.compare(a.name, b.name)
      : state.sort === 'mtime'
        ? (a: GalleryEntry, b: GalleryEntry) => a.mtimeMs - b.mtimeMs || collator.compare(a.name, b.name)
        : (a: GalleryEntry, b: GalleryEntry) => a.size - b.size || collator.compare(a.name, b.name);
  list.sort(state.desc ? (a, b) => cmp(b, a) : cmp);
  const selPath = selected >= 0 ? view[selected]?.path : state.selected;
  view = list;
  selected = selPath ? view.findIndex((e) => e.path === selPath) : -1;
  const total = entries.size;
  count.textContent = `${view.length === total ? '' : `${view.length.toLocaleString()} of `}${total.toLocaleString()} image${total === 1 ? '' : 's'}${complete ? '' : '…'}`;
  empty.hidden = view.length > 0 || !complete;
  empty.textContent = total === 0 ? 'No images in this folder.' : 'No image matches the filter.';
  render();
}

const cells = new Map<string, HTMLElement>();
const spare: HTMLElement[] = [];

function columns(): number {
  return Math.max(1, Math.floor((viewport.clientWidth - PAD * 2) / CELL_W));
}

function makeCell(): HTMLElement {
  const frame = h('div', { class: 'frame' });
  const name = h('div', { class: 'name' });
  const cell = h('div', { class: 'cell', role: 'option' }, frame, name);
  cell.style.width = `${CELL_W - 8}px`;
  cell.style.height = `${ROW_H - 8}px`;
  return cell;
}

function fillCell(cell: HTMLElement, e: GalleryEntry, index: number): void {
  cell.id = `cell-${index}`;
  cell.dataset.index = String(index);
  cell.setAttribute('aria-selected', String(index === selected));
  cell.classList.toggle('selected', index === selected);
  if (cell.dataset.path !== e.path) {
    cell.dataset.path = e.path;
    cell.dataset.thumb = '';
    (cell.lastElementChild as HTMLElement).textContent = e.name;
  }
  cell.title = `${e.name}\n${formatBytes(e.size)} · ${formatTime(e.mtimeMs)}`;
  const t = thumbs.get(e.path);
  const frame = cell.firstElementChild as HTMLElement;
  const stateKey = !t ? 'pending' : 'uri' in t ? t.uri : `error:${t.error}`;
  if (cell.dataset.thumb === stateKey) return;
  cell.dataset.thumb = stateKey;
  if (!t) frame.replaceChildren(icon('loading'));
  else if ('uri' in t) {
    const img = h('img', { class: 'thumb', alt: e.name, draggable: 'false', decoding: 'async' });
    img.addEventListener('load', () => (img.dataset.loaded = 'true'), { once: true });
    img.src = t.uri;
    frame.replaceChildren(img);
  } else {
    const i = icon(t.unsupported ? 'file-media' : 'warning');
    i.title = t.error;
    frame.replaceChildren(i);
  }
}

function render(): void {
  const cols = columns();
  const rows = Math.ceil(view.length / cols);
  spacer.style.height = `${rows * ROW_H + PAD * 2}px`;
  const top = viewport.scrollTop;
  const height = viewport.clientHeight;
  const firstVisible = Math.max(0, Math.floor((top - PAD) / ROW_H));
  const lastVisible = Math.min(rows - 1, Math.floor((top + height - PAD) / ROW_H));
  const first = Math.max(0, firstVisible - OVERSCAN_ROWS);
  const last = Math.min(rows - 1, lastVisible + OVERSCAN_ROWS);
  const keep = new Set<string>();
  const offsetX = Math.max(PAD, Math.floor((viewport.clientWidth - cols * CELL_W) / 2));
  for (let i = first * cols; i < Math.min(view.length, (last + 1) * cols); i++) {
    const e = view[i];
    keep.add(e.path);
    let cell = cells.get(e.path);
    if (!cell) {
      cell = spare.pop() ?? makeCell();
      cells.set(e.path, cell);
      if (!cell.isConnected) spacer.append(cell);
    }
    const r = Math.floor(i / cols);
    const c = i % cols;
    cell.style.transform = `translate(${offsetX + c * CELL_W}px, ${PAD + r * ROW_H}px)`;
    fillCell(cell, e, i);
  }
  for (const [path, cell] of cells) {
    if (keep.has(path)) continue;
    cells.delete(path);
    cell.remove();
    delete cell.dataset.path;
    spare.push(cell);
  }
  if (selected >= 0) viewport.setAttribute('aria-activedescendant', `cell-${selected}`);
  else viewport.removeAttribute('aria-activedescendant');
  askForThumbs(firstVisible * cols, (lastVisible + 1) * cols, first * cols, (last + 1) * cols);
}

/** On-screen images first, then the overscan rows; the host replaces its queue with this. */
let lastWish = '';
const sendWish = debounce(60, (paths: string[]) => {
  const key = paths.join('\0');
  if (key === lastWish) return;
  lastWish = key;
  rpc.notify('want', { paths });
});
function askForThumbs(visFrom: number, visTo: number, from: number, to: number): void {
  const paths: string[] = [];
  const add = (i: number) => {
    const e = view[i];
    if (e && !thumbs.has(e.path)) paths.push(e.path);
  };
  for (let i = visFrom; i < Math.min(visTo, view.length); i++) add(i);
  for (let i = from; i < Math.min(to, view.length); i++) if (i < visFrom || i >= visTo) add(i);
  sendWish(paths.slice(0, 2000));
}

// ------------------------------------------------------------------ selection and keys
function select(i: number, reveal = true): void {
  if (view.length === 0) return;
  selected = Math.max(0, Math.min(view.length - 1, i));
  state.selected = view[selected].path;
  if (reveal) {
    const row = Math.floor(selected / columns());
    const y = PAD + row * ROW_H;
    if (y < viewport.scrollTop) viewport.scrollTop = y;
    else if (y + ROW_H > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = y + ROW_H - viewport.clientHeight;
  }
  render();
  saveState();
}

/** Previews the image beside, the gallery keeping the keyboard; `pin` keeps the tab and moves there. */
function open(i: number, pin = false): void {
  const e = view[i];
  if (e) rpc.notify('open', { path: e.path, ...(pin ? { pin } : {}) });
}

viewport.addEventListener('keydown', (ev) => {
  const cols = columns();
  const pageRows = Math.max(1, Math.floor(viewport.clientHeight / ROW_H));
  const cur = selected < 0 ? -1 : selected;
  const moves: Record<string, number> = {
    ArrowRight: cur + 1,
    ArrowLeft: cur - 1,
    ArrowDown: cur < 0 ? 0 : cur + cols,
    ArrowUp: cur - cols,
    PageDown: cur + cols * pageRows,
    PageUp: cur - cols * pageRows,
    Home: 0,
    End: view.length - 1,
  };
  if (ev.key in moves) {
    ev.preventDefault();
    select(moves[ev.key]);
  } else if ((ev.key === 'Enter' || ev.key === ' ') && selected >= 0) {
    ev.preventDefault();
    open(selected);
  }
});

spacer.addEventListener('click', (ev) => {
  const cell = (ev.target as HTMLElement).closest<HTMLElement>('.cell');
  if (!cell?.dataset.index) return;
  const i = Number(cell.dataset.index);
  select(i, false);
  viewport.focus();
  open(i);
});
spacer.addEventListener('dblclick', (ev) => {
  const cell = (ev.target as HTMLElement).closest<HTMLElement>('.cell');
  if (cell?.dataset.index) open(Number(cell.dataset.index), true);
});

// ------------------------------------------------------------------ toolbar
const saveState = debounce(200, () => setState<State>({ ...state, scrollTop: viewport.scrollTop }));
filterBox.addEventListener(
  'input',
  debounce(120, () => {
    state.filter = (filterBox as HTMLElement & { value: string }).value;
    viewport.scrollTop = 0;
    recompute();
    saveState();
  }),
);
sortSelect.addEventListener('change', () => {
  state.sort = (sortSelect as HTMLElement & { value: string }).value as SortKey;
  recompute();
  saveState();
});
function showDir(): void {
  dirBtn.setAttribute('icon', state.desc ? 'arrow-down' : 'arrow-up');
  dirBtn.setAttribute('label', state.desc ? 'Descending' : 'Ascending');
}
dirBtn.addEventListener('click', () => {
  state.desc = !state.desc;
  showDir();
  recompute();
  saveState();
});
showDir();
refreshBtn.addEventListener('click', () => void rpc.request('refresh', {}).catch(() => undefined));
videoBtn.addEventListener('click', () => {
  const filtered = view.length < entries.size;
  void rpc.request('makeVideo', { paths: filtered ? view.map((e) => e.path) : [] }).catch(() => undefined);
});

let frame = 0;
viewport.addEventListener(
  'scroll',
  () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      render();
      saveState();
    });
  },
  { passive: true },
);
new ResizeObserver(() => render()).observe(viewport);

// ------------------------------------------------------------------ host messages
rpc.on('init', (i) => {
  folder = i.folder;
  title.textContent = folder.slice(folder.lastIndexOf('/') + 1) || folder;
  title.title = `${i.host}:${i.folder}`;
  state.host = i.host;
  state.folder = i.folder;
  saveState();
});

let restoredScroll = false;
rpc.on('entries', (m) => {
  if (m.reset) entries.clear();
  for (const e of m.upsert) {
    const old = entries.get(e.path);
    if (old && (old.size !== e.size || old.mtimeMs !== e.mtimeMs)) thumbs.delete(e.path);
    entries.set(e.path, e);
  }
  for (const p of m.removed) {
    entries.delete(p);
    thumbs.delete(p);
  }
  complete = m.complete;
  recompute();
  if (!restoredScroll && state.scrollTop > 0 && view.length > 0) {
    restoredScroll = true;
    viewport.scrollTop = state.scrollTop;
  }
});

rpc.on('thumbs', (m) => {
  for (const t of m.items) thumbs.set(t.path, t);
  // only cells on screen need touching
  for (const t of m.items) {
    const cell = cells.get(t.path);
    const i = cell?.dataset.index;
    if (cell && i !== undefined && view[Number(i)]) fillCell(cell, view[Number(i)], Number(i));
  }
});

rpc.on('offline', (info) => showOffline(offline, info, 'its images', [progress, viewport, empty], () => rpc.request('connect', {})));

rpc.on('progress', (p) => {
  if (!offline.hidden) {
    leaveOffline(offline);
    viewport.hidden = false;
  }
  updateProgressBar(progress, p);
});

rpc.on('work', (w) => {
  work.textContent = w.message;
  work.hidden = w.message === '';
});

rpc.on('error', (e) => {
  if (e.cancelled) return;
  progress.hidden = true;
  empty.hidden = false;
  empty.replaceChildren(icon('error'), ` ${e.message}`);
});

rpc.start();
