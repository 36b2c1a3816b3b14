/**
 * Video preview webview: progress while the host fetches the file into the local preview cache,
 * then <video controls> from a webview URI (byte ranges served, so seeking works). Playback
 * position survives a reload of the hidden webview.
 */
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '../shared/common.css';
import './style.css';
import type { VideoMeta } from '../../src/shared/protocol';
import { formatBytes, formatTime, h, showMessage as showMessageIn, updateProgressBar } from '../shared/dom';
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
document.getElementById('app')?.append(toolbar, progress, player, message);

function describe(extra?: string): void {
  if (!meta) return;
  title.textContent = meta.name;
  title.title = `${meta.host}:${meta.path}`;
  const dims = video.videoWidth ? `${video.videoWidth} × ${video.videoHeight} px` : undefined;
  const dur = Number.isFinite(video.duration) && video.duration > 0 ? `${video.duration.toFixed(2)} s` : undefined;
  status.textContent = [extra, dims, dur, formatBytes(meta.fileSize), `modified ${formatTime(meta.mtimeMs)}`].filter(Boolean).join(' · ');
}

function showMessage(text: string, isError: boolean): void {
  showMessageIn(message, text, isError, [player, progress]);
}

rpc.on('meta', (m) => {
  meta = m;
  describe();
});

rpc.on('progress', (p) => {
  if (!updateProgressBar(progress, p)) return;
  const amount = p.loaded !== undefined ? ` ${formatBytes(p.loaded)}${p.total ? ` of ${formatBytes(p.total)}` : ''}` : '';
  describe(`${p.label ?? 'Loading'}${amount}…`);
});

rpc.on('source', (s) => {
  message.hidden = true;
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
  const hint =
    code === 4 /* MEDIA_ERR_SRC_NOT_SUPPORTED */
      ? ' This player lacks the codec (e.g. H.264 in a browser without proprietary codecs, as in some code-server setups): make the video as WebM (VP9) instead.'
      : '';
  rpc.notify('playbackError', { message: err?.message ?? 'unknown', ...(code !== undefined ? { code } : {}) });
  showMessage(`The video could not be played${err?.message ? ` (${err.message})` : ''}.${hint}`, true);
});
reloadBtn.addEventListener('click', () => void rpc.request('reload', {}).catch(() => undefined));

rpc.start();
