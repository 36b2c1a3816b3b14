// Four bundles: the extension host's entry (node, cjs: a loader with a code cache, src/entry.ts),
// the extension it loads, ssh2 beside it (loaded on first connection), and the webviews (browser, esm).
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

/**
 * What activation pays for (bench/activation.ts): every byte of dist/extension.js is compiled
 * when it loads, and esbuild's CommonJS interop copies an external module's exports into each
 * module that imports it. So:
 * - ssh2 (a third of the bundle) is its own file, dist/ssh2.js, required on first connection
 *   (src/core/ssh/ssh2Lazy.ts);
 * - `vscode` is imported through one module that re-exports it, so its namespace is copied once
 *   rather than once per module (60-odd of them).
 * @type {import('esbuild').Plugin}
 */
const activationCost = {
  name: 'activation-cost',
  setup(build) {
    build.onResolve({ filter: /^ssh2$/ }, (args) => (args.kind === 'require-call' ? { path: './ssh2.js', external: true } : undefined));
    build.onResolve({ filter: /^vscode$/ }, (args) => (args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' }));
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

// cpu-features and *.node are native: leaving them out makes ssh2 use its pure-JS crypto.
const native = ['cpu-features', '*.node'];
/** What the three extension-host bundles share. */
const node = { ...common, platform: 'node', format: 'cjs', target: 'node18' };

/** @type {import('esbuild').BuildOptions} */
const extension = {
  ...node,
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/main.js',
  external: native,
  plugins: [activationCost],
  loader: { '.py': 'text' },
};

/** @type {import('esbuild').BuildOptions} */
const entry = {
  ...node,
  entryPoints: ['src/entry.ts'],
  outfile: 'dist/extension.js',
};

/** @type {import('esbuild').BuildOptions} */
const ssh2 = {
  ...node,
  entryPoints: ['node_modules/ssh2/lib/index.js'],
  outfile: 'dist/ssh2.js',
  external: native,
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

const builds = [entry, extension, ssh2, webview].filter((b) => b !== webview || Object.keys(webviewEntries).length > 0);
if (watch) {
  await Promise.all(builds.map(async (b) => (await esbuild.context(b)).watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
