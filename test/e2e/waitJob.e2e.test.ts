/**
 * Wait for Job end to end (issue 12, PARK's wait()): on a running SLURM job from the Jobs view's
 * context menu, a progress notification says how the job is doing; its Cancel stops the waiting
 * and the job goes on in SLURM; waiting again until the job ends reports how it ended (its exit
 * code). Checked with squeue/sacct over the test's own ssh.
 *
 * Needs: the sandbox, the e2e toolchain and a built extension (node esbuild.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextMenu, eventually, repoRoot, screenshot, waitForNotification, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, HOST, jobsItem, ssh } from './jobsKit';

test('wait for job: progress while it runs, cancelling the wait leaves the job running, a finished wait says its exit', { skip: e2eSkip(), timeout: 150_000 }, async () => {
  const d = sandbox();
  const id = ssh(`sbatch --parsable --partition=debug --time=5 --job-name=e2e-wait --output=/dev/null --wrap='sleep 25; exit 3'`).trim().split(';')[0] as string;
  const state = () => ssh(`squeue -h -j ${id} -o %T 2>/dev/null || true`).trim();
  try {
    await eventually('the job running', state, (s) => s === 'RUNNING', 30_000);
    await withWorkbench(
      {
        name: 'wait-job',
        extensionDevelopmentPath: repoRoot(),
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.jobs.pollIntervalSeconds': 5, 'remoteHpc.jobs.notifyStates': [] },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);
        const row = jobsItem(page, new RegExp(`^${id} e2e-wait$`));
        await row.waitFor({ state: 'visible', timeout: 30_000 });

        // The wait's notification: the job's state and time, and a Cancel that stops waiting only.
        await contextMenu(page, row, 'Wait for Job');
        const progress = await waitForNotification(page, new RegExp(`Waiting for job ${id} on ${HOST}`), 15_000);
        await eventually('the state in the notification', async () => (await progress.textContent()) ?? '', (t) => /running/.test(t), 15_000);
        await screenshot(page, 'wait-job-1-progress');
        await progress.hover();
        await progress.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
        await progress.waitFor({ state: 'detached', timeout: 10_000 });
        await page.locator('.statusbar', { hasText: `Stopped waiting for job ${id}; it goes on` }).waitFor({ state: 'visible', timeout: 10_000 });
        assert.equal(state(), 'RUNNING', 'the job goes on after the wait is cancelled');

        // Waiting again, to the end: how it ended, with its exit code.
        await contextMenu(page, row, 'Wait for Job');
        await waitForNotification(page, new RegExp(`Waiting for job ${id} on ${HOST}`), 15_000);
        await waitForNotification(page, new RegExp(`Job ${id} FAILED \\(exit code 3\\) .*on ${HOST}\\.`), 60_000);
        await screenshot(page, 'wait-job-2-ended');
      },
    );
    assert.match(ssh(`sacct -n -X -P -j ${id} -o State,ExitCode`).trim(), /^FAILED\|3:0$/);
  } finally {
    ssh(`scancel ${id} 2>/dev/null; true`);
  }
});
