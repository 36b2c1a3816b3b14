/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * Previews end to end, in code-server + Chromium against the sandbox cluster: open a remote
 * image from the Remote Explorer and find the <img> the custom editor rendered; open the
 * gallery and count thumbnails (virtualised: rendered cells < images); make a WebM from the
 * folder through the quick picks and watch <video> reach readyState >= 2 with the right
 * duration; zoom a wide and a tall image (Fit keeps the aspect ratio and shows it all, 300 % is
 * 3× both ways and pans both ways); open images from the gallery by click and by Enter (the
 * gallery keeps the keyboard) and by double-click (the image gets it), and Reload Window (every
 * tab comes back waiting for Connect, then loads, the zoom too). Screenshots go to test-results/e2e/.
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
  reloadWindow,
  launchBrowser,
  openFromTree,
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
const SETTINGS = { 'remoteHpc.sshConfigFile': sshConfig, 'remoteHpc.knownHostsFile': knownHosts, 'remoteHpc.explorer.showHiddenFiles': false };

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

/** Connects to the sandbox and expands ~/<dir> in the Remote Explorer (the other views collapsed). */
async function connectAndExpand(page: Page, dir: string): Promise<void> {
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

/** What the zoom test reads of the image and of the scrolling stage (this tsconfig has no DOM lib). */
interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}
interface Measured extends Img {
  getBoundingClientRect(): Box;
}
interface Stage {
  getBoundingClientRect(): Box;
  querySelector(selector: string): Measured | null;
  clientWidth: number;
  clientHeight: number;
  scrollWidth: number;
  scrollHeight: number;
  scrollLeft: number;
  scrollTop: number;
}
interface Geometry {
  natural: [number, number];
  img: Box;
  view: Box;
  scrollWidth: number;
  scrollHeight: number;
  scrollLeft: number;
  scrollTop: number;
}

/** The rendered image and the visible part of the stage, in the webview's CSS pixels. */
function geometry(frame: Frame): Promise<Geometry> {
  return frame.locator('.stage').evaluate((el: unknown) => {
    const stage = el as Stage;
    const img = stage.querySelector('img');
    if (!img) throw new Error('no <img> in the stage');
    const s = stage.getBoundingClientRect();
    const r = img.getBoundingClientRect();
    return {
      natural: [img.naturalWidth, img.naturalHeight] as [number, number],
      img: { left: r.left, top: r.top, width: r.width, height: r.height },
      view: { left: s.left, top: s.top, width: stage.clientWidth, height: stage.clientHeight },
      scrollWidth: stage.scrollWidth,
      scrollHeight: stage.scrollHeight,
      scrollLeft: stage.scrollLeft,
      scrollTop: stage.scrollTop,
    };
  });
}

const size = (g: Geometry): string => `${g.img.width.toFixed(1)}×${g.img.height.toFixed(1)} in a ${g.view.width}×${g.view.height} view`;

