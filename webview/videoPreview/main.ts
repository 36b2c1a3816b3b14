/**
 * Video preview webview: progress while the host fetches the file into the local preview cache,
 * then <video controls> from a webview URI (byte ranges served, so seeking works). Playback
 * position survives a reload of the hidden webview. A video this player cannot play (the host
 * says so for containers no browser reads; the element for a codec it lacks) gets a
 * "Convert to WebM on the cluster" button, then the conversion's progress and a Cancel button.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '../shared/common.css';
import './style.css';
import type { VideoConvertState, VideoMeta } from '../../src/shared/protocol';
import { formatBytes, formatTime, h, icon, leaveOffline, showMessage as showMessageIn, showOffline, updateProgressBar } from '../shared/dom';
import { getState, setState } from '../shared/vscode';
import { WebviewRpc } from '../shared/rpc';

interface State {
  src?: string;
  time?: number;
}

const rpc = new WebviewRpc('video');
let meta: VideoMeta | undefined;

const title = h('span', { class: 'title' });
const status = h('span', { class: 'status', 'data-testid': 'status' });
const reloadBtn = h('vscode-toolbar-button', { icon: 'refresh', label: 'Reload', title: 'Fetch again from the remote host' });
const toolbar = h('div', { class: 'toolbar', role: 'toolbar' }, title, status, h('span', { class: 'spacer' }), reloadBtn);
const progress = h('vscode-progress-bar', { class: 'progress', indeterminate: true, 'aria-label': 'Downloading' });
const video = h('video', { controls: true, preload: 'auto', playsinline: true, id: 'video' });
const player = h('div', { class: 'player', hidden: true }, video);
const message = h('div', { class: 'message', hidden: true });
const convertText = h('div', { class: 'convert-text', 'data-testid': 'convert-text', 'aria-live': 'polite' });
const convertBar = h('vscode-progress-bar', { class: 'progress', indeterminate: true, 'aria-label': 'Converting', hidden: true });
const convertBtn = h('vscode-button', { icon: 'sync', 'data-testid': 'convert' }, 'Convert to WebM on the cluster');
const cancelBtn = h('vscode-button', { secondary: true, icon: 'close', 'data-testid': 'cancel-convert', hidden: true }, 'Cancel');
const convertBox = h('div', { class: 'message convert', 'data-testid': 'convert-box', hidden: true }, convertText, convertBar, h('div', { class: 'buttons' }, convertBtn, cancelBtn));
document.getElementById('app')?.append(toolbar, progress, player, message, convertBox);

function describe(extra?: string): void {
  if (!meta) return;
  title.textContent = meta.name;
  title.title = `${meta.host}:${meta.path}`;
  const dims = video.videoWidth ? `${video.videoWidth} × ${video.videoHeight} px` : undefined;
  const dur = Number.isFinite(video.duration) && video.duration > 0 ? `${video.duration.toFixed(2)} s` : undefined;
  status.textContent = [extra, dims, dur, formatBytes(meta.fileSize), `modified ${formatTime(meta.mtimeMs)}`].filter(Boolean).join(' · ');
}

function showMessage(text: string, isError: boolean): void {
  convertBox.hidden = true;
  showMessageIn(message, text, isError, [player, progress]);
}

/** The conversion offer, its progress or its failure, in place of the player. */
function showConvert(c: VideoConvertState): void {
  message.hidden = true;
  player.hidden = true;
  progress.hidden = true;
  convertBox.hidden = false;
  convertBox.classList.toggle('error', c.phase === 'failed');
  const running = c.phase === 'running';
  convertText.replaceChildren(icon(c.phase === 'failed' ? 'error' : running ? 'sync' : 'info'), c.message);
  convertBtn.hidden = running;
  cancelBtn.hidden = !running;
  (cancelBtn as HTMLElement & { disabled: boolean }).disabled = false;
  convertBar.hidden = !running;
  if (running) updateProgressBar(convertBar, c.fraction !== undefined ? { fraction: c.fraction } : {});
}

rpc.on('meta', (m) => {
  meta = m;
  describe();
});

rpc.on('offline', (info) => showOffline(message, info, 'this video', [player, progress], () => rpc.request('connect', {})));

rpc.on('progress', (p) => {
  leaveOffline(message);
  if (!updateProgressBar(progress, p)) return;
  const amount = p.loaded !== undefined ? ` ${formatBytes(p.loaded)}${p.total ? ` of ${formatBytes(p.total)}` : ''}` : '';
  describe(`${p.label ?? 'Loading'}${amount}…`);
});

rpc.on('source', (s) => {
  message.hidden = true;
  convertBox.hidden = true;
  progress.hidden = true;
  player.hidden = false;
  const state = getState<State>();
  if (video.getAttribute('src') !== s.uri) {
    video.src = s.uri;
    if (state?.src === s.uri && state.time) video.currentTime = state.time;
  }
  setState<State>({ src: s.uri, time: state?.src === s.uri ? state.time : 0 });
  describe();
});

rpc.on('error', (e) => {
  if (!e.cancelled) showMessage(e.message, true);
});

rpc.on('convert', showConvert);

video.addEventListener('loadedmetadata', () => describe());
let lastSave = 0;
video.addEventListener('timeupdate', () => {
  const now = Date.now();
  if (now - lastSave < 1000) return;
  lastSave = now;
  setState<State>({ src: video.getAttribute('src') ?? undefined, time: video.currentTime });
});
video.addEventListener('error', () => {
  const err = video.error;
  const code = err?.code;
  rpc.notify('playbackError', { message: err?.message ?? 'unknown', ...(code !== undefined ? { code } : {}) });
  const what = `The video could not be played${err?.message ? ` (${err.message})` : ''}.`;
  if (code === 4 /* MEDIA_ERR_SRC_NOT_SUPPORTED */ || code === 3 /* MEDIA_ERR_DECODE */) {
    // A codec or container this player lacks (e.g. H.264 in a browser without proprietary codecs, as in some code-server setups).
    showConvert({ phase: 'offer', message: `${what} This player lacks its codec or container.` });
  } else showMessage(what, true);
});
reloadBtn.addEventListener('click', () => void rpc.request('reload', {}).catch(() => undefined));
convertBtn.addEventListener('click', () => {
  convertBtn.hidden = true; // until the host's first state arrives
  void rpc.request('convert', {}).catch(() => undefined); // states come as `convert` events
});
cancelBtn.addEventListener('click', () => {
  (cancelBtn as HTMLElement & { disabled: boolean }).disabled = true;
  rpc.notify('cancelConvert', {});
});

rpc.start();
