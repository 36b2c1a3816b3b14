/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
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
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  answerFileDialog,
  answerInputBox,
  clickRowUntil,
  contextMenu,
  contextMenuLabels,
  openFromTree,
  openView,
  pickQuickPickItem,
  quickInput,
  repoRoot,
  runCommand,
  screenshot,
  treeItem,
  withWorkbench,
} from './harness';
import { e2eSkip } from '../support/prerequisites';
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

/** A row of the Remote Explorer by label (and tree depth: host 1, root 2, …). */
function explorerItem(page: Page, label: string | RegExp, level?: number): Locator {
  const re = typeof label === 'string' ? new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : label;
  return explorerPane(page)
    .locator(level === undefined ? '.monaco-list-row[role="treeitem"]' : `.monaco-list-row[role="treeitem"][aria-level="${level}"]`)
    .filter({ has: page.locator('.label-name', { hasText: re }) })
    .first();
}

/**
 * Expands a folder row; with `child`, until that child row shows. A click that lands while the
 * tree re-renders (a watched folder changed) can be lost, and a refresh of the parent that races
 * the expansion (its children still loading) leaves the folder collapsed again: both are retried,
 * as a user would click again.
 */
async function expand(row: Locator, child?: Locator): Promise<void> {
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const expanded = async () => (await row.getAttribute('aria-expanded')) === 'true';
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!(await expanded())) {
      await row.click();
      await eventually(expanded, (v) => v, 4000);
    }
    const shown = child ? await child.waitFor({ state: 'visible', timeout: attempt >= 2 ? 20_000 : 6000 }).then(() => true, () => false) : await expanded();
    if (shown) return;
    if (child && attempt < 2) console.log(`# the folder's child did not show (attempt ${attempt + 1}, expanded: ${await expanded()}): expanding again`);
  }
  assert.equal(await row.getAttribute('aria-expanded'), 'true', 'folder did not expand');
  assert.fail('the expanded folder did not show the child row');
}

async function collapse(row: Locator): Promise<void> {
  for (let attempt = 0; attempt < 3 && (await row.getAttribute('aria-expanded')) === 'true'; attempt++) {
    await row.click();
    await eventually(() => row.getAttribute('aria-expanded'), (v) => v !== 'true', 4000);
  }
  assert.equal(await row.getAttribute('aria-expanded'), 'false', 'folder did not collapse');
}

/** The tree renders only visible rows: wheel down over it until the row exists. */
async function scrollTo(page: Page, row: Locator): Promise<void> {
  const list = explorerPane(page).locator('.monaco-list').first();
  for (let i = 0; i < 40 && !(await row.isVisible()); i++) {
    await list.hover();
    await page.mouse.wheel(0, 150);
    await new Promise((r) => setTimeout(r, 100));
  }
  await row.waitFor({ state: 'visible', timeout: 5000 });
}

/** Opens a file from the Remote Explorer, types a line at its end and saves (the tab is clean again). */
async function appendAndSave(page: Page, file: string, shows: string, text: string): Promise<void> {
  await openFromTree(page, explorerItem(page, file), file);
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines', { hasText: shows }).waitFor({ state: 'visible', timeout: 30_000 });
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
  await page.keyboard.press('Control+S');
  await page.locator('.tabs-container .tab.dirty').waitFor({ state: 'detached', timeout: 20_000 });
}

