/**
 * Remote Explorer end to end, in code-server + Chromium against the sandbox cluster:
 * connect, expand the home folder, hide files with a reject filter, open a remote file,
 * edit and save it, and read the change back over plain ssh.
 *
 * Needs: the sandbox (npm run sandbox:start), the e2e toolchain (scripts/e2e/install.sh) and a
 * built extension (node esbuild.mjs). Skipped with the reason when one is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Locator, Page } from 'playwright-core';
import { answerInputBox, openView, pickQuickPickItem, repoRoot, runCommand, screenshot, treeItem, withWorkbench } from './harness';
import { e2eMissing } from './prerequisites';
import { sandbox } from '../support/sandbox';

const HOST = 'hpc-sandbox';

/** Runs a command on the sandbox over plain OpenSSH (independent of the extension). */
function ssh(script: string): string {
  return execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 30_000 });
}

/** The Remote Explorer pane of the Remote HPC view container. */
function explorerPane(page: Page): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: 'Remote Explorer' }) });
}

function explorerItem(page: Page, label: string | RegExp): Locator {
  const re = typeof label === 'string' ? new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : label;
  return explorerPane(page)
    .locator('.monaco-list-row[role="treeitem"]')
    .filter({ has: page.locator('.label-name', { hasText: re }) })
    .first();
}

async function expand(row: Locator): Promise<void> {
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  const expanded = await eventually(() => row.getAttribute('aria-expanded'), (v) => v === 'true', 10_000);
  assert.equal(expanded, 'true', 'folder did not expand');
}

async function eventually<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('remote explorer: browse home, filter, open, edit, save, read back over ssh', { skip: e2eMissing(), timeout: 240_000 }, async () => {
  const d = sandbox();
  // A folder of our own in the remote home, with a unique name so parallel/earlier runs do not interfere.
  const dir = `e2e-explorer-${process.pid}-${Date.now().toString(36)}`;
  ssh(`mkdir -p ~/${dir} && printf 'first line\\n' > ~/${dir}/edit-me.txt && printf 'noise\\n' > ~/${dir}/noise.log && printf 'keep\\n' > ~/${dir}/keep.txt`);
  try {
    await withWorkbench(
      {
        name: 'explorer',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          // Dot-folders of the sandbox account would push ours out of the (virtualized) list.
          'remoteHpc.explorer.showHiddenFiles': false,
          'files.autoSave': 'off',
        },
      },
      async ({ page }) => {
        await openView(page, 'Hosts');
        await treeItem(page, HOST).waitFor({ state: 'visible', timeout: 30_000 });
        await runCommand(page, 'Remote HPC: Connect');
        await pickQuickPickItem(page, HOST);

        // The host appears in the Remote Explorer with its home root "~".
        const homeRow = explorerItem(page, '~');
        await homeRow.waitFor({ state: 'visible', timeout: 60_000 });
        // Make room: collapse the Hosts pane.
        await page.locator('.pane-header', { hasText: 'Hosts' }).first().click();
        await expand(homeRow);
        await expand(explorerItem(page, dir));
        await explorerItem(page, 'noise.log').waitFor({ state: 'visible', timeout: 20_000 });
        await explorerItem(page, 'edit-me.txt').waitFor({ state: 'visible' });
        await screenshot(page, 'explorer-1-expanded');

        // Reject filter: *.log files disappear, the rest stays; the view says what is filtered.
        await runCommand(page, 'Filter Remote Explorer…');
        await pickQuickPickItem(page, /Hide files matching/);
        await answerInputBox(page, '\\.log$');
        await explorerItem(page, 'noise.log').waitFor({ state: 'detached', timeout: 20_000 });
        await explorerItem(page, 'keep.txt').waitFor({ state: 'visible' });
        await explorerItem(page, 'edit-me.txt').waitFor({ state: 'visible' });
        const header = explorerPane(page).locator('.pane-header');
        assert.match((await header.textContent()) ?? '', /hide files \\\.log\$/);
        await screenshot(page, 'explorer-2-filtered');

        // Open the remote file (a click on a file opens it), edit and save.
        await explorerItem(page, 'edit-me.txt').click();
        const editor = page.locator('.editor-instance .monaco-editor').first();
        await editor.locator('.view-lines', { hasText: 'first line' }).waitFor({ state: 'visible', timeout: 30_000 });
        await editor.locator('.view-lines').click();
        await page.keyboard.press('Control+End');
        await page.keyboard.type('edited in the browser\n');
        await page.keyboard.press('Control+S');
        await page.locator('.tabs-container .tab.dirty').waitFor({ state: 'detached', timeout: 20_000 });
        await screenshot(page, 'explorer-3-saved');

        // Read it back over plain ssh.
        const text = await eventually(
          () => ssh(`cat ~/${dir}/edit-me.txt`),
          (t) => t.includes('edited in the browser'),
        );
        assert.equal(text, 'first line\nedited in the browser\n');

        // Clear the filter again: noise.log comes back.
        await runCommand(page, 'Clear Remote Explorer Filter');
        await explorerItem(page, 'noise.log').waitFor({ state: 'visible', timeout: 20_000 });
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
