/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * Search in Folder… end to end, in code-server + Chromium against the sandbox: the Match Case
 * toggle, a content search over a folder with a job log over the 10 MB limit (its match) and a
 * folder without permission. The results list says what was not searched and why; "Search these
 * too" searches again with the size limit lifted and finds the match in the big log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Locator, Page } from 'playwright-core';
import { openView, pickQuickPickItem, quickInput, repoRoot, runCommand, screenshot, treeItem, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const HOST = 'hpc-sandbox';
/** 16-byte lines up to the 10 MB limit, then the match: the log is 21 bytes over it. */
const BIG_LINES = (10 * 1024 * 1024) / 16;

function ssh(script: string): string {
  return execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 60_000 });
}

function explorerItem(page: Page, label: string, level?: number): Locator {
  const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Remote Explorer' }) });
  const rows = pane.locator(level === undefined ? '.monaco-list-row[role="treeitem"]' : `.monaco-list-row[role="treeitem"][aria-level="${level}"]`);
  return rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
}

/** The rows of the open quick pick as "label — description" (separators included), once `ready` matches one. */
async function quickPickRows(page: Page, ready: RegExp, timeoutMs = 60_000): Promise<string[]> {
  const rows = quickInput(page).locator('.monaco-list-row');
  await rows.filter({ hasText: ready }).first().waitFor({ state: 'visible', timeout: timeoutMs });
  return (await rows.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
}

test('search in folder: Match Case toggle, files over 10 MB and a locked folder reported, "Search these too" finds the match in the big log', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-search-${process.pid}-${Date.now().toString(36)}`;
  ssh(
    `mkdir -p ~/${dir}/logs ~/${dir}/locked && cd ~/${dir} && printf 'Needle one\\nneedle two\\n' > notes.txt` +
      ` && yes 'progress 42.00%' | head -n ${BIG_LINES} > logs/job.out && printf 'ERROR needle at the end\\n' >> logs/job.out` +
      ` && printf 'needle inside\\n' > locked/secret.txt && chmod 000 locked`,
  );
  try {
    await withWorkbench(
      {
        name: 'search',
        extensionDevelopmentPath: repoRoot(),
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.explorer.showHiddenFiles': false },
      },
      async ({ page }) => {
        await openView(page, 'Hosts');
        await treeItem(page, HOST).waitFor({ state: 'visible', timeout: 30_000 });
        await runCommand(page, 'Remote HPC: Connect');
        await pickQuickPickItem(page, HOST);
        const home = explorerItem(page, '~');
        await home.waitFor({ state: 'visible', timeout: 60_000 });
        await page.locator('.pane-header', { hasText: 'Hosts' }).first().click();
        if ((await home.getAttribute('aria-expanded')) !== 'true') await home.click();
        const folder = explorerItem(page, dir);
        await folder.waitFor({ state: 'visible', timeout: 30_000 });
        await folder.click(); // selects it (and expands it): the command searches the selected folder
        await explorerItem(page, 'notes.txt').waitFor({ state: 'visible', timeout: 20_000 });
        await runCommand(page, 'Remote HPC: Search in Folder…');

        const widget = quickInput(page);
        await widget.locator('input').fill('needle');
        const contents = widget.locator('.monaco-list-row', { hasText: /in file contents/ }).first();
        await contents.waitFor({ state: 'visible', timeout: 15_000 });
        assert.match((await contents.textContent()) ?? '', /ignore case, literal text/);
        // The Aa button: the item now says the search matches case.
        await widget.locator('.quick-input-titlebar .action-label[aria-label^="Match Case"], .quick-input-titlebar .action-label[title^="Match Case"]').first().click();
        await widget.locator('.monaco-list-row', { hasText: /match case, literal text/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
        await screenshot(page, 'search-1-toggles');
        await pickQuickPickItem(page, /in file contents$/);

        // Results: what was not searched first (the big log, the locked folder), then the one case-exact match.
        const rows = await quickPickRows(page, /notes\.txt:2/);
        await screenshot(page, 'search-2-skipped');
        const text = rows.join('\n');
        assert.match(text, /Not searched: 1 file over 10\.0 MB, 1 folder without read permission/);
        assert.match(text, /Search these too\s*also the file over 10\.0 MB/);
        assert.match(text, /logs\/job\.out.*too big \(10\.0 MB\)/);
        assert.match(text, /locked.*folder: permission denied/);
        assert.doesNotMatch(text, /notes\.txt:1/, 'Match Case: "Needle" is not "needle"');

        // Search these too: the size limit lifted, the match at the end of the big log is found.
        await pickQuickPickItem(page, /Search these too/);
        const again = await quickPickRows(page, new RegExp(`logs/job\\.out:${BIG_LINES + 1}`), 90_000);
        await screenshot(page, 'search-3-big-included');
        assert.match(again.join('\n'), /notes\.txt:2/);
        assert.doesNotMatch(again.join('\n'), /too big/);
        assert.match(again.join('\n'), /locked.*folder: permission denied/, 'the locked folder is still reported');
        await page.keyboard.press('Escape');
      },
    );
  } finally {
    try {
      ssh(`chmod -R u+rwx ~/${dir}; rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
