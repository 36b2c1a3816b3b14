/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * A remote folder as a workspace folder, end to end: "Add Folder to Workspace" from the Remote
 * Explorer puts `hpc://hpc-sandbox/<folder>` in VS Code's own Explorer (which lists and opens it
 * through the hpc: file system, next to a local folder of the multi-root workspace), and
 * "Go to File on the Cluster…" finds a nested file by name through the agent and opens it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAndOpenHome, contextMenu, eventually, paneRow, quickInput, repoRoot, runCommand, screenshot, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const HOST = 'hpc-sandbox';

test('a remote folder in the workspace: VS Code\'s Explorer lists and opens it; Go to File finds by name on the cluster', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-workspace-${process.pid}-${Date.now().toString(36)}`;
  const ssh = (script: string) => execFileSync('ssh', ['-F', d.sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 30_000 });
  ssh(`mkdir -p ~/${dir}/results/run-07 && printf 'top\\n' > ~/${dir}/notes.txt && printf 'deep data\\n' > ~/${dir}/results/run-07/summary-deep.csv`);
  const tmp = mkdtempSync(join(tmpdir(), 'rhpc-e2e-ws-'));
  mkdirSync(join(tmp, 'local'));
  const workspaceFile = join(tmp, 'study.code-workspace');
  writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: join(tmp, 'local') }] }));
  try {
    await withWorkbench(
      {
        name: 'workspace',
        extensionDevelopmentPath: repoRoot(),
        // A multi-root workspace already (a single-folder window would be turned into one, and reload).
        folder: workspaceFile,
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.explorer.showHiddenFiles': false },
      },
      async ({ page }) => {
        await connectAndOpenHome(page, HOST);
        const ours = paneRow(page, 'Remote Explorer', dir);
        await ours.waitFor({ state: 'visible', timeout: 30_000 });

        // Added to the (multi-root) workspace: VS Code's Explorer shows it next to the local folder.
        await contextMenu(page, ours, 'Add Folder to Workspace');
        const folderRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: `${dir} — ${HOST}` }).first();
        await folderRow.waitFor({ state: 'visible', timeout: 90_000 });
        if ((await folderRow.getAttribute('aria-expanded')) !== 'true') await folderRow.click();
        const notes = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.txt' }).first();
        await notes.waitFor({ state: 'visible', timeout: 60_000 });
        await notes.click();
        await page.locator('.editor-instance .view-lines', { hasText: 'top' }).waitFor({ state: 'visible', timeout: 30_000 });
        await screenshot(page, 'workspace-1-explorer');

        // Go to File: a name typed, found two folders down by the agent, opened.
        await runCommand(page, 'Remote HPC: Go to File on the Cluster…');
        await quickInput(page).locator('input').fill('deep');
        const item = quickInput(page).locator('.monaco-list-row', { hasText: 'summary-deep.csv' }).first();
        await item.waitFor({ state: 'visible', timeout: 30_000 });
        assert.match((await item.textContent()) ?? '', /results\/run-07/);
        await item.click();
        await page.locator('.tabs-container .tab', { hasText: 'summary-deep.csv' }).waitFor({ state: 'visible', timeout: 30_000 });
        await eventually(
          'the file opened',
          () => page.locator('.editor-instance .view-lines', { hasText: 'deep data' }).count(),
          (n) => n > 0,
          20_000,
        );
        await screenshot(page, 'workspace-2-go-to-file');
      },
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    try {
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
