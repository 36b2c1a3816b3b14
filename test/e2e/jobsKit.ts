/** What the jobs e2e files share: the sandbox host, a shell on it, the Jobs view's rows, connecting. */
import { execFileSync } from 'node:child_process';
import type { Locator, Page } from 'playwright-core';
import { openView, pickQuickPickItem, runCommand, viewPane } from './harness';
import { sandbox } from '../support/sandbox';

export const HOST = 'hpc-sandbox';

export function ssh(script: string): string {
  return execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 30_000 });
}

export function jobsItem(page: Page, label: RegExp): Locator {
  return viewPane(page, 'Jobs').locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: label }) }).first();
}

/** Connects from the palette, then shows the Jobs view with room (the other panes collapsed) and waits for the host row. */
export async function connectAndShowJobs(page: Page): Promise<void> {
  await openView(page, 'Hosts');
  await runCommand(page, 'Remote HPC: Connect');
  await pickQuickPickItem(page, HOST);
  await openView(page, 'Jobs');
  for (const other of ['Hosts', 'Remote Explorer']) {
    const header = viewPane(page, other).locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }
  await jobsItem(page, new RegExp(`^${HOST}$`)).waitFor({ state: 'visible', timeout: 60_000 });
}