/** What is wrong at Fit (natural aspect ratio, the whole image inside the view, never enlarged). */
function fitProblems(g: Geometry, label: string): string[] {
  const [nw, nh] = g.natural;
  const out: string[] = [];
  if (Math.abs(g.img.width / g.img.height - nw / nh) > 0.01) out.push(`${label}: aspect of ${size(g)}, natural ${nw}×${nh}`);
  if (g.img.width > nw + 0.5 || g.img.height > nh + 0.5) out.push(`${label}: enlarged beyond 100 %: ${size(g)}`);
  const inside = g.img.left >= g.view.left - 0.5 && g.img.top >= g.view.top - 0.5 && g.img.left + g.img.width <= g.view.left + g.view.width + 0.5 && g.img.top + g.img.height <= g.view.top + g.view.height + 0.5;
  if (!inside) out.push(`${label}: not all visible: image at ${g.img.left},${g.img.top}, ${size(g)} at ${g.view.left},${g.view.top}`);
  return out;
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
        settings: SETTINGS,
      },
      async ({ page }) => {
        await connectAndExpand(page, dir);

        // 1. The image opens in the custom editor; the webview renders an <img> of the right size.
        const fileRow = explorerItem(page, 'frame 01.png');
        await openFromTree(page, fileRow, 'frame 01.png');
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

test('image preview: fit keeps the aspect ratio and fits, 300 % is 3× both ways and pans', { skip: why, timeout: 300_000 }, async () => {
  const dir = `e2e-zoom-${process.pid}-${Date.now().toString(36)}`;
  // A wide photo-like frame and a tall strip, both larger than the view in at least one direction.
  ssh(
    `mkdir -p ~/${dir} && cd ~/${dir} && ffmpeg -v error -f lavfi -i testsrc=size=1024x768 -frames:v 1 wide.png && ffmpeg -v error -f lavfi -i testsrc=size=400x1600 -frames:v 1 tall.png`,
  );
  try {
    await withWorkbench(
      {
        name: 'preview-zoom',
        extensionDevelopmentPath: root,
        settings: SETTINGS,
      },
      async ({ page }) => {
        await connectAndExpand(page, dir);

        const open = async (name: string): Promise<Frame> => {
          const row = explorerItem(page, name);
          await openFromTree(page, row, name);
          const frame = await webviewFrame(page, { selector: `body[data-view="imagePreview"] img[alt="${name}"][data-loaded="true"]`, timeoutMs: 60_000 });
          return frame;
        };

        // Every check is collected, so one run reports everything that is off.
        const problems: string[] = [];
        const check = (ok: boolean, what: string): void => {
          if (!ok) problems.push(what);
        };
        const zoomLabel = async (f: Frame): Promise<string> => (await f.locator('.toolbar .zoom').textContent()) ?? '';

        // The tall strip at Fit: 1600 px high cannot show at 100 % in a 900 px window.
        const tall = await open('tall.png');
        const tallFit = await eventually(() => geometry(tall), (g) => g.img.height < 1600, 10_000);
        console.log(`tall.png at Fit: ${size(tallFit)}, label ${await zoomLabel(tall)}`);
        assert.deepEqual(tallFit.natural, [400, 1600]);
        problems.push(...fitProblems(tallFit, 'tall.png at Fit'));
        // The label says the scale that is drawn.
        const drawn = `${Math.round((tallFit.img.height / 1600) * 100)}%`;
        check((await zoomLabel(tall)).includes(drawn), `tall.png at Fit: label ${await zoomLabel(tall)}, drawn at ${drawn}`);
        await screenshot(page, 'preview-zoom-1-tall-fit');

        // The wide frame: Fit, then 100 % and three steps in to 300 %.
        const wide = await open('wide.png');
        const wideFit = await geometry(wide);
        console.log(`wide.png at Fit: ${size(wideFit)}, label ${await zoomLabel(wide)}`);
        assert.deepEqual(wideFit.natural, [1024, 768]);
        problems.push(...fitProblems(wideFit, 'wide.png at Fit'));
        await wide.locator('vscode-toolbar-button[label="Actual size (1)"]').click();
        const z1 = await geometry(wide);
        console.log(`wide.png at 100 %: ${size(z1)}`);
        check(Math.abs(z1.img.width - 1024) < 1 && Math.abs(z1.img.height - 768) < 1, `100 % of 1024×768 drawn as ${size(z1)}`);
        for (let i = 0; i < 3; i++) await wide.locator('vscode-toolbar-button[label="Zoom in (+)"]').click();
        check((await zoomLabel(wide)) === '300%', `label after three steps in from 100 %: ${await zoomLabel(wide)}`);
        const z3 = await geometry(wide);
        console.log(`wide.png at 300 %: ${size(z3)}, scroll area ${z3.scrollWidth}×${z3.scrollHeight}`);
        check(Math.abs(z3.img.width - 3072) < 1 && Math.abs(z3.img.height - 2304) < 1, `300 % of 1024×768 drawn as ${size(z3)}`);
        // Scrollable both ways, by the scrollbars (scrollLeft/Top) ...
        check(z3.scrollWidth >= 3072 && z3.scrollHeight >= 2304, `scroll area at 300 %: ${z3.scrollWidth}×${z3.scrollHeight}`);
        await wide.locator('.stage').evaluate((el: unknown) => {
          (el as Stage).scrollLeft = 1000;
          (el as Stage).scrollTop = 700;
        });
        const scrolled = await geometry(wide);
        check(scrolled.scrollLeft === 1000 && scrolled.scrollTop === 700, `scrolled to 1000,700 but at ${scrolled.scrollLeft},${scrolled.scrollTop}`);
        // ... and by dragging (left and up moves the view right and down).
        const box = await wide.locator('.stage').boundingBox();
        assert.ok(box);
        const cx = box.x + box.width / 2;
        const cy = box.y + box.height / 2;
        await page.mouse.move(cx, cy);
        await page.mouse.down();
        await page.mouse.move(cx - 150, cy - 100, { steps: 5 });
        await page.mouse.up();
        const dragged = await geometry(wide);
        const want = { left: scrolled.scrollLeft + 150, top: scrolled.scrollTop + 100 };
        check(Math.abs(dragged.scrollLeft - want.left) <= 2 && Math.abs(dragged.scrollTop - want.top) <= 2, `dragged from ${scrolled.scrollLeft},${scrolled.scrollTop} by 150,100: at ${dragged.scrollLeft},${dragged.scrollTop}`);
        await screenshot(page, 'preview-zoom-2-wide-300');

        // Back to Fit: the whole image again.
        await wide.locator('vscode-toolbar-button[label="Fit to window (0)"]').click();
        problems.push(...fitProblems(await geometry(wide), 'wide.png back at Fit'));
        assert.deepEqual(problems, []);
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

test('gallery → image: click and Enter preview beside while the gallery keeps the keyboard, a double-click moves there; after a reload every tab comes back and waits for Connect', { skip: why, timeout: 300_000 }, async () => {
  const dir = `e2e-focus-${process.pid}-${Date.now().toString(36)}`;
  ssh(`mkdir -p ~/${dir} && cd ~/${dir} && for n in a b c; do ffmpeg -v error -f lavfi -i testsrc=size=400x1600 -frames:v 1 $n.png; done`);
  try {
    await withWorkbench({ name: 'preview-focus', extensionDevelopmentPath: root, settings: SETTINGS }, async ({ page }) => {
      await connectAndExpand(page, dir);
      const first = explorerItem(page, 'a.png');
      await openFromTree(page, first, 'a.png');
      await webviewFrame(page, { selector: 'body[data-view="imagePreview"] img[alt="a.png"][data-loaded="true"]', timeoutMs: 60_000 });
      await runCommand(page, 'Remote HPC: Open Image Gallery');
      const gallery = await webviewFrame(page, { selector: 'body[data-view="gallery"]', timeoutMs: 60_000 });
      await eventually(() => gallery.locator('[data-testid="count"]').textContent(), (t) => t === '3 images');
      const hasFocus = (f: Frame) => f.evaluate(() => (globalThis as unknown as { document: { hasFocus(): boolean } }).document.hasFocus());
      const selectedPath = async () => (await gallery.locator('.cell.selected').getAttribute('data-path')) ?? '';

      // A click previews b.png beside; the gallery keeps the keyboard, so → and Enter go on to c.png.
      await gallery.locator('.cell[data-path$="/b.png"]').click();
      const b = await webviewFrame(page, { selector: 'body[data-view="imagePreview"] img[alt="b.png"][data-loaded="true"]', timeoutMs: 60_000 });
      const clicked = await eventually(async () => ({ gallery: await hasFocus(gallery), image: await hasFocus(b) }), (f) => f.gallery && !f.image, 5000);
      await page.keyboard.press('ArrowRight');
      const movedTo = await eventually(selectedPath, (p) => p.endsWith('/c.png'), 5000);
      await page.keyboard.press('Enter');
      const c = await webviewFrame(page, { selector: 'body[data-view="imagePreview"] img[alt="c.png"][data-loaded="true"]', timeoutMs: 60_000 });
      const entered = await eventually(async () => ({ gallery: await hasFocus(gallery), image: await hasFocus(c) }), (f) => f.gallery && !f.image, 5000);
      const cFit = await c.locator('[data-testid="zoom"]').textContent();
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('+');
      const after = { selected: await eventually(selectedPath, (p) => p.endsWith('/b.png'), 5000), zoom: await c.locator('[data-testid="zoom"]').textContent() };
      console.log(`click on b.png: focus ${JSON.stringify(clicked)}; → selected ${movedTo}; Enter on c.png: focus ${JSON.stringify(entered)}; ← and +: ${JSON.stringify(after)}`);
      assert.deepEqual(clicked, { gallery: true, image: false }, 'after a click the gallery keeps the keyboard');
      assert.deepEqual(entered, { gallery: true, image: false }, 'after Enter the gallery keeps the keyboard');
      assert.match(after.selected, /\/b\.png$/, '← moved the gallery selection back');
      assert.equal(after.zoom, cFit, 'keys typed in the gallery did not zoom the preview');
      // Enter replaced the preview tab beside (one preview tab, as VS Code's explorer does).
      assert.equal(await page.locator('.tabs-container .tab', { hasText: /^b\.png/ }).count(), 0, 'b.png was a preview tab, replaced by c.png');
      await screenshot(page, 'preview-focus-1-gallery-keeps-keys');

      // A double-click opens a.png to stay, and the keyboard goes there: + zooms it.
      await gallery.locator('.cell[data-path$="/a.png"]').dblclick();
      await eventually(async () => page.locator('.tabs-container .tab:not(.preview)', { hasText: /^a\.png/ }).count(), (n) => n >= 1, 10_000);
      const a = await webviewFrame(page, { selector: 'body[data-view="imagePreview"] img[alt="a.png"][data-loaded="true"]', timeoutMs: 60_000 });
      const dbl = await eventually(async () => ({ gallery: await hasFocus(gallery), image: await hasFocus(a) }), (f) => f.image, 5000);
      const aFit = await a.locator('[data-testid="zoom"]').textContent();
      await page.keyboard.press('+');
      const aZoom = await eventually(() => a.locator('[data-testid="zoom"]').textContent(), (t) => t !== aFit, 5000);
      console.log(`double-click on a.png: focus ${JSON.stringify(dbl)}, zoom ${aFit} -> ${aZoom}`);
      assert.deepEqual(dbl, { gallery: false, image: true }, 'a double-click gives the image the keyboard');
      assert.notEqual(aZoom, aFit, 'the + key zoomed a.png');

      // Reload Window: every tab comes back (the images are custom editors, the gallery has a
      // serializer); nothing connects by itself: the visible ones say "Connect to hpc-sandbox".
      const tabs = page.locator('.tabs-container .tab');
      const tabLabels = async (): Promise<string[]> => (await tabs.allTextContents()).map((t) => t.trim()).sort();
      const before = await tabLabels();
      assert.ok(before.includes('a.png') && before.some((t) => t.startsWith('Images: ')), `tabs before the reload: ${before.join(', ')}`);
      await reloadWindow(page);
      const labels = await eventually(tabLabels, (l) => l.length >= before.length, 30_000);
      console.log(`tabs after the reload: ${labels.join(', ')}`);
      assert.deepEqual(labels, before);
      const waiting = await webviewFrame(page, { selector: 'body[data-view="imagePreview"] [data-testid="connect"]', timeoutMs: 60_000 });
      assert.match((await waiting.locator('.message').textContent()) ?? '', /Connect to hpc-sandbox to show this image\./);
      const galleryWaiting = await webviewFrame(page, { selector: 'body[data-view="gallery"] [data-testid="connect"]', timeoutMs: 30_000 });
      await openView(page, 'Hosts');
      const hostRow = treeItem(page, HOST);
      await hostRow.waitFor({ state: 'visible', timeout: 30_000 });
      assert.doesNotMatch((await hostRow.locator('.label-description').textContent()) ?? '', /connected/, 'the restored tabs did not connect by themselves');
      await screenshot(page, 'preview-focus-2-reloaded-waiting');

      // Connect from the image: it loads at its zoom, and the gallery, waiting on the same host, lists.
      await waiting.locator('[data-testid="connect"]').click();
      const back = await webviewFrame(page, { selector: 'body[data-view="imagePreview"] img[alt="a.png"][data-loaded="true"]', timeoutMs: 60_000 });
      assert.equal(await back.locator('[data-testid="zoom"]').textContent(), aZoom, 'a.png came back at its zoom');
      await eventually(() => galleryWaiting.locator('[data-testid="count"]').textContent(), (t) => t === '3 images', 60_000);
      await screenshot(page, 'preview-focus-3-reconnected');
    });
  } finally {
    try {
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});

test('video preview: a video this player cannot play is converted to WebM on the cluster (a batch job) and plays', { skip: why, timeout: 300_000 }, async () => {
  const dir = `e2e-convert-${process.pid}-${Date.now().toString(36)}`;
  // MPEG-4 Part 2 in Matroska (the <video> element fails on the codec) and in AVI (a container no
  // browser reads: offered at once); old.webm is there already, so the AVI's copy asks first.
  ssh(
    `mkdir -p ~/${dir} && cd ~/${dir} && ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25 -t 2 -c:v mpeg4 -f matroska clip.mkv && ` +
      `ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 2 -c:v mpeg4 -c:a pcm_s16le -f avi old.avi && echo not a video > old.webm`,
  );
  const settings = { ...SETTINGS, 'remoteHpc.preview.heavyWork': { [HOST]: { runOn: 'batch', time: '5', cpus: 1 } } };
  /** The <video> once it has a source other than `before` and either plays or fails. */
  const plays = (frame: Frame, before: string | null) =>
    eventually(
      () =>
        frame.locator('video').evaluate((el: unknown) => {
          const v = el as Vid & { error: { code: number } | null; getAttribute(name: string): string | null };
          return { src: v.getAttribute('src'), ready: v.readyState, duration: v.duration, w: v.videoWidth, error: v.error?.code ?? 0 };
        }),
      (s) => s.src !== before && (s.ready >= 2 || s.error !== 0),
      120_000,
    );
  const srcOf = (frame: Frame) => frame.locator('video').getAttribute('src');
  try {
    await withWorkbench({ name: 'preview-convert', extensionDevelopmentPath: root, settings }, async ({ page }) => {
      await connectAndExpand(page, dir);

      // 1. The Matroska file downloads, the element fails on its codec: the Convert button shows.
      const mkv = explorerItem(page, 'clip.mkv');
      await mkv.waitFor({ state: 'visible', timeout: 30_000 });
      await mkv.click();
      const video = await webviewFrame(page, { selector: 'body[data-view="video"]', timeoutMs: 60_000 });
      const convert = video.locator('[data-testid="convert"]');
      await convert.waitFor({ state: 'visible', timeout: 60_000 });
      assert.match((await video.locator('[data-testid="convert-text"]').textContent()) ?? '', /could not be played.*lacks its codec or container/);
      await screenshot(page, 'preview-convert-1-offer');
      const mkvSrc = await srcOf(video);
      await convert.click();
      // Queued / running as a batch job, then the WebM plays in the same tab.
      const seen = await eventually(() => video.locator('[data-testid="convert-text"]').textContent(), (t) => /Batch job \d+/.test(t ?? ''), 60_000);
      assert.match(seen ?? '', /Batch job \d+/);
      const state = await plays(video, mkvSrc);
      assert.deepEqual([state.error, state.w], [0, 320], JSON.stringify(state));
      assert.ok(state.ready >= 2 && Math.abs(state.duration - 2) < 0.2, JSON.stringify(state));
      assert.equal(await video.locator('.toolbar .title').textContent(), 'clip.webm');
      await screenshot(page, 'preview-convert-2-playing');
      // Accounting records the end a moment after the job's files are there.
      const jobs = await eventually(() => ssh('sacct -n -X -P --name=remote-hpc-convert -S now-15minutes -o State'), (t) => /COMPLETED/.test(t), 30_000);
      assert.match(jobs ?? '', /COMPLETED/);

      // 2. The AVI is offered at once; its WebM name is taken: "Keep Both" makes "old (2).webm".
      await openFromTree(page, explorerItem(page, 'old.avi'), 'old.avi');
      const aviFrame = await webviewFrame(page, { selector: 'body[data-view="video"] [data-testid="convert-text"]:text("Browsers cannot play .avi videos.")', timeoutMs: 60_000 });
      const aviSrc = await srcOf(aviFrame);
      await aviFrame.locator('[data-testid="convert"]').click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 20_000 });
      assert.match((await dialog.textContent()) ?? '', /old\.webm already exists beside old\.avi/);
      await dialog.locator('.monaco-button', { hasText: /^Keep Both$/ }).click();
      const aviState = await plays(aviFrame, aviSrc);
      assert.deepEqual([aviState.error, aviState.w], [0, 320], JSON.stringify(aviState));
      assert.equal(await aviFrame.locator('.toolbar .title').textContent(), 'old (2).webm');
      const listing = ssh(`ls -A ~/${dir}`);
      assert.deepEqual(listing.trim().split('\n').sort(), ['clip.mkv', 'clip.webm', 'old (2).webm', 'old.avi', 'old.webm']);
      await screenshot(page, 'preview-convert-3-avi');
    });
  } finally {
    try {
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
