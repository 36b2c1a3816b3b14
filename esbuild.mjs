// Two bundles: the extension host (node, cjs) and the webviews (browser, esm).
// esbuild does not type-check: `npm run check` runs tsc and eslint beside it.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

/** @type {import('esbuild').BuildOptions} */
const extension = {
  ...common,
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/extension.js',
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  // cpu-features and *.node are native: leaving them out makes ssh2 use its pure-JS crypto.
  external: ['vscode', 'cpu-features', '*.node'],
  loader: { '.py': 'text' },
};

/** Every webview/<name>/main.ts becomes dist/webview/<name>.js (folders without one, like shared/, are libraries). */
const webviewEntries = Object.fromEntries(
  readdirSync('webview', { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`webview/${d.name}/main.ts`))
    .map((d) => [d.name, `webview/${d.name}/main.ts`]),
);

/** @type {import('esbuild').BuildOptions} */
const webview = {
  ...common,
  entryPoints: webviewEntries,
  outdir: 'dist/webview',
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  loader: { '.ttf': 'file', '.css': 'css' },
};

// Codicons for the webviews ship inside dist/ (the .vsix carries no node_modules).
mkdirSync('dist/codicons', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/codicons/${f}`);

const builds = [extension, webview].filter((b) => b !== webview || Object.keys(webviewEntries).length > 0);
if (watch) {
  await Promise.all(builds.map(async (b) => (await esbuild.context(b)).watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
