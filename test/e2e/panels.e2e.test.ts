/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * Panels survive a reload, end to end: open an image gallery from the Remote Explorer and the New
 * Job form from the Jobs view, type into the form, reload the window (Developer: Reload Window),
 * and find both panels back — the gallery waiting for Connect, then listing its folder again, the
 * form with what was typed.
 *
 * Needs: the sandbox, the e2e toolchain (scripts/e2e/install.sh) and a built extension.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Frame, Page } from 'playwright-core';
import { contextMenu, eventually, openView, pickQuickPickItem, reloadWindow, repoRoot, runCommand, screenshot, treeItem, viewTitleAction, webviewFrame, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const HOST = 'hpc-sandbox';
const IMAGES = 3;

function ssh(script: string): string {
  return execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 60_000 });
}

const galleryFrame = (page: Page): Promise<Frame> => webviewFrame(page, { selector: 'body[data-view="gallery"]', timeoutMs: 60_000 });
const newJobFrame = (page: Page): Promise<Frame> => webviewFrame(page, { selector: 'body[data-view="newJob"]', timeoutMs: 60_000 });
const field = (frame: Frame, key: string) => frame.locator(`#f-${key}`).locator('input, textarea').first();

test('panels: the image gallery and the New Job form come back after a window reload, with their content', { skip: e2eSkip(), timeout: 180_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-panels-${process.pid}-${Date.now().toString(36)}`;
  ssh(`mkdir -p ~/${dir} && cd ~/${dir} && ffmpeg -v error -f lavfi -i testsrc=size=64x48:rate=1 -frames:v ${IMAGES} 'img %d.png'`);
  try {
    await withWorkbench(
      { name: 'panels-reload', extensionDevelopmentPath: repoRoot(), settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts } },
      async ({ page }) => {
        await openView(page, 'Hosts');
        await runCommand(page, 'Remote HPC: Connect');
        await pickQuickPickItem(page, HOST);

        // The gallery of a folder, from the folder's context menu in the Remote Explorer.
        const home = treeItem(page, '~');
        await home.waitFor({ state: 'visible', timeout: 60_000 });
        if ((await home.getAttribute('aria-expanded')) !== 'true') await home.click();
        const folderRow = treeItem(page, dir);
        await folderRow.waitFor({ state: 'visible', timeout: 30_000 });
        await contextMenu(page, folderRow, 'Open Image Gallery', page.locator('.tabs-container .tab', { hasText: `Images: ${dir}` }));
        const count = (f: Frame) => f.locator('[data-testid="count"]').textContent();
        await eventually('the gallery lists the folder', async () => count(await galleryFrame(page)), (t) => t === `${IMAGES} images`, 60_000);

        // The New Job form from the Jobs view's title bar; a draft typed in.
        await openView(page, 'Jobs');
        await viewTitleAction(page, 'Jobs', 'New Job…');
        const form = await newJobFrame(page);
        await form.locator('#f-host').waitFor({ state: 'visible', timeout: 30_000 });
        await field(form, 'name').fill('e2e-reloaded');
        await field(form, 'command').fill('echo "still here"');
        // The cluster's partitions under the field (sinfo); one click fills it in.
        const chip = form.locator('[data-testid="partitions"] .chip', { hasText: /^debug$/ });
        await chip.waitFor({ state: 'visible', timeout: 30_000 });
        await chip.click();
        await eventually('the partition filled in', () => field(form, 'partition').inputValue(), (v) => v === 'debug', 10_000);
        await screenshot(page, 'panels-1-before-reload');

        await reloadWindow(page);

        // Both tabs are back; the form (the active tab) with the draft…
        const tab = (title: string) => page.locator('.tabs-container .tab', { hasText: title });
        await tab('New Job').waitFor({ state: 'visible', timeout: 60_000 });
        await tab(`Images: ${dir}`).waitFor({ state: 'visible', timeout: 10_000 });
        const revived = await newJobFrame(page);
        await eventually('the draft name back', () => field(revived, 'name').inputValue(), (v) => v === 'e2e-reloaded', 30_000);
        assert.equal(await field(revived, 'command').inputValue(), 'echo "still here"');
        assert.equal(await field(revived, 'partition').inputValue(), 'debug');
        // …and the gallery, which does not connect by itself: Connect in it lists the folder again over a new session.
        await tab(`Images: ${dir}`).click();
        const waiting = await webviewFrame(page, { selector: 'body[data-view="gallery"] [data-testid="connect"]', timeoutMs: 60_000 });
        assert.match((await waiting.locator('.message').textContent()) ?? '', new RegExp(`Connect to ${HOST} to show its images\\.`));
        await waiting.locator('[data-testid="connect"]').click();
        await eventually('the revived gallery lists the folder', async () => count(await galleryFrame(page)), (t) => t === `${IMAGES} images`, 60_000);
        await screenshot(page, 'panels-2-after-reload');
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
