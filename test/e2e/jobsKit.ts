/** What the jobs e2e files share: the sandbox host, a shell on it, the Jobs view's rows, connecting. */
import { execFileSync } from 'node:child_process';
import type { Locator, Page } from 'playwright-core';
import { openView, pickQuickPickItem, quickInput, runCommand, viewPane } from './harness';
import { sandbox } from '../support/sandbox';

export const HOST = 'hpc-sandbox';

export function ssh(script: string, host = HOST): string {
  return execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', host, script], { encoding: 'utf8', timeout: 30_000 });
}

export function jobsItem(page: Page, label: RegExp): Locator {
  return viewPane(page, 'Jobs').locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: label }) }).first();
}

/** Connects from the palette, then shows the Jobs view with room (the other panes collapsed) and waits for the host row. */
export async function connectAndShowJobs(page: Page, host = HOST): Promise<void> {
  await openView(page, 'Hosts');
  await runCommand(page, 'Remote HPC: Connect');
  // the pick's list renders only the rows in view: filter down to a host further down
  if (host !== HOST) await quickInput(page).locator('input').fill(host);
  await pickQuickPickItem(page, host);
  await openView(page, 'Jobs');
  await collapseOtherPanes(page);
  await jobsItem(page, new RegExp(`^${host}$`)).waitFor({ state: 'visible', timeout: 60_000 });
}

/** Room for the Jobs view: the Hosts and Remote Explorer panes collapsed. */
export async function collapseOtherPanes(page: Page): Promise<void> {
  for (const other of ['Hosts', 'Remote Explorer']) {
    const header = viewPane(page, other).locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }
}

/** The text of the active editor (Monaco renders lines as separate elements). */
export async function editorText(page: Page): Promise<string> {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line');
  const texts = await lines.allTextContents();
  return texts.join('\n').replace(/\u00a0/g, ' ');
}

/** Text that decorations show after lines of the active editor (CSS `::after` content, not document text). */
export async function editorNotes(page: Page): Promise<string> {
  const contents = await page
    .locator('.editor-group-container.active .monaco-editor .view-lines .view-line span')
    .evaluateAll((els) => els.map((el) => (globalThis as unknown as { getComputedStyle(e: unknown, pseudo: string): { content: string } }).getComputedStyle(el, '::after').content));
  return contents
    .filter((c) => c && c !== 'none' && c !== 'normal')
    .map((c) => c.replace(/^"|"$/g, ''))
    .join('\n');
}
