/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * The end of any big log from the Remote Explorer, end to end: "Open Last 10 MB" on a 12 MB file
 * opens at once (no size question) with its last lines and says what was left out; "Follow" on a
 * log that grows shows the new lines as the cluster writes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connectAndOpenHome, contextMenu, eventually, paneRow, repoRoot, screenshot, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const HOST = 'hpc-sandbox';

test('a big log: Open Last 10 MB without a size question, then Follow shows what the cluster appends', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-filetail-${process.pid}-${Date.now().toString(36)}`;
  const ssh = (script: string) => execFileSync('ssh', ['-F', d.sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 30_000 });
  // 12 MB of numbered lines (20 bytes each), the last one known.
  ssh(`mkdir -p ~/${dir} && cd ~/${dir} && seq -f 'line %012g of log' 1 600000 > big.log && printf 'start\\n' > grow.log`);
  try {
    await withWorkbench(
      {
        name: 'file-tail',
        extensionDevelopmentPath: repoRoot(),
        // The usual big-file question would come at 1 MB: these commands must not ask.
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.explorer.showHiddenFiles': false, 'remoteHpc.largeFileThresholdMB': 1 },
      },
      async ({ page }) => {
        await connectAndOpenHome(page, HOST);
        const ours = paneRow(page, 'Remote Explorer', dir);
        await ours.waitFor({ state: 'visible', timeout: 30_000 });
        await ours.click();
        await contextMenu(page, paneRow(page, 'Remote Explorer', 'big.log'), 'Open Last 10 MB', page.locator('.tabs-container .tab', { hasText: 'big.log' }));
        assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no size question');
        const editor = page.locator('.editor-instance .monaco-editor').first();
        await editor.locator('.view-lines', { hasText: 'line 000000600000 of log' }).waitFor({ state: 'visible', timeout: 60_000 });
        // Read to its end, then it stops following: going to the top then stays there.
        const header = editor.locator('.view-lines', { hasText: /earlier\s+output\s+not\s+shown/ });
        await eventually(
          'the top of the tab',
          async () => {
            await editor.locator('.view-lines').click();
            await page.keyboard.press('Control+Home');
            return header.count();
          },
          (n) => n > 0,
          60_000,
        );
        // …from a line's start, not in the middle of one.
        assert.equal(await editor.locator('.view-line').nth(1).textContent().then((t) => /^line\s\d{12}\sof\slog$/.test(t ?? '')), true);
        await screenshot(page, 'filetail-1-end');

        await contextMenu(page, paneRow(page, 'Remote Explorer', 'grow.log'), 'Follow', page.locator('.tabs-container .tab', { hasText: 'grow.log' }));
        await editor.locator('.view-lines', { hasText: 'start' }).waitFor({ state: 'visible', timeout: 30_000 });
        ssh(`printf 'written later by the job\\n' >> ~/${dir}/grow.log`);
        await eventually('the appended line', () => editor.locator('.view-lines', { hasText: 'written later by the job' }).count(), (n) => n > 0, 30_000);
        await screenshot(page, 'filetail-2-follow');
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
