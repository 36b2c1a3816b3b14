/**
 * End-to-end harness: a real VS Code (code-server from npm, see
 * scripts/e2e/install.sh) driven by headless Debian Chromium via playwright-core.
 *
 * Typical use (node --import tsx --test test/e2e/*.e2e.test.ts):
 *
 *   await withWorkbench({ extensionDevelopmentPath: repoRoot(), settings: {...} }, async ({ page }) => {
 *     await runCommand(page, 'Remote HPC: Connect');
 *     await answerInputBox(page, 'login1');
 *     await waitForNotification(page, /Connected/);
 *   });
 *
 * Everything code-server writes (user data, extensions, logs, HOME, XDG dirs)
 * lives in a fresh temp dir that is removed on stop(); the real ~/.ssh and user
 * config are never read or written (HOME points into the temp dir).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type Locator, type Page } from 'playwright-core';

// ---------------------------------------------------------------------------
// Paths

/** Repository root: $E2E_REPO_ROOT, else the nearest ancestor of cwd whose package.json is "remote-hpc". */
export function repoRoot(): string {
  const fromEnv = process.env.E2E_REPO_ROOT;
  if (fromEnv) return path.resolve(fromEnv);
  let dir = process.cwd();
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const name = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'remote-hpc') return dir;
      } catch {
        /* ignore unparsable package.json */
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Where scripts/e2e/install.sh put Node 24 and code-server ($E2E_CACHE_DIR overrides). */
function e2eCacheDir(): string {
  return path.resolve(process.env.E2E_CACHE_DIR ?? path.join(repoRoot(), '.cache', 'e2e'));
}

/** Directory for screenshots and failure dumps: test-results/e2e/. */
function resultsDir(): string {
  const dir = path.join(repoRoot(), 'test-results', 'e2e');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const CHROMIUM_PATH = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Settings written under the caller's settings (which win). Keep the workbench quiet and deterministic. */
const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'window.dialogStyle': 'custom',
  'files.simpleDialog.enable': true,
  'editor.accessibilitySupport': 'off',
  // Otherwise code-server announces every port listening on the machine (e.g. a test sshd).
  'remote.autoForwardPorts': false,
  'remote.restoreForwardedPorts': false,
};

interface Toolchain {
  node: string;
  codeServerEntry: string;
}

function toolchain(): Toolchain {
  const cache = e2eCacheDir();
  const node = path.join(cache, 'node', 'node_modules', 'node', 'bin', 'node');
  const codeServerEntry = path.join(cache, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  for (const f of [node, codeServerEntry]) {
    if (!fs.existsSync(f)) {
      throw new Error(`e2e toolchain missing (${f}); run: bash scripts/e2e/install.sh`);
    }
  }
  return { node, codeServerEntry };
}

// ---------------------------------------------------------------------------
// code-server

export interface StartCodeServerOptions {
  /** Extension folder (with package.json; its "main" must exist). Linked into the extensions dir. */
  extensionDevelopmentPath?: string;
  /** Further extension folders linked beside it (a second test extension calling ours, e.g. test/e2e/apiClient). */
  extraExtensionPaths?: string[];
  /** A .vsix installed with `code-server --install-extension`. */
  vsixPath?: string;
  /** User settings (merged over DEFAULT_SETTINGS) written to <user-data-dir>/User/settings.json. */
  settings?: Record<string, unknown>;
  /** A folder copied into <user-data-dir> before start: what an earlier start left there (global storage, e.g. a code cache). */
  userDataSeed?: string;
  /** Folder opened by default; a fresh empty temp folder when omitted. */
  workspaceFolder?: string;
  /** Extra environment for code-server and so for the extension host (wins over the isolation defaults). */
  env?: Record<string, string | undefined>;
  /** Readiness timeout (default 60 s). */
  timeoutMs?: number;
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Keep code-server's /proxy/<port>/ (asExternalUri maps a local URL there, e.g. for the Simple Browser); off by default. */
  proxy?: boolean;
}

export interface CodeServer {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  readonly port: number;
  /** Temp root holding everything below (removed by stop() unless E2E_KEEP=1). */
  readonly rootDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly workspaceFolder: string;
  /** HOME of code-server and the extension host (inside rootDir). */
  readonly homeDir: string;
  /** code-server's own stdout+stderr. */
  readonly stdoutLog: string;
  /** Extension id (publisher.name) loaded from extensionDevelopmentPath / vsixPath, if any. */
  readonly extensionId: string | undefined;
  /** URL of the workbench for a folder (default: workspaceFolder). */
  workbenchUrl(folder?: string): string;
  /** Last lines of the extension-host / server logs, for failure reports. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number, opts: { unref?: boolean } = {}): Promise<void> =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    if (opts.unref) t.unref();
  });

function readManifest(dir: string): { id: string; version: string; main: string | undefined } {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    publisher?: string;
    name?: string;
    version?: string;
    main?: string;
  };
  if (!pkg.publisher || !pkg.name || !pkg.version) {
    throw new Error(`${dir}/package.json needs publisher, name and version`);
  }
  return { id: `${pkg.publisher}.${pkg.name}`.toLowerCase(), version: pkg.version, main: pkg.main };
}

/**
 * Registers a development folder in the extensions dir: a symlink
 * <extensions-dir>/<publisher>.<name>-<version> -> folder, plus an entry in
 * extensions.json (VS Code's extension profile manifest). No copy, no packaging,
 * so rebuilding dist/ is picked up by the next startCodeServer().
 */
function linkDevelopmentExtension(extensionsDir: string, devPath: string): string {
  const folder = path.resolve(devPath);
  const { id, version, main } = readManifest(folder);
  if (main && !fs.existsSync(path.resolve(folder, main)) && !fs.existsSync(path.resolve(folder, `${main}.js`))) {
    throw new Error(`extension main ${main} not found in ${folder} (build it first, e.g. node esbuild.mjs)`);
  }
  const relativeLocation = `${id}-${version}`;
  const link = path.join(extensionsDir, relativeLocation);
  fs.symlinkSync(folder, link, 'dir');
  const manifestFile = path.join(extensionsDir, 'extensions.json');
  const entries = fs.existsSync(manifestFile) ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as unknown[]) : [];
  entries.push({
    identifier: { id },
    version,
    location: { $mid: 1, path: link, scheme: 'file' },
    relativeLocation,
    metadata: { installedTimestamp: Date.now(), source: 'resource', pinned: true },
  });
  fs.writeFileSync(manifestFile, JSON.stringify(entries));
  return id;
}

/** Ids listed in <extensions-dir>/extensions.json. */
function installedIds(extensionsDir: string): string[] {
  try {
    const entries = JSON.parse(fs.readFileSync(path.join(extensionsDir, 'extensions.json'), 'utf8')) as {
      identifier?: { id?: string };
    }[];
    return entries.map((e) => e.identifier?.id?.toLowerCase() ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

/** Processes to kill if the test process dies without calling stop(). */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function isolatedEnv(root: string, extra: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Do not leak a surrounding VS Code / Electron / test runner into code-server.
    if (/^(VSCODE_|ELECTRON_|NODE_OPTIONS$|NODE_TEST_CONTEXT$|npm_|SSH_AUTH_SOCK$|SSH_AGENT_PID$)/.test(k)) continue;
    env[k] = v;
  }
  Object.assign(env, {
    HOME: path.join(root, 'home'),
    XDG_CONFIG_HOME: path.join(root, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(root, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(root, 'xdg', 'cache'),
    XDG_STATE_HOME: path.join(root, 'xdg', 'state'),
    XDG_RUNTIME_DIR: path.join(root, 'xdg', 'runtime'),
    TMPDIR: path.join(root, 'tmp'),
    CS_DISABLE_GETTING_STARTED_OVERRIDE: '1',
    // No marketplace: the default (open-vsx) is unreachable and must not be contacted.
    EXTENSIONS_GALLERY: '{}',
  });
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export async function startCodeServer(opts: StartCodeServerOptions = {}): Promise<CodeServer> {
  const tc = toolchain();
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rhpc-e2e-'));
  const userDataDir = path.join(rootDir, 'user-data');
  const extensionsDir = path.join(rootDir, 'extensions');
  const homeDir = path.join(rootDir, 'home');
  const workspaceFolder = path.resolve(opts.workspaceFolder ?? path.join(rootDir, 'workspace'));
  for (const d of [
    userDataDir,
    path.join(userDataDir, 'User'),
    extensionsDir,
    homeDir,
    workspaceFolder,
    path.join(rootDir, 'xdg', 'config'),
    path.join(rootDir, 'xdg', 'data'),
    path.join(rootDir, 'xdg', 'cache'),
    path.join(rootDir, 'xdg', 'state'),
    path.join(rootDir, 'tmp'),
  ]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.mkdirSync(path.join(rootDir, 'xdg', 'runtime'), { recursive: true, mode: 0o700 });

  if (opts.userDataSeed) fs.cpSync(opts.userDataSeed, userDataDir, { recursive: true });
  const settings = { ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) };
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  // code-server's extension host is a remote one: `machine`-scoped settings (paths such as
  // remoteHpc.sshConfigFile) are read from the remote machine settings, not reliably from User.
  fs.mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(opts.settings ?? {}, null, 2));

  const env = isolatedEnv(rootDir, opts.env);
  const baseArgs = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  let extensionId: string | undefined;
  try {
    if (opts.extensionDevelopmentPath) {
      extensionId = linkDevelopmentExtension(extensionsDir, opts.extensionDevelopmentPath);
    }
    for (const extra of opts.extraExtensionPaths ?? []) linkDevelopmentExtension(extensionsDir, extra);
    if (opts.vsixPath) {
      const r = spawnSync(
        tc.node,
        [tc.codeServerEntry, ...baseArgs, '--install-extension', path.resolve(opts.vsixPath), '--force'],
        { env, encoding: 'utf8', timeout: 120_000 },
      );
      if (r.status !== 0) {
        throw new Error(`--install-extension failed (${r.status}): ${r.stdout}\n${r.stderr}`);
      }
      extensionId = installedIds(extensionsDir).find((id) => id !== extensionId) ?? extensionId;
    }
  } catch (e) {
    fs.rmSync(rootDir, { recursive: true, force: true });
    throw e;
  }

  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}/`;
  const stdoutLog = path.join(rootDir, 'code-server.log');
  const out = fs.openSync(stdoutLog, 'a');
  const child: ChildProcess = spawn(
    tc.node,
    [
      tc.codeServerEntry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      ...(opts.proxy ? [] : ['--disable-proxy']),
      ...(process.env.E2E_VERBOSE === '1' ? ['--verbose'] : []),
      ...baseArgs,
      workspaceFolder,
    ],
    { env, cwd: rootDir, detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('failed to spawn code-server');
  liveGroups.add(pid);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const logTail = (lines = 80): string => tailLogs(rootDir, stdoutLog, lines);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await Promise.race([exitPromise, sleep(5000, { unref: true })]);
    }
    // Extension hosts / pty host live in the same process group: make sure all are gone.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    liveGroups.delete(pid);
    if (process.env.E2E_KEEP === '1') {
      console.error(`[e2e] kept ${rootDir}`);
    } else {
      await sleep(100);
      fs.rmSync(rootDir, { recursive: true, force: true, maxRetries: 3 });
    }
  };

  // Readiness: /healthz answers once the HTTP server is up.
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const tail = logTail();
      await stop();
      throw new Error(`code-server exited during startup:\n${tail}`);
    }
    if ((await httpStatus(`${url}healthz`)) === 200) break;
    if (Date.now() > deadline) {
      const tail = logTail();
      await stop();
      throw new Error(`code-server not ready on ${url}:\n${tail}`);
    }
    await sleep(200);
  }

  return {
    url,
    port,
    rootDir,
    userDataDir,
    extensionsDir,
    workspaceFolder,
    homeDir,
    stdoutLog,
    extensionId,
    workbenchUrl: (folder?: string) => `${url}?folder=${encodeURIComponent(path.resolve(folder ?? workspaceFolder))}`,
    logTail,
    stop,
  };
}

function walk(dir: string, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name.endsWith('.log')) out.push(p);
  }
  return out;
}

function tail(file: string, lines: number): string {
  try {
    const all = fs.readFileSync(file, 'utf8').split('\n');
    return all.slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

/** Tails of code-server's stdout and the extension-host related logs under <user-data-dir>/logs. */
function tailLogs(rootDir: string, stdoutLog: string, lines: number): string {
  const logs = walk(path.join(rootDir, 'user-data', 'logs'));
  // Most useful first: extension host, then extension output channels, then the rest.
  const rank = (f: string): number =>
    /exthost\.log$/i.test(f) ? 0 : /exthost/i.test(f) ? 1 : /remoteagent|server/i.test(f) ? 2 : 3;
  logs.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const parts: string[] = [];
  for (const f of [...logs.filter((f) => rank(f) < 3), stdoutLog]) {
    const t = tail(f, lines).trim();
    if (t) parts.push(`----- ${path.relative(rootDir, f)} (last ${lines} lines) -----\n${t}`);
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------
// Browser

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (for failure reports). */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<BrowserSession> {
  // Chromium writes e.g. ~/.pki: give it a throwaway HOME.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rhpc-e2e-chromium-'));
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      env: { ...process.env, HOME: home },
    });
  } catch (e) {
    fs.rmSync(home, { recursive: true, force: true });
    throw e;
  }
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  return {
    browser,
    context,
    page,
    consoleErrors,
    close: async () => {
      await browser.close().catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Navigates to the workbench for `folder` and waits until it is rendered. */
export async function openWorkbench(page: Page, url: string, folder?: string, timeoutMs = 60_000): Promise<void> {
  // A `.code-workspace` file opens as a (multi-root) workspace, anything else as a folder.
  const kind = folder?.endsWith('.code-workspace') ? 'workspace' : 'folder';
  const target = folder ? `${url.replace(/\/?$/, '/')}?${kind}=${encodeURIComponent(path.resolve(folder))}` : url;
  await page.goto(target, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  // The workbench is interactive once the activity bar has its view containers.
  await page
    .locator('.monaco-workbench .part.activitybar .action-item, .monaco-workbench .part.sidebar')
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

// ---------------------------------------------------------------------------
// Workbench helpers

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The quick input (command palette / showInputBox / showQuickPick) widget. */
export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/**
 * Runs a command by its palette title ("Category: Title" or just the title)
 * via F1: types it, waits for the matching entry and accepts it.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const widget = quickInput(page);
  const input = widget.locator('input');
  // Entries render as "Category: Title"; match the whole label or its title part exactly.
  const row = widget
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`(^|: )${escapeRe(title)}$`) }) })
    .first();
  const deadline = Date.now() + timeoutMs;
  // The palette snapshots the command list when it opens, and commands of
  // extensions appear only once the (remote) extension host has registered
  // them: reopen the palette until the entry shows up. A palette closed under us (a dialog
  // closing hands focus back to the editor) is reopened the same way.
  for (;;) {
    await openCommandPalette(page);
    try {
      await input.fill(`>${title}`, { timeout: 3000 });
      await row.waitFor({ state: 'visible', timeout: Math.min(3000, Math.max(500, deadline - Date.now())) });
      break;
    } catch (e) {
      if (Date.now() >= deadline) {
        throw new Error(`command "${title}" not found in the palette within ${timeoutMs} ms`, { cause: e });
      }
      await page.keyboard.press('Escape');
      await sleep(500);
    }
  }
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

/** Opens the command palette (F1, then Ctrl+Shift+P as fallback). */
async function openCommandPalette(page: Page): Promise<void> {
  const input = quickInput(page).locator('input');
  const keys = ['F1', 'Control+Shift+P', 'F1'];
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press(keys[attempt % keys.length]!);
    try {
      await input.waitFor({ state: 'visible', timeout: 3000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
      // Focus may be inside a webview or nowhere yet: focus the workbench and retry.
      await page.keyboard.press('Escape').catch(() => undefined);
      await page.locator('.monaco-workbench .part.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => undefined);
    }
  }
}

/** Types `text` into the open quick input (showInputBox / showQuickPick filter) and presses Enter. */
export async function answerInputBox(page: Page, text: string, timeoutMs = 15_000): Promise<void> {
  const input = quickInput(page).locator('input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(text);
  await input.press('Enter');
}

/** Picks the quick pick entry whose label matches `label` (string = exact label). */
export async function pickQuickPickItem(page: Page, label: string | RegExp, timeoutMs = 15_000): Promise<void> {
  const re = typeof label === 'string' ? new RegExp(`^${escapeRe(label)}$`) : label;
  const row = quickInput(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: re }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}

/** Waits for a notification toast whose message matches; returns the toast locator. */
export async function waitForNotification(page: Page, text: RegExp | string, timeoutMs = 20_000): Promise<Locator> {
  const toast = page
    .locator('.notifications-toasts .notification-toast')
    .filter({ has: page.locator('.notification-list-item-message', { hasText: text }) })
    .first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/** Clicks a button (e.g. "Retry") on a notification toast. */
export async function clickNotificationButton(toast: Locator, button: string): Promise<void> {
  await toast.hover();
  await toast.locator('.monaco-button', { hasText: button }).first().click();
}

/** Saves test-results/e2e/<name>.png (full page) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(resultsDir(), `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * The content frame of a webview: iframe.webview.ready -> iframe#active-frame.
 * Without options: the last visible webview (the one opened most recently).
 * With `selector`: the first visible webview whose document has a matching
 * element (webview iframes carry no title; tell them apart by content).
 */
export async function webviewFrame(page: Page, opts: { selector?: string; timeoutMs?: number } = {}): Promise<Frame> {
  const timeout = opts.timeoutMs ?? 20_000;
  const outers = page.locator('iframe.webview.ready').filter({ visible: true });
  if (opts.selector !== undefined) {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const h of await outers.elementHandles()) {
        const frame = await innerFrame(h, 1000).catch(() => undefined);
        // A webview being replaced (a preview tab reused for the next file) detaches under the
        // count: it is not the one, look again.
        const n = frame ? await frame.locator(opts.selector).count().catch(() => 0) : 0;
        if (frame && n > 0) return frame;
      }
      if (Date.now() > deadline) throw new Error(`no visible webview contains ${opts.selector}`);
      await sleep(250);
    }
  }
  const outer = outers.last();
  await outer.waitFor({ state: 'visible', timeout });
  const handle = await outer.elementHandle({ timeout });
  if (!handle) throw new Error('webview iframe vanished');
  return innerFrame(handle, timeout);
}

async function innerFrame(outer: import('playwright-core').ElementHandle, timeout: number): Promise<Frame> {
  const outerFrame = await outer.contentFrame();
  if (!outerFrame) throw new Error('webview host frame not attached');
  const active = await outerFrame.waitForSelector('iframe#active-frame', { state: 'attached', timeout: Math.max(timeout, 1000) });
  const frame = await active.contentFrame();
  if (!frame) throw new Error('webview active-frame not attached');
  await frame.waitForLoadState('domcontentloaded');
  return frame;
}

/**
 * Opens and focuses a view by its name (e.g. "Explorer", or a contributed
 * view's name) through the "view " quick access of the palette.
 */
export async function openView(page: Page, name: string, timeoutMs = 30_000): Promise<void> {
  const widget = quickInput(page);
  const row = widget
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) })
    .first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await openCommandPalette(page);
    await widget.locator('input').fill(`view ${name}`);
    try {
      await row.waitFor({ state: 'visible', timeout: Math.min(3000, Math.max(500, deadline - Date.now())) });
      break;
    } catch (e) {
      if (Date.now() >= deadline) throw new Error(`view "${name}" not found within ${timeoutMs} ms`, { cause: e });
      await page.keyboard.press('Escape');
      await sleep(500);
    }
  }
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

/** A row of a tree (custom view, explorer) whose label is exactly `label` (or matches the RegExp). */
export function treeItem(page: Page, label: string | RegExp): Locator {
  const re = typeof label === 'string' ? new RegExp(`^${escapeRe(label)}$`) : label;
  return page
    .locator('.monaco-list-row[role="treeitem"]')
    .filter({ has: page.locator('.label-name', { hasText: re }) })
    .first();
}

/** Polls `fn` until `ok` holds (every 250 ms); throws with the last value after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)?.slice(0, 500)}`);
    await sleep(250);
  }
}

/** Ticks the entries of an open many-pick quick pick (canPickMany) whose labels match, then OK. */
export async function pickQuickPickItems(page: Page, labels: (string | RegExp)[], timeoutMs = 15_000): Promise<void> {
  const widget = quickInput(page);
  for (const label of labels) {
    const re = typeof label === 'string' ? new RegExp(`^${escapeRe(label)}$`) : label;
    const row = widget.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: re }) }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    // A click on the label toggles the entry's checkbox; the row mirrors it in aria-checked.
    for (let attempt = 0; (await row.getAttribute('aria-checked')) !== 'true'; attempt++) {
      if (attempt >= 3) throw new Error(`quick pick entry ${re} did not tick`);
      await row.locator('.label-name').first().click();
      await eventually(`entry ${re} ticked`, () => row.getAttribute('aria-checked'), (v) => v === 'true', 2000).catch(() => undefined);
    }
  }
  // Then the pick closes, or the next input opens in the same widget: the caller waits for what follows.
  await widget.locator('.monaco-button', { hasText: /^OK$/ }).first().click();
}

