/**
 * How the Jobs view reads, in code-server + Chromium against the sandbox: running jobs first
 * (though submitted first, so the oldest id), a job held by a dependency says which job it waits
 * for, Sort Jobs By… changes the order, Wait for Job (its Cancel stops the waiting, not the job;
 * a short job's wait ends with how it ended), and a job cancelled in a shell shows under Recent
 * as cancelled by the user's name (not the uid), with when it ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { clickNotificationButton, contextMenu, eventually, pickQuickPickItem, repoRoot, screenshot, viewPane, viewTitleAction, waitForNotification, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, jobsItem, ssh } from './jobsKit';

function sbatch(options: string): string {
  return ssh(`sbatch --parsable --partition=debug --time=5 --output=/dev/null ${options} --wrap='sleep 300'`).trim().split(';')[0] as string;
}

/** The labels of the Jobs view's rows, top to bottom, that are one of ours. */
async function rowOrder(page: Page, ours: readonly string[]): Promise<string[]> {
  const labels = await viewPane(page, 'Jobs').locator('.monaco-list-row[role="treeitem"] .label-name').allTextContents();
  return labels.map((l) => l.trim()).filter((l) => ours.some((o) => l.startsWith(`${o} `)));
}

const description = async (page: Page, label: RegExp) => ((await jobsItem(page, label).locator('.label-description').textContent()) ?? '').trim();

interface Rect {
  right: number;
}
interface El {
  firstChild: unknown;
  closest(sel: string): El | null;
  getBoundingClientRect(): Rect;
}

/**
 * Is the start of a row's description (its first `chars` characters) on screen, not cut off by
 * the row's ellipsis? Measured in the page: the text's own box against the label's clipping box.
 */
async function descriptionStartVisible(page: Page, label: RegExp, chars: number): Promise<{ visible: boolean; textRight: number; clipRight: number }> {
  return jobsItem(page, label)
    .locator('.label-description')
    .evaluate((el: El, n: number) => {
      const doc = (globalThis as unknown as { document: { createRange(): { setStart(n: unknown, o: number): void; setEnd(n: unknown, o: number): void; getBoundingClientRect(): Rect } } }).document;
      const range = doc.createRange();
      range.setStart(el.firstChild, 0);
      range.setEnd(el.firstChild, n);
      const textRight = range.getBoundingClientRect().right;
      const clipRight = (el.closest('.monaco-icon-label-container') ?? el).getBoundingClientRect().right;
      // The ellipsis takes the last few pixels of the clipped box.
      return { visible: textRight <= clipRight - 12, textRight, clipRight };
    }, chars);
}