async function eventually<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('remote explorer: browse home, filter, open, edit, save, read back over ssh', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  // A folder of our own in the remote home, with a unique name so parallel/earlier runs do not interfere.
  const dir = `e2e-explorer-${process.pid}-${Date.now().toString(36)}`;
  ssh(
    `mkdir -p ~/${dir} && cd ~/${dir} && printf 'first line\\n' > edit-me.txt && printf 'noise\\n' > noise.log && printf 'keep\\n' > keep.txt` +
      ` && head -c 30000 /dev/zero | tr '\\0' 'x' > big.txt && printf 'PK\\003\\004\\000\\000binary' > blob.dat` +
      ` && mkdir shared && printf 'shared line\\n' > shared/notes.md && chmod 555 shared`,
  );
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
          // 20 KB, so the 30 KB big.txt asks before opening.
          'remoteHpc.largeFileThresholdMB': 0.02,
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
        await expand(explorerItem(page, dir), explorerItem(page, 'noise.log'));
        await explorerItem(page, 'edit-me.txt').waitFor({ state: 'visible' });
        await screenshot(page, 'explorer-1-expanded');

        // Binary and large files ask first: Cancel opens nothing, Open opens.
        const dialog = page.locator('.monaco-dialog-box');
        await clickRowUntil(explorerItem(page, 'blob.dat'), dialog);
        assert.match((await dialog.textContent()) ?? '', /blob\.dat looks like a binary file/);
        await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
        await dialog.waitFor({ state: 'detached' });
        assert.equal(await page.locator('.tabs-container .tab', { hasText: 'blob.dat' }).count(), 0);
        await clickRowUntil(explorerItem(page, 'big.txt'), dialog);
        assert.match((await dialog.textContent()) ?? '', /big\.txt is 29\.3 KB\. Open it anyway\?/);
        await dialog.locator('.monaco-button', { hasText: /^Open$/ }).click();
        await page.locator('.tabs-container .tab', { hasText: 'big.txt' }).waitFor({ state: 'visible', timeout: 20_000 });

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
        await appendAndSave(page, 'edit-me.txt', 'first line', 'edited in the browser\n');
        await screenshot(page, 'explorer-3-saved');

        // Read it back over plain ssh.
        const text = await eventually(
          () => ssh(`cat ~/${dir}/edit-me.txt`),
          (t) => t.includes('edited in the browser'),
        );
        assert.equal(text, 'first line\nedited in the browser\n');

        // A writable file in a folder we may not write (no temp file there): saved in place.
        await expand(explorerItem(page, 'shared'), explorerItem(page, 'notes.md'));
        await appendAndSave(page, 'notes.md', 'shared line', 'saved in a read-only folder\n');
        assert.equal(
          await eventually(() => ssh(`cat ~/${dir}/shared/notes.md`), (t) => t.includes('read-only')),
          'shared line\nsaved in a read-only folder\n',
        );
        await collapse(explorerItem(page, 'shared'));

        // Search in Folder… (palette, on the selected file's folder): contents, then open at the match.
        // (the click opens keep.txt: wait for it, or the editor taking focus closes the palette)
        await openFromTree(page, explorerItem(page, 'keep.txt'), 'keep.txt');
        await runCommand(page, 'Remote HPC: Search in Folder…');
        await quickInput(page).locator('input').fill('edited in');
        await pickQuickPickItem(page, /in file contents$/);
        await pickQuickPickItem(page, /edit-me\.txt:2$/, 30_000);
        await page.locator('.statusbar-item', { hasText: /Ln 2, Col \d+/ }).waitFor({ state: 'visible', timeout: 20_000 });

        // Edit the filter (issue 15): the pattern comes prefilled; a glob on the name is accepted.
        await runCommand(page, 'Edit Remote Explorer Filter…');
        await pickQuickPickItem(page, /\\\.log\$/);
        const editBox = quickInput(page).locator('input');
        await editBox.waitFor({ state: 'visible', timeout: 15_000 });
        // The pick's input becomes the edit box in the same widget: its value follows a moment later.
        assert.equal(await eventually(() => editBox.inputValue(), (v) => v === '\\.log$', 15_000), '\\.log$', 'the existing pattern is prefilled');
        await answerInputBox(page, '*.log');
        await eventually(() => header.textContent(), (t) => /hide files \*\.log/.test(t ?? ''));
        assert.equal(await explorerItem(page, 'noise.log').count(), 0, 'the glob still hides noise.log');

        // Clearing asks first (one click used to wipe every pattern): noise.log comes back.
        await runCommand(page, 'Clear Remote Explorer Filter…');
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        assert.match((await dialog.textContent()) ?? '', /Remove the filter pattern of/);
        await dialog.locator('.monaco-button', { hasText: /^Clear Filter$/ }).click();
        await dialog.waitFor({ state: 'hidden', timeout: 20_000 });
        await explorerItem(page, 'noise.log').waitFor({ state: 'visible', timeout: 20_000 });

        // Reveal in Remote Explorer (palette, active hpc: editor): the collapsed folder opens on the file.
        await collapse(explorerItem(page, dir));
        await explorerItem(page, 'edit-me.txt').waitFor({ state: 'detached', timeout: 10_000 });
        await page.locator('.tabs-container .tab', { hasText: 'edit-me.txt' }).click();
        await runCommand(page, 'Remote HPC: Reveal in Remote Explorer');
        const revealed = explorerItem(page, 'edit-me.txt');
        await revealed.waitFor({ state: 'visible', timeout: 20_000 });
        assert.equal(await eventually(() => revealed.getAttribute('aria-selected'), (v) => v === 'true'), 'true');
      },
    );
  } finally {
    try {
      ssh(`chmod -R u+w ~/${dir} && rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});

test('remote explorer: new file, rename, delete; paging and symlinks', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-explorer2-${process.pid}-${Date.now().toString(36)}`;
  ssh(
    `mkdir -p ~/${dir}/ops ~/${dir}/pages/sub ~/${dir}/"it's here" ~/${dir}/jobs && printf '#!/bin/sh\\nhostname\\n' > ~/${dir}/jobs/run.sh` +
      ` && printf '{"script": "hostname"}\\n' > ~/${dir}/jobs/x.job.json && printf 'notes\\n' > ~/${dir}/jobs/notes.txt && cd ~/${dir}/pages && for i in $(seq -w 0 24); do printf 'f%s\\n' "$i" > "f$i.txt"; done` +
      ` && ln -s sub link-to-sub && ln -s . loop && ln -s nowhere dangling`,
  );
  try {
    await withWorkbench(
      {
        name: 'explorer-paging',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.explorer.showHiddenFiles': false,
          'remoteHpc.explorer.pageSize': 10,
        },
      },
      async ({ page }) => {
        await openView(page, 'Hosts');
        await treeItem(page, HOST).waitFor({ state: 'visible', timeout: 30_000 });
        await runCommand(page, 'Remote HPC: Connect');
        await pickQuickPickItem(page, HOST);
        const homeRow = explorerItem(page, '~');
        await homeRow.waitFor({ state: 'visible', timeout: 60_000 });
        await page.locator('.pane-header', { hasText: 'Hosts' }).first().click();
        await page.locator('.pane-header', { hasText: 'Jobs' }).first().click();
        await expand(homeRow);
        // Home may hold more than a page: load until our folder shows up.
        const dirRow = explorerItem(page, dir);
        for (let i = 0; i < 20 && !(await dirRow.isVisible()); i++) {
          const more = explorerItem(page, 'Load more…', 3);
          if (await more.isVisible()) await more.click();
          await new Promise((r) => setTimeout(r, 500));
        }
        await expand(dirRow);

        // New File… from a folder's context menu: created remotely, opened and selected.
        const opsRow = explorerItem(page, 'ops', 4);
        await opsRow.waitFor({ state: 'visible', timeout: 20_000 });
        await contextMenu(page, opsRow, 'New File…');
        await answerInputBox(page, 'created.txt');
        await page.locator('.tabs-container .tab', { hasText: 'created.txt' }).waitFor({ state: 'visible', timeout: 20_000 });
        assert.equal(ssh(`test -f ~/${dir}/ops/created.txt && echo yes`).trim(), 'yes');

        // Rename and Delete (with its confirmation) from the item's context menu.
        const created = explorerItem(page, 'created.txt');
        await created.waitFor({ state: 'visible', timeout: 20_000 });
        await contextMenu(page, created, 'Rename…');
        await answerInputBox(page, 'renamed.txt');
        await eventually(() => ssh(`ls ~/${dir}/ops`), (t) => t.includes('renamed.txt'));
        assert.equal(ssh(`ls ~/${dir}/ops`).trim(), 'renamed.txt');
        // The open editor follows the rename.
        await page.locator('.tabs-container .tab', { hasText: 'renamed.txt' }).waitFor({ state: 'visible', timeout: 20_000 });
        const renamed = explorerItem(page, 'renamed.txt');
        await renamed.waitFor({ state: 'visible', timeout: 20_000 });
        await contextMenu(page, renamed, 'Delete');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await dialog.textContent()) ?? '', /Delete renamed\.txt\?/);
        await dialog.locator('.monaco-button', { hasText: /^Delete$/ }).click();
        await renamed.waitFor({ state: 'detached', timeout: 20_000 });
        assert.equal(ssh(`ls -A ~/${dir}/ops`).trim(), '');
        await explorerItem(page, 'Empty folder', 5).waitFor({ state: 'visible', timeout: 20_000 });
        await screenshot(page, 'explorer-4-ops');

        // Open Terminal Here: a shell over the session, already in the (awkwardly named) folder.
        await contextMenu(page, explorerItem(page, "it's here", 4), 'Open Terminal Here');
        const terminal = page.locator('.terminal-wrapper').first();
        await terminal.waitFor({ state: 'visible', timeout: 20_000 });
        await terminal.click();
        await page.keyboard.type(`pwd > ~/${dir}/term-pwd.txt\n`);
        const pwd = await eventually(
          () => ssh(`cat ~/${dir}/term-pwd.txt 2>/dev/null || true`),
          (t) => t.trim() !== '',
        );
        assert.equal(pwd.trim(), `${ssh('printf %s "$HOME"')}/${dir}/it's here`);
        await screenshot(page, 'explorer-4b-terminal');

        // Jobs from the explorer: Submit Job on batch scripts and job files, Preview Batch Script on job files only.
        await expand(explorerItem(page, 'jobs', 4), explorerItem(page, 'run.sh', 5));
        const fileMenu = (name: string) => contextMenuLabels(page, explorerItem(page, name, 5));
        const script = await fileMenu('run.sh');
        const jobFile = await fileMenu('x.job.json');
        const notes = await fileMenu('notes.txt');
        assert.ok(script.includes('Submit Job') && !script.includes('Preview Batch Script'), `run.sh menu: ${script.join(', ')}`);
        assert.ok(jobFile.includes('Submit Job') && jobFile.includes('Preview Batch Script'), `x.job.json menu: ${jobFile.join(', ')}`);
        assert.ok(!notes.includes('Submit Job'), `notes.txt menu: ${notes.join(', ')}`);
        assert.ok(script.includes('Download…') && jobFile.includes('Download…'), 'file entries keep their file actions');

        // Drag and drop inside the tree moves the item (after a confirmation), on the host.
        await explorerItem(page, 'notes.txt', 5).dragTo(opsRow);
        await dialog.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await dialog.textContent()) ?? '', /Move notes\.txt into .*\/ops\?/);
        await dialog.locator('.monaco-button', { hasText: /^Move$/ }).click();
        await eventually(() => ssh(`ls ~/${dir}/ops`), (t) => t.includes('notes.txt'));
        assert.equal(ssh(`ls ~/${dir}/ops; ls ~/${dir}/jobs`).trim(), 'notes.txt\nrun.sh\nx.job.json');
        await page.locator('.notification-toast', { hasText: /failed/ }).waitFor({ state: 'detached', timeout: 1000 });
        await collapse(explorerItem(page, 'jobs', 4));

        // Paging: folders (and links to folders) first, then files; 10 per page, then "Load more…".
        await expand(explorerItem(page, 'pages', 4), explorerItem(page, 'f05.txt'));
        assert.equal(await explorerItem(page, 'f06.txt').count(), 0);
        // Symlinks: described with their target; a link to a folder expands; a loop does not hang.
        const link = explorerItem(page, 'link-to-sub');
        await eventually(() => link.textContent(), (t) => /→ sub/.test(t ?? ''));
        assert.match((await link.textContent()) ?? '', /→ sub/);
        assert.match((await explorerItem(page, 'dangling').textContent()) ?? '', /→ nowhere/);
        await expand(explorerItem(page, 'loop', 5), explorerItem(page, 'loop', 6));
        await screenshot(page, 'explorer-5-links');
        await collapse(explorerItem(page, 'loop', 5));
        await explorerItem(page, 'loop', 6).waitFor({ state: 'detached', timeout: 10_000 });

        const more = explorerItem(page, 'Load more…', 5);
        await more.waitFor({ state: 'visible' });
        assert.match((await more.textContent()) ?? '', /10 of 29/);
        await more.click();
        await explorerItem(page, 'f15.txt').waitFor({ state: 'visible', timeout: 20_000 });
        await scrollTo(page, more);
        assert.match((await more.textContent()) ?? '', /20 of 29/);
        await more.click();
        await scrollTo(page, explorerItem(page, 'f24.txt'));
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(await more.count(), 0, 'everything loaded');
        await screenshot(page, 'explorer-6-paged');
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

test('remote explorer: download a folder, upload a file', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-explorer3-${process.pid}-${Date.now().toString(36)}`;
  ssh(`mkdir -p ~/${dir}/data/inner && cd ~/${dir}/data && printf 'one\\n' > one.txt && printf 'two\\n' > inner/two.txt`);
  const local = mkdtempSync(join(tmpdir(), 'rhpc-e2e-dl-'));
  const toUpload = join(local, 'up load.txt');
  writeFileSync(toUpload, 'from this machine\n');
  try {
    await withWorkbench(
      {
        name: 'explorer-transfer',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.explorer.showHiddenFiles': false,
        },
      },
      async ({ page }) => {
        await openView(page, 'Hosts');
        await treeItem(page, HOST).waitFor({ state: 'visible', timeout: 30_000 });
        await runCommand(page, 'Remote HPC: Connect');
        await pickQuickPickItem(page, HOST);
        const homeRow = explorerItem(page, '~');
        await homeRow.waitFor({ state: 'visible', timeout: 60_000 });
        await page.locator('.pane-header', { hasText: 'Hosts' }).first().click();
        await page.locator('.pane-header', { hasText: 'Jobs' }).first().click();
        await expand(homeRow);
        const dirRow = explorerItem(page, dir);
        await expand(dirRow);

        // Download… a folder: pick the local folder in the (simple) dialog; the tree arrives there.
        await contextMenu(page, explorerItem(page, 'data', 4), 'Download…');
        await answerFileDialog(page, `${local}/`);
        await eventually(
          () => existsSync(join(local, 'data', 'inner', 'two.txt')),
          (ok) => ok,
          30_000,
        );
        assert.equal(readFileSync(join(local, 'data', 'one.txt'), 'utf8'), 'one\n');
        assert.equal(readFileSync(join(local, 'data', 'inner', 'two.txt'), 'utf8'), 'two\n');

        // Upload… a file into the folder: Files…, then the file in the dialog.
        await contextMenu(page, dirRow, 'Upload…');
        await pickQuickPickItem(page, /Files…$/);
        await answerFileDialog(page, toUpload);
        const up = await eventually(
          () => ssh(`cat ~/${dir}/'up load.txt' 2>/dev/null || true`),
          (t) => t !== '',
          30_000,
        );
        assert.equal(up, 'from this machine\n');
        await explorerItem(page, 'up load.txt').waitFor({ state: 'visible', timeout: 20_000 });
        await screenshot(page, 'explorer-7-transfers');
      },
    );
  } finally {
    rmSync(local, { recursive: true, force: true });
    try {
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
