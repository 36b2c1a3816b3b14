/** Every webview panel the extension opens comes back after a reload: activation event + serializer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tsSources } from '../support/sourceFiles';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { activationEvents: string[] };

const text = tsSources(join(root, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
/** Resolves a view-type constant (`GALLERY_VIEW_TYPE`) or literal to its string. */
function viewType(expr: string): string {
  if (/^'[^']+'$/.test(expr)) return expr.slice(1, -1);
  const m = new RegExp(`const ${expr} = '([^']+)'`).exec(text);
  assert.ok(m, `constant ${expr} not found`);
  return m[1];
}

test('each createWebviewPanel view type has an onWebviewPanel activation event and a registered serializer', () => {
  const created = [...text.matchAll(/createWebviewPanel\(\s*([A-Z_]+|'[^']+')/g)].map((m) => viewType(m[1]));
  const serialized = new Set([...text.matchAll(/registerWebviewPanelSerializer\(\s*([A-Z_]+|'[^']+')/g)].map((m) => viewType(m[1])));
  assert.deepEqual([...new Set(created)].sort(), ['remoteHpc.gallery', 'remoteHpc.newJob']);
  for (const t of created) {
    assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${t}`), `activation event for ${t}`);
    assert.ok(serialized.has(t), `serializer for ${t}`);
  }
});

test('the gallery webview saves which host and folder it shows (what its serializer reads back)', () => {
  const web = readFileSync(join(root, 'webview', 'gallery', 'main.ts'), 'utf8');
  assert.match(web, /state\.host = i\.host;\s*state\.folder = i\.folder;\s*saveState\(\);/);
  const host = readFileSync(join(root, 'src', 'preview', 'gallery.ts'), 'utf8');
  assert.match(host, /hasString\(state, 'host'\) \|\| !hasString\(state, 'folder'\)/);
});
