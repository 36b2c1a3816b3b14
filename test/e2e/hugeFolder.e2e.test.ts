/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * A huge folder in the Remote Explorer, end to end (issue 15, "Find in huge folders"): 3,000
 * files shown 50 a page. Find in Folder narrows it on the cluster as you type; the entry picked
 * (page 55, far past "Load more…") is revealed and selected in the tree and opened. Sort Folder
 * By → Size puts the largest file first. Go to Entry selects an entry by name on its page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Locator, Page } from 'playwright-core';
import { connectAndOpenHome, contextMenu, eventually, paneRow, pickQuickPickItem, quickInput, repoRoot, runCommand, screenshot, viewPane, withWorkbench, answerInputBox } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const HOST = 'hpc-sandbox';
const N = 3000;

/** run_00000.log … run_02999.log (empty), medium.dat (1 MiB) and zz-huge-output.dat (5 GiB): sparse, so nothing is written. */
const MAKE = [
  'import os, sys',
  'd, n = os.path.expanduser(sys.argv[1]), int(sys.argv[2])',
  'os.mkdir(d)',
  'for i in range(n): open(os.path.join(d, "run_%05d.log" % i), "w").close()',
  'for name, size in (("medium.dat", 1 << 20), ("zz-huge-output.dat", 5 << 30)):',
  '    with open(os.path.join(d, name), "w") as f: f.truncate(size)',
].join('\n');

/** The row of a folder's child at a position (1-based) in the tree, whatever is scrolled into view. */
const childAt = (page: Page, level: number, pos: number): Locator =>
  viewPane(page, 'Remote Explorer').locator(`.monaco-list-row[role="treeitem"][aria-level="${level}"][aria-posinset="${pos}"]`).first();

/** The tree renders only rows in view: wheel up, then down, until the row exists. */
async function scrollTo(page: Page, row: Locator): Promise<void> {
  const list = viewPane(page, 'Remote Explorer').locator('.monaco-list').first();
  await list.hover({ position: { x: 5, y: 40 } });
  for (let i = 0; i < 90 && !(await row.isVisible()); i++) {
    await page.mouse.wheel(0, i < 30 ? -150 : 150);
    await new Promise((r) => setTimeout(r, 100));
  }
  await row.waitFor({ state: 'visible', timeout: 5000 });
}

test('a 3,000-entry folder: Find in Folder reveals and opens page 55, Sort by Size changes the first row, Go to Entry selects by name', { skip: e2eSkip(), timeout: 300_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-huge-${process.pid}-${Date.now().toString(36)}`;
  const ssh = (argv: string[], input?: string) => execFileSync('ssh', ['-F', d.sshConfig, '-o', 'BatchMode=yes', HOST, ...argv], { encoding: 'utf8', timeout: 60_000, ...(input ? { input } : {}) });
  ssh(['python3', '-', `~/${dir}`, String(N)], MAKE);
  try {
    await withWorkbench(
      {
        name: 'huge-folder',
        extensionDevelopmentPath: repoRoot(),
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.explorer.showHiddenFiles': false, 'remoteHpc.explorer.pageSize': 50 },
      },
      async ({ page }) => {
        await connectAndOpenHome(page, HOST);
        // Room for the tree: the other panes collapsed.
        for (const other of ['Hosts', 'Jobs']) {
          const header = viewPane(page, other).locator('.pane-header');
          if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
        }
        const folder = paneRow(page, 'Remote Explorer', dir, 3);
        await folder.waitFor({ state: 'visible', timeout: 30_000 });
        await folder.click();
        await paneRow(page, 'Remote Explorer', 'medium.dat', 4).waitFor({ state: 'visible', timeout: 30_000 });
        assert.equal(await childAt(page, 4, 1).locator('.label-name').textContent(), 'medium.dat', 'by name at first');

        // Find in Folder (context menu): typing narrows the folder on the cluster.
        await contextMenu(page, folder, 'Find in Folder…');
        const input = quickInput(page).locator('input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill('2718');
        const title = quickInput(page).locator('.quick-input-title');
        await eventually('the match count in the title', () => title.textContent(), (t) => /: 1 match\b/.test(t ?? ''), 30_000);
        await screenshot(page, 'huge-1-find');
        await pickQuickPickItem(page, /run_02718\.log$/, 30_000);

        // Picked: revealed and selected in the tree, and opened. Its page alone is loaded: entries
        // 2,701–2,750 of the folder (medium.dat is the first), after "Load previous…".
        await page.locator('.tabs-container .tab', { hasText: 'run_02718.log' }).waitFor({ state: 'visible', timeout: 30_000 });
        const found = paneRow(page, 'Remote Explorer', 'run_02718.log', 4);
        await found.waitFor({ state: 'visible', timeout: 30_000 });
        await eventually('the found entry selected', () => found.getAttribute('aria-selected'), (v) => v === 'true', 10_000);
        assert.deepEqual([await found.getAttribute('aria-posinset'), await found.getAttribute('aria-setsize')], ['21', '52'], 'previous, 50 entries, more');
        const previous = paneRow(page, 'Remote Explorer', 'Load previous…', 4);
        await scrollTo(page, previous);
        assert.match((await previous.locator('.label-description').textContent()) ?? '', /^2,700 before$/);
        await screenshot(page, 'huge-2-revealed');

        // Sort Folder By → Size: sorted on the cluster, the largest file is the first row.
        await scrollTo(page, folder);
        await contextMenu(page, folder, 'Sort Folder By…');
        await pickQuickPickItem(page, /^Size \(largest first\)$/);
        const first = childAt(page, 4, 1);
        await eventually('the largest file first', () => first.locator('.label-name').textContent().catch(() => null), (t) => t === 'zz-huge-output.dat', 30_000);
        assert.match((await first.locator('.label-description').textContent()) ?? '', /^5\.0 GB$/);
        assert.equal(await childAt(page, 4, 2).locator('.label-name').textContent(), 'medium.dat');
        assert.match((await folder.locator('.label-description').textContent()) ?? '', /largest first/);
        await screenshot(page, 'huge-3-by-size');

        // Go to Entry (palette, on the selected folder): a name, its page loaded directly, selected.
        await runCommand(page, 'Remote HPC: Go to Entry…');
        await answerInputBox(page, 'run_01500.log');
        const target = paneRow(page, 'Remote Explorer', 'run_01500.log', 4);
        await target.waitFor({ state: 'visible', timeout: 30_000 });
        await eventually('the entry selected', () => target.getAttribute('aria-selected'), (v) => v === 'true', 10_000);
      },
    );
  } finally {
    ssh(['rm', '-rf', '--', `~/${dir}`]);
  }
});