/** Answers VS Code's simple file dialog (files.simpleDialog.enable) with a path, then its accept button. */
export async function answerFileDialog(page: Page, target: string): Promise<void> {
  const input = quickInput(page).locator('input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await eventually('the dialog start folder', () => input.inputValue(), (v) => v !== '', 10_000); // the dialog fills in its start folder first
  // …and may still be settling on it: type ours until it sticks.
  for (let i = 0; i < 10; i++) {
    await input.fill(target);
    await sleep(500);
    if ((await input.inputValue()) === target) break;
  }
  if ((await input.inputValue()) !== target) throw new Error(`the file dialog kept ${await input.inputValue()} instead of ${target}`);
  await quickInput(page).locator('.monaco-button', { hasText: /^(OK|Download Here|Upload|Fetch Here)$/ }).first().click();
}

/** The pane of a view in the side bar, by its title ("Jobs", "Hosts"). */
export function viewPane(page: Page, title: string): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${escapeRe(title)}`) }) });
}

/** A row of a view's tree by its exact label (and tree depth, when given: host 1, root 2, …). */
export function paneRow(page: Page, pane: string, label: string, level?: number): Locator {
  return viewPane(page, pane)
    .locator(level === undefined ? '.monaco-list-row[role="treeitem"]' : `.monaco-list-row[role="treeitem"][aria-level="${level}"]`)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) })
    .first();
}

/** Connects `host` from the palette (its row waited for in the Hosts view) and expands its home root in the Remote Explorer. */
export async function connectAndOpenHome(page: Page, host: string): Promise<Locator> {
  await openView(page, 'Hosts');
  await paneRow(page, 'Hosts', host).waitFor({ state: 'visible', timeout: 30_000 });
  await runCommand(page, 'Remote HPC: Connect');
  await pickQuickPickItem(page, host);
  const home = paneRow(page, 'Remote Explorer', '~');
  await home.waitFor({ state: 'visible', timeout: 60_000 });
  if ((await home.getAttribute('aria-expanded')) !== 'true') await home.click();
  return home;
}

/** A row of the Jobs view whose label matches. */
export function jobsItem(page: Page, label: RegExp): Locator {
  return viewPane(page, 'Jobs').locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: label }) }).first();
}

/** Connects to `host` from the palette, then shows the Jobs view with room (the other panes collapsed) and waits for the host row. */
export async function connectAndShowJobs(page: Page, host: string): Promise<void> {
  await openView(page, 'Hosts');
  await runCommand(page, 'Remote HPC: Connect');
  await pickQuickPickItem(page, host);
  await openView(page, 'Jobs');
  for (const other of ['Hosts', 'Remote Explorer']) {
    const header = viewPane(page, other).locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }
  await jobsItem(page, new RegExp(`^${escapeRe(host)}$`)).waitFor({ state: 'visible', timeout: 60_000 });
}

/**
 * Runs an action of a view's title bar by its title: a button (navigation group) when there is
 * one, else an entry of the "More Actions…" menu.
 */
export async function viewTitleAction(page: Page, view: string, title: string): Promise<void> {
  const header = viewPane(page, view).locator('.pane-header');
  await header.hover();
  const button = header.locator(`.actions .action-label[aria-label="${title}"]`);
  if ((await button.count()) > 0) {
    await button.first().click();
    return;
  }
  const more = header.locator('.actions .action-label.codicon-toolbar-more');
  const menu = page.locator('.context-view .monaco-menu').filter({ visible: true });
  const item = menu.locator('.action-item', { has: page.locator('.action-label', { hasText: new RegExp(`^${escapeRe(title)}$`) }) }).first();
  for (let attempt = 0; ; attempt++) {
    await header.hover();
    await more.click();
    try {
      await item.waitFor({ state: 'visible', timeout: 5000 });
      await sleep(200);
      await item.click();
      await menu.first().waitFor({ state: 'hidden', timeout: 3000 });
      return;
    } catch (e) {
      if (attempt >= 2) throw new Error(`"${title}" not in the title bar of ${view}`, { cause: e });
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Developer: Reload Window from the palette, then waits for the new workbench (the page
 * navigates; editors, panels and the extension host come back).
 */
export async function reloadWindow(page: Page, timeoutMs = 60_000): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: timeoutMs });
  await runCommand(page, 'Developer: Reload Window');
  await navigated;
  await page.waitForLoadState('domcontentloaded', { timeout: timeoutMs });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.monaco-workbench .part.activitybar .action-item, .monaco-workbench .part.sidebar').first().waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Right-clicks a row until its own context menu is up. A right-click that lands while the tree
 * re-renders under the pointer opens the menu of the row that moved there, or none (the tree finds
 * no element under it): the tree focuses the row it opens a menu for, so a menu up while `row` is
 * not focused is closed and asked for again, and a right-click that opened nothing is repeated.
 * Each retry is printed.
 */
async function openRowMenu(page: Page, row: Locator): Promise<Locator> {
  const menu = page.locator('.context-view .monaco-menu').filter({ visible: true });
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    try {
      await menu.first().waitFor({ state: 'visible', timeout: attempt >= 3 ? 15_000 : 5000 });
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`# no context menu came up for ${await row.textContent().catch(() => '?')} in 5 s (attempt ${attempt}): asking again`);
      continue;
    }
    const onRow = await row.evaluate((el) => el.classList.contains('focused')).catch(() => false);
    if (onRow) return menu;
    if (attempt >= 3) throw new Error(`the context menu opened for another row than ${await row.textContent().catch(() => '?')}, ${attempt} times`);
    console.log(`# the right-click landed on another row (attempt ${attempt}): asking again`);
    await page.keyboard.press('Escape');
    await menu.first().waitFor({ state: 'hidden', timeout: 5000 });
  }
}

