/**
 * Submit Job's rough edges from real use (issue 15), end to end in code-server against the
 * sandbox: a partition SLURM refuses gives one "sbatch: error: …" message with Edit and Retry,
 * which reopens the options pick as the user left it; fixing the partition submits.
 *
 * Needs the sandbox, the e2e toolchain and a built extension (node esbuild.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clickNotificationButton, answerInputBox, pickQuickPickItem, quickInput, repoRoot, runCommand, screenshot, waitForNotification, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, HOST, ssh } from './jobsKit';

test('submit: a refused partition says sbatch once, Edit and Retry keeps the choices, the fixed submit goes through', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-submit-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  const script = `${home}/${dir}/e2e-retry.sh`;
  ssh(`mkdir -p ~/${dir} && printf '#!/bin/bash\\n#SBATCH --job-name=e2e-retry\\n#SBATCH --time=2\\n#SBATCH --output=e2e-retry-%%j.out\\necho hi\\n' > ${script}`);
  let jobId: string | undefined;
  try {
    await withWorkbench(
      {
        name: 'submit',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.pollIntervalSeconds': 5,
        },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);
        await runCommand(page, 'Remote HPC: Submit Job');
        await answerInputBox(page, script);
        const row = (label: string) => quickInput(page).locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${label}$`) }) });
        await row('Submit').waitFor({ state: 'visible', timeout: 30_000 });
        assert.match((await row('Time limit').textContent()) ?? '', /2 min/, 'the time limit in units');
        assert.match((await row('Submit').textContent()) ?? '', /the script also sets output e2e-retry-%j\.out/);
        // Change the partition to one SLURM does not have (typed: the pick lists sinfo's), and the job name.
        await row('Partition').click();
        await row('debug \\(default\\)').waitFor({ state: 'visible', timeout: 15_000 });
        assert.match((await row('debug \\(default\\)').textContent()) ?? '', /up · \d+ of \d+ nodes? idle/, 'sinfo\'s partitions, described');
        await pickQuickPickItem(page, /Type a name/);
        await answerInputBox(page, 'nosuch');
        await row('Job name').waitFor({ state: 'visible', timeout: 15_000 });
        await row('Job name').click();
        await answerInputBox(page, 'e2e-retried');
        await row('Submit').waitFor({ state: 'visible', timeout: 15_000 });
        await row('Submit').click();

        const refusal = await waitForNotification(page, /e2e-retry\.sh was not submitted/, 30_000);
        const text = (await refusal.locator('.notification-list-item-message').textContent()) ?? '';
        assert.match(text, /sbatch: error: .*Invalid partition/i);
        assert.doesNotMatch(text, /sbatch: sbatch:/, 'the command named once');
        await screenshot(page, 'submit-1-refused');
        await clickNotificationButton(refusal, 'Edit and Retry');

        // Back in the pick with both changes kept.
        await row('Partition').waitFor({ state: 'visible', timeout: 15_000 });
        assert.match((await row('Partition').textContent()) ?? '', /nosuch\s+changed/);
        assert.match((await row('Job name').textContent()) ?? '', /e2e-retried\s+changed/);
        await row('Partition').click();
        await pickQuickPickItem(page, /debug \(default\)/);
        await row('Submit').waitFor({ state: 'visible', timeout: 15_000 });
        await row('Submit').click();
        const toast = await waitForNotification(page, /Submitted job \d+ \(e2e-retried\) on hpc-sandbox/, 30_000);
        jobId = /Submitted job (\d+)/.exec((await toast.textContent()) ?? '')?.[1];
        assert.ok(jobId);
        await page.locator('.statusbar-item', { hasText: `Submitted job ${jobId} on ${HOST}` }).first().waitFor({ state: 'visible', timeout: 10_000 });
      },
    );
    assert.match(ssh(`scontrol show job ${jobId} | grep -o 'Partition=[^ ]*'`), /Partition=debug/);
  } finally {
    try {
      if (jobId) ssh(`scancel ${jobId} 2>/dev/null; true`);
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