test('jobs view: running first, "waits for <id> (afterok)", Sort Jobs By…, cancelled by name with its end time', { skip: e2eSkip(), timeout: 300_000 }, async () => {
  const d = sandbox();
  const tag = Date.now().toString(36);
  // Submitted in this order: the running job has the lowest id, so newest-first would put it last.
  const running = sbatch(`--job-name=e2e-run-${tag}`);
  const held = sbatch(`--hold --job-name=e2e-held-${tag}`);
  const waits = sbatch(`--dependency=afterok:${held} --job-name=e2e-waits-${tag}`);
  const ids = [running, held, waits];
  // Ends on its own about a minute in, while the window looks on (a job shorter than a poll or two
  // could come and go unseen: the view polls every 5 s, less often when nothing changes).
  const short = ssh(`sbatch --parsable --partition=debug --time=5 --output=/dev/null --job-name=e2e-short-${tag} --wrap='sleep 60'`).trim().split(';')[0] as string;
  try {
    await eventually('the job running', () => ssh(`squeue -h -j ${running} -o %T`).trim(), (s) => s === 'RUNNING', 60_000);
    await withWorkbench(
      {
        name: 'jobs-view',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.pollIntervalSeconds': 5,
          'remoteHpc.jobs.historyDays': 1,
        },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);
        const waitsRow = new RegExp(`^${waits} e2e-waits-${tag}$`);
        await jobsItem(page, waitsRow).waitFor({ state: 'visible', timeout: 60_000 });

        // Default order: by state — the running job above the pending ones, newest first among those.
        const byState = await eventually('our three jobs listed', () => rowOrder(page, ids), (o) => o.length === 3, 30_000);
        assert.deepEqual(byState, [`${running} e2e-run-${tag}`, `${waits} e2e-waits-${tag}`, `${held} e2e-held-${tag}`]);

        // Which job the dependent one waits for, as its state; short states first.
        const runRow = new RegExp(`^${running} e2e-run-${tag}$`);
        const heldRow = new RegExp(`^${held} e2e-held-${tag}$`);
        assert.equal(await description(page, waitsRow), `waits for ${held} (afterok) · limit 5:00 · debug`);
        assert.match(await description(page, runRow), /^running · \d+:\d\d \/ 5:00 · debug · /);
        assert.equal(await description(page, heldRow), 'held · limit 5:00 · debug');
        // Readable at the default sidebar width beside these names (18 characters): each state word
        // whole on screen ("waits …" says the job is pending; which job it waits for may need room).
        for (const [row, word] of [[runRow, 'running'], [heldRow, 'held'], [waitsRow, 'waits']] as const) {
          const seen = await descriptionStartVisible(page, row, word.length);
          assert.ok(seen.visible, `"${word}" of ${row} is cut off: text ends at ${seen.textRight} px, the row shows up to ${seen.clipRight} px`);
        }
        await screenshot(page, 'jobs-view-1-running-first');

        // Sort Jobs By… → Job ID: newest id first.
        await viewTitleAction(page, 'Jobs', 'Sort Jobs By…');
        await pickQuickPickItem(page, 'Job ID');
        await eventually('id order', () => rowOrder(page, ids), (o) => o[0] === `${waits} e2e-waits-${tag}`, 15_000);
        assert.deepEqual(await rowOrder(page, ids), [`${waits} e2e-waits-${tag}`, `${held} e2e-held-${tag}`, `${running} e2e-run-${tag}`]);

        // Wait for Job, then its notification's Cancel: the waiting stops, the job runs on.
        await contextMenu(page, jobsItem(page, runRow), 'Wait for Job');
        const waiting = await waitForNotification(page, new RegExp(`Waiting for job ${running} on hpc-sandbox`), 20_000);
        await clickNotificationButton(waiting, 'Cancel');
        await waiting.waitFor({ state: 'hidden', timeout: 10_000 });
        assert.equal(ssh(`squeue -h -j ${running} -o %T`).trim(), 'RUNNING', 'cancelling the wait leaves the job alone');
        // A short job waited for to its end: how it ended, in a notification.
        await jobsItem(page, new RegExp(`^${short} e2e-short-${tag}$`)).waitFor({ state: 'visible', timeout: 30_000 });
        await contextMenu(page, jobsItem(page, new RegExp(`^${short} e2e-short-${tag}$`)), 'Wait for Job');
        await waitForNotification(page, new RegExp(`Job ${short} COMPLETED \\(exit code 0\\) on hpc-sandbox\\.`), 90_000);
        await screenshot(page, 'jobs-view-2-waited');

        // Cancelled in a shell: under Recent as cancelled by the user's name, with when it ended;
        // the dependent job now never starts.
        ssh(`scancel ${held}`);
        const recent = viewPane(page, 'Jobs').locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: /^Recent$/ }) }).first();
        await recent.waitFor({ state: 'visible', timeout: 30_000 });
        if ((await recent.getAttribute('aria-expanded')) !== 'true') await recent.click();
        const cancelled = await eventually('the cancel under Recent', () => description(page, heldRow).catch(() => ''), (t) => /^cancelled by /.test(t), 90_000);
        assert.match(cancelled, new RegExp(`^cancelled by ${d.user} · ended \\d\\d:\\d\\d · 0:00 / 5:00 · debug$`), cancelled);
        await eventually('never starts', () => description(page, waitsRow), (t) => t.startsWith(`never starts: ${held} (afterok) not met`), 60_000);
        await screenshot(page, 'jobs-view-3-cancelled-by-name');
      },
    );
  } finally {
    try {
      ssh(`scancel ${[...ids, short].join(' ')} 2>/dev/null; true`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
