/**
 * Previews end to end, in code-server + Chromium against the sandbox cluster: open a remote
 * image from the Remote Explorer and find the <img> the custom editor rendered; open the
 * gallery and count thumbnails (virtualised: rendered cells < images); make a WebM from the
 * folder through the quick picks and watch <video> reach readyState >= 2 with the right
 * duration. Screenshots go to test-results/e2e/.
 *
 * Needs: the sandbox, the e2e toolchain (scripts/e2e/install.sh) and a built extension.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import {
  answerInputBox,
  launchBrowser,
  openView,
  openWorkbench,
  pickQuickPickItem,
  reportFailure,
  repoRoot,
  runCommand,
  screenshot,
  startCodeServer,
  treeItem,
  webviewFrame,
  type WorkbenchSession,
} from './harness';
import { e2eSkip } from '../support/prerequisites';

const root = repoRoot();
const sshConfig = join(root, '.sandbox', 'ssh_config');
const knownHosts = join(root, '.sandbox', 'known_hosts');
const HOST = 'hpc-sandbox';
const FRAMES = 40;
const FPS = 10;

/**
 * The harness's withWorkbench, with the settings also written as remote machine settings:
 * code-server's extension host does not reliably see `machine`-scoped settings
 * (remoteHpc.sshConfigFile, knownHostsFile) from the user settings file (as in explorer.e2e).
 */
async function withWorkbench(opts: { name: string; extensionDevelopmentPath: string; settings: Record<string, unknown> }, fn: (s: WorkbenchSession) => Promise<void>): Promise<void> {
  const server = await startCodeServer(opts);
  mkdirSync(join(server.userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(server.userDataDir, 'Machine', 'settings.json'), JSON.stringify(opts.settings, null, 2));
  let browserSession: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    browserSession = await launchBrowser();
    await openWorkbench(browserSession.page, server.url, server.workspaceFolder);
    await fn({ server, browserSession, page: browserSession.page });
  } catch (err) {
    await reportFailure(opts.name, server, browserSession);
    throw err;
  } finally {
    await browserSession?.close();
    await server.stop();
  }
}

function ssh(script: string): string {
  return execFileSync('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 60_000 });
}

function explorerItem(page: Page, label: string): Locator {
  const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Remote Explorer' }) });
  const re = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return pane.locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: re }) }).first();
}

async function eventually<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The bits of HTMLImageElement / HTMLVideoElement read in the page (this tsconfig has no DOM lib). */
interface Img {
  naturalWidth: number;
  naturalHeight: number;
}
interface Vid {
  readyState: number;
  duration: number;
  videoWidth: number;
  currentTime: number;
  addEventListener(type: 'seeked', fn: () => void, opts: { once: boolean }): void;
}

const why = e2eSkip();

