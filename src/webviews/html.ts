/**
 * The HTML shell of every webview, with a strict Content Security Policy. Pure (no `vscode`),
 * so it is unit-tested; WebviewHost fills in the webview's URIs.
 */
import { randomBytes } from 'node:crypto';

/** 128 bits from the OS CSPRNG, base64 (a valid CSP nonce-source). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} blob: data:`,
    `media-src ${cspSource} blob:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface WebviewHtmlOptions {
  cspSource: string;
  nonce: string;
  title: string;
  /** The view's bundle, dist/webview/<name>.js as a webview URI. */
  scriptUri: string;
  /** Stylesheets (the view's CSS bundle, ...) as webview URIs. */
  styleUris: string[];
  /** codicon.css as a webview URI; linked with the id @vscode-elements looks for. */
  codiconsUri: string;
  /** data-view attribute on <body>, for CSS and tests. */
  view: string;
}

export function webviewHtml(o: WebviewHtmlOptions): string {
  const links = o.styleUris.map((u) => `<link rel="stylesheet" nonce="${escapeHtml(o.nonce)}" href="${escapeHtml(u)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, o.nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>${escapeHtml(o.title)}</title>
    <link rel="stylesheet" id="vscode-codicon-stylesheet" nonce="${escapeHtml(o.nonce)}" href="${escapeHtml(o.codiconsUri)}">
    ${links}
  </head>
  <body data-view="${escapeHtml(o.view)}">
    <div id="app" aria-live="polite"></div>
    <script type="module" nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptUri)}"></script>
  </body>
</html>`;
}
