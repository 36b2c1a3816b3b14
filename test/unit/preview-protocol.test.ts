import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasStringArray, isHostToWebview, isWebviewToHost, PROTOCOL_NAMES, toErrorInfo } from '../../src/shared/protocol';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../src/webviews/html';
import { CancelledError } from '../../src/core/cancel';

test('webview → host: ready, notify and request envelopes are checked per view', () => {
  assert.ok(isWebviewToHost('gallery', { kind: 'ready', view: 'gallery' }));
  assert.ok(!isWebviewToHost('gallery', { kind: 'ready', view: 'video' }));
  assert.ok(isWebviewToHost('gallery', { kind: 'notify', name: 'want', data: { paths: [] } }));
  assert.ok(!isWebviewToHost('gallery', { kind: 'notify', name: 'decodeError', data: {} }), 'another view’s notification');
  assert.ok(isWebviewToHost('imagePreview', { kind: 'request', id: 3, method: 'loadFullResolution', params: {} }));
  assert.ok(!isWebviewToHost('imagePreview', { kind: 'request', id: -1, method: 'loadFullResolution', params: {} }));
  assert.ok(!isWebviewToHost('imagePreview', { kind: 'request', id: 1.5, method: 'loadFullResolution', params: {} }));
  assert.ok(!isWebviewToHost('imagePreview', { kind: 'request', id: 1, method: 'rm -rf', params: {} }));
  assert.ok(!isWebviewToHost('imagePreview', { kind: 'request', id: 1, method: 'reload', params: null }));
  for (const junk of [null, undefined, 'ready', 42, [], { kind: 'event' }, { kind: 'reply', id: 1, ok: true, result: 1 }]) {
    assert.ok(!isWebviewToHost('video', junk), JSON.stringify(junk));
  }
});

test('host → webview: events of the view and well-formed replies only', () => {
  assert.ok(isHostToWebview('video', { kind: 'event', event: 'source', data: { uri: 'x', mime: 'video/mp4' } }));
  assert.ok(!isHostToWebview('video', { kind: 'event', event: 'thumbs', data: {} }));
  assert.ok(!isHostToWebview('video', { kind: 'event', event: 'source' }), 'data is required');
  assert.ok(isHostToWebview('gallery', { kind: 'reply', id: 1, ok: true, result: null }));
  assert.ok(isHostToWebview('gallery', { kind: 'reply', id: 1, ok: false, error: { message: 'no' } }));
  assert.ok(!isHostToWebview('gallery', { kind: 'reply', id: 1, ok: false, error: 'no' }));
  assert.ok(!isHostToWebview('gallery', { kind: 'reply', id: 1, ok: true }));
});

test('every view names its messages; payload helpers check shapes', () => {
  for (const [view, names] of Object.entries(PROTOCOL_NAMES)) {
    assert.ok(names.events.length > 0, view);
    assert.equal(new Set(names.events).size, names.events.length);
  }
  assert.ok(hasStringArray({ paths: ['a', 'b'] }, 'paths'));
  assert.ok(!hasStringArray({ paths: ['a', 1] }, 'paths'));
  assert.ok(!hasStringArray({ paths: ['a', 'b'] }, 'paths', 1));
});

test('errors become ErrorInfo; cancellation is flagged', () => {
  assert.deepEqual(toErrorInfo(new Error('x')), { message: 'x' });
  assert.deepEqual(toErrorInfo(new CancelledError()), { message: 'Cancelled', cancelled: true });
  assert.deepEqual(toErrorInfo('s'), { message: 's' });
});

test('CSP: nothing by default, scripts only by nonce, no unsafe-inline', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
  assert.notEqual(nonce, makeNonce());
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', nonce);
  assert.equal(
    csp,
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src https://x.vscode-cdn.net 'nonce-${nonce}'; img-src https://x.vscode-cdn.net blob: data:; media-src https://x.vscode-cdn.net blob:; font-src https://x.vscode-cdn.net`,
  );
  assert.doesNotMatch(csp, /unsafe/);
  const html = webviewHtml({ cspSource: 'https://x', nonce, title: '<b>"t"</b>', scriptUri: 'https://x/a.js?x="1"', styleUris: ['https://x/a.css'], codiconsUri: 'https://x/c.css', view: 'gallery' });
  assert.match(html, /<script type="module" nonce="[^"]+" src="https:\/\/x\/a\.js\?x=&#34;1&#34;"><\/script>/);
  assert.match(html, /id="vscode-codicon-stylesheet"/);
  assert.doesNotMatch(html, /<b>/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
});