test('previews: image editor, gallery thumbnails, video made from the folder', { skip: why, timeout: 300_000 }, async () => {
  const dir = `e2e-preview-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  ssh(
    `mkdir -p ~/${dir} && cd ~/${dir} && ffmpeg -v error -f lavfi -i testsrc=size=641x481:rate=${FPS} -frames:v ${FRAMES} 'frame %02d.png'`,
  );
  try {
    await withWorkbench(
      {
        name: 'preview',
        extensionDevelopmentPath: root,
        settings: {
          'remoteHpc.sshConfigFile': sshConfig,
          'remoteHpc.knownHostsFile': knownHosts,
          'remoteHpc.explorer.showHiddenFiles': false,
        },
      },
      async ({ page }) => {
        await openView(page, 'Hosts');
        await treeItem(page, HOST).waitFor({ state: 'visible', timeout: 60_000 });
        await runCommand(page, 'Remote HPC: Connect');
        await pickQuickPickItem(page, HOST);
        const homeRow = explorerItem(page, '~');
        await homeRow.waitFor({ state: 'visible', timeout: 60_000 });
        await page.locator('.pane-header', { hasText: 'Hosts' }).first().click();
        await page.locator('.pane-header', { hasText: 'Jobs' }).first().click();
        if ((await homeRow.getAttribute('aria-expanded')) !== 'true') await homeRow.click();
        const dirRow = explorerItem(page, dir);
        await dirRow.waitFor({ state: 'visible', timeout: 30_000 });
        await dirRow.click();

        // 1. The image opens in the custom editor; the webview renders an <img> of the right size.
        const fileRow = explorerItem(page, 'frame 01.png');
        await fileRow.waitFor({ state: 'visible', timeout: 30_000 });
        await fileRow.click();
        const imgFrame = await webviewFrame(page, { selector: 'body[data-view="imagePreview"]', timeoutMs: 60_000 });
        await imgFrame.locator('img[data-loaded="true"]').waitFor({ state: 'attached', timeout: 60_000 });
        const natural = await imgFrame.locator('img').evaluate((el: unknown) => [(el as Img).naturalWidth, (el as Img).naturalHeight]);
        assert.deepEqual(natural, [641, 481]);
        assert.match((await imgFrame.locator('[data-testid="status"]').textContent()) ?? '', /641 × 481 px/);
        // Our editor is the one for hpc: images, with no "multiple default editors" question.
        assert.equal(await page.locator('.notification-toast', { hasText: 'multiple default editors' }).count(), 0);
        await screenshot(page, 'preview-1-image');

        // 2. Gallery of the folder (of the active image): thumbnails stream in; only visible rows exist.
        await runCommand(page, 'Remote HPC: Open Image Gallery');
        const gallery: Frame = await webviewFrame(page, { selector: 'body[data-view="gallery"]', timeoutMs: 60_000 });
        await eventually(() => gallery.locator('[data-testid="count"]').textContent(), (t) => t === `${FRAMES} images`);
        assert.equal(await gallery.locator('[data-testid="count"]').textContent(), `${FRAMES} images`);
        const loaded = await eventually(
          async () => [await gallery.locator('.cell').count(), await gallery.locator('.cell img.thumb[data-loaded="true"]').count()],
          ([cells, thumbs]) => cells > 0 && thumbs === cells,
          60_000,
        );
        assert.ok(loaded[0] > 0 && loaded[1] === loaded[0], `rendered cells ${loaded[0]}, loaded thumbnails ${loaded[1]}`);
        const sizes = await gallery.locator('.cell img.thumb').evaluateAll((els: unknown[]) => els.map((el) => `${(el as Img).naturalWidth}x${(el as Img).naturalHeight}`));
        // Made on the remote at the configured 256 px; the image opened above is already cached whole and stands in for its own.
        assert.ok(sizes.filter((s) => s === '256x192').length >= sizes.length - 1, `thumbnail sizes ${sizes.join(' ')}`);
        await screenshot(page, 'preview-2-gallery');
        // Filter narrows the grid.
        await gallery.locator('vscode-textfield.filter').click();
        await page.keyboard.type('frame 1');
        await eventually(() => gallery.locator('[data-testid="count"]').textContent(), (t) => t === `10 of ${FRAMES} images`);
        assert.equal(await gallery.locator('[data-testid="count"]').textContent(), `10 of ${FRAMES} images`);
        for (let i = 0; i < 'frame 1'.length; i++) await page.keyboard.press('Backspace');
        await eventually(() => gallery.locator('[data-testid="count"]').textContent(), (t) => t === `${FRAMES} images`);

        // 3. Make a video of the folder from the gallery's toolbar.
        await gallery.locator('vscode-toolbar-button[label="Make video"]').click();
        await pickQuickPickItem(page, /^10 fps/);
        await pickQuickPickItem(page, /^WebM/);
        await pickQuickPickItem(page, /^By name/);
        await answerInputBox(page, `${home}/${dir}/movie.webm`);
        const video = await webviewFrame(page, { selector: 'body[data-view="video"]', timeoutMs: 120_000 });
        const state = await eventually(
          () => video.locator('video').evaluate((el: unknown) => ({ ready: (el as Vid).readyState, duration: (el as Vid).duration, w: (el as Vid).videoWidth })),
          (s) => s.ready >= 2,
          90_000,
        );
        assert.ok(state.ready >= 2, `readyState ${state.ready}`);
        assert.ok(Math.abs(state.duration - FRAMES / FPS) < 0.2, `duration ${state.duration}`);
        assert.equal(state.w, 640);
        // Seeking works (the webview serves byte ranges).
        const seeked = await video.locator('video').evaluate(
          (el: unknown) =>
            new Promise<number>((resolve) => {
              const v = el as Vid;
              v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
              v.currentTime = v.duration / 2;
            }),
        );
        assert.ok(Math.abs(seeked - FRAMES / FPS / 2) < 0.3, `seeked to ${seeked}`);
        await screenshot(page, 'preview-3-video');
        const listing = ssh(`ls -A ~/${dir}`);
        assert.match(listing, /movie\.webm/);
        assert.doesNotMatch(listing, /^\./m, 'no work folder or partial file left');
      },
    );
  } finally {
    try {
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