/**
 * Right-clicks a row and picks an entry of its context menu (retried: a click right after the menu
 * opens can be ignored). With `shows` (for an entry that opens something and is harmless to run
 * twice: a tab, a quick input), the entry is picked again, up to three times, until that is visible:
 * on a loaded machine a menu can close without running its entry. Each retry is printed, with the
 * notifications then up (a command that failed says so there).
 */
export async function contextMenu(page: Page, row: Locator, entry: string, shows?: Locator): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await pickFromRowMenu(page, row, entry);
    if (!shows) return;
    try {
      await shows.first().waitFor({ state: 'visible', timeout: attempt >= 3 ? 30_000 : 10_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
      const toasts = (await page.locator('.notifications-toasts .notification-list-item-message').allTextContents().catch(() => [])).join(' | ');
      console.log(`# "${entry}" showed nothing in 10 s (attempt ${attempt}): asking again${toasts ? `; notifications: ${toasts}` : ''}`);
    }
  }
}

async function pickFromRowMenu(page: Page, row: Locator, entry: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const menu = await openRowMenu(page, row);
    const item = menu.locator('.action-item', { has: page.locator('.action-label', { hasText: new RegExp(`^${entry}$`) }) }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await sleep(200);
    await item.click();
    try {
      await menu.first().waitFor({ state: 'hidden', timeout: 3000 });
      return;
    } catch (e) {
      if (attempt >= 2) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

/** The labels of a row's context menu (then closed again). */
export async function contextMenuLabels(page: Page, row: Locator): Promise<string[]> {
  const menu = await openRowMenu(page, row);
  await sleep(300);
  const labels = (await menu.first().locator('.action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
  await page.keyboard.press('Escape');
  await menu.first().waitFor({ state: 'hidden', timeout: 5000 });
  return labels;
}

/**
 * Clicks a tree row until `shows` is visible. A click that lands while the tree re-renders under
 * the pointer (a watched folder changed, a folder above collapsed) hits the row that moved there or
 * nothing: it is made again, up to three times.
 */
export async function clickRowUntil(row: Locator, shows: Locator): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await row.click();
    try {
      await shows.first().waitFor({ state: 'visible', timeout: attempt >= 2 ? 20_000 : 6000 });
      return;
    } catch (e) {
      if (attempt >= 2) throw e;
    }
  }
}

/** Clicks a tree row that opens a file until the file's editor tab shows. */
export async function openFromTree(page: Page, row: Locator, tabLabel: string | RegExp): Promise<void> {
  await clickRowUntil(row, page.locator('.tabs-container .tab', { hasText: tabLabel }));
}

// ---------------------------------------------------------------------------
// All-in-one

export interface WorkbenchSession {
  server: CodeServer;
  browserSession: BrowserSession;
  page: Page;
}

export interface WithWorkbenchOptions extends StartCodeServerOptions {
  /** Name used for the failure screenshot / log dump (default: "e2e"). */
  name?: string;
  /** Folder (or `.code-workspace` file) to open (default: the server's workspaceFolder). */
  folder?: string;
}

/**
 * Starts code-server and Chromium, opens the workbench, runs `fn`, and always
 * cleans up. On failure saves test-results/e2e/<name>-failure.png, copies the
 * code-server logs to test-results/e2e/<name>-logs/ and prints the log tails.
 */
export async function withWorkbench(
  opts: WithWorkbenchOptions,
  fn: (s: WorkbenchSession) => Promise<void>,
): Promise<void> {
  const name = opts.name ?? 'e2e';
  const t0 = Date.now();
  const phases: string[] = [];
  const phase = (what: string, since: number) => phases.push(`${what} ${((Date.now() - since) / 1000).toFixed(1)} s`);
  // Start both at once (saves ~1 s); if one fails, tear down the other.
  const [serverR, browserR] = await Promise.allSettled([startCodeServer(opts), launchBrowser()]);
  phase('code-server and chromium', t0);
  if (serverR.status === 'rejected' || browserR.status === 'rejected') {
    if (serverR.status === 'fulfilled') await serverR.value.stop();
    if (browserR.status === 'fulfilled') await browserR.value.close();
    throw serverR.status === 'rejected' ? serverR.reason : (browserR as PromiseRejectedResult).reason;
  }
  const server = serverR.value;
  const browserSession: BrowserSession = browserR.value;
  try {
    const t1 = Date.now();
    await openWorkbench(browserSession.page, server.url, opts.folder ?? server.workspaceFolder);
    phase('workbench', t1);
    const t2 = Date.now();
    await fn({ server, browserSession, page: browserSession.page });
    phase('test', t2);
  } catch (err) {
    await reportFailure(name, server, browserSession);
    throw err;
  } finally {
    const t3 = Date.now();
    await browserSession.close();
    await server.stop();
    phase('teardown', t3);
    // Where an e2e test's time goes, for keeping the suite within its budget.
    console.log(`[e2e ${name}] ${phases.join(', ')}`);
  }
}

/** Failure dump: screenshot, copied logs and log tails on stderr. Never throws. */
export async function reportFailure(name: string, server: CodeServer, browserSession?: BrowserSession): Promise<void> {
  const safe = name.replace(/[^\w.-]+/g, '_');
  try {
    if (browserSession) {
      const file = await screenshot(browserSession.page, `${safe}-failure`);
      console.error(`[e2e] failure screenshot: ${file}`);
      if (browserSession.consoleErrors.length) {
        console.error(`[e2e] browser console errors:\n${browserSession.consoleErrors.slice(-30).join('\n')}`);
      }
    }
  } catch (e) {
    console.error(`[e2e] screenshot failed: ${String(e)}`);
  }
  try {
    const dest = path.join(resultsDir(), `${safe}-logs`);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.cpSync(path.join(server.userDataDir, 'logs'), dest, { recursive: true });
    fs.copyFileSync(server.stdoutLog, path.join(dest, 'code-server.log'));
    console.error(`[e2e] logs copied to ${dest}`);
  } catch {
    /* no logs yet */
  }
  console.error(server.logTail(60));
}
