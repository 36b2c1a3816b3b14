/**
 * Resubmit and Clone and Edit from the Jobs view's context menu, and the Partitions view, in
 * code-server + Chromium against the sandbox: a job submitted in a shell is resubmitted after the
 * confirmation (the new job runs the same script, as scontrol reads it back), cloned to a file
 * beside its script that opens with the script and its options, and the sandbox's `debug`
 * partition shows in the Partitions view, marked default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextMenu, eventually, openView, quickInput, repoRoot, screenshot, treeItem, viewPane, waitForNotification, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, editorText, jobsItem, ssh, HOST } from './jobsKit';

test('Resubmit and Clone and Edit from the context menu; the Partitions view lists debug', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const tag = Date.now().toString(36);
  const dir = `e2e-resubmit-${tag}`;
  const script = `#!/bin/bash\n#SBATCH --output=/dev/null\necho marker-${tag}\nsleep 120\n`;
  ssh(`mkdir -p ~/${dir} && printf '%s' '${script.replace(/'/g, "'\\''")}' > ~/${dir}/run.sh`);
  const id = ssh(`cd ~/${dir} && sbatch --parsable --job-name=e2e-re-${tag} --partition=debug --time=5 run.sh`).trim().split(';')[0] as string;
  const ids = [id];
  try {
    await withWorkbench(
      {
        name: 'resubmit',
        extensionDevelopmentPath: repoRoot(),
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.jobs.pollIntervalSeconds': 5 },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);
        const row = jobsItem(page, new RegExp(`^${id} e2e-re-${tag}$`));
        await row.waitFor({ state: 'visible', timeout: 60_000 });

        // Resubmit: the confirmation names the options, then a new job with the same name.
        await contextMenu(page, row, 'Resubmit Job');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        assert.match((await dialog.textContent()) ?? '', /partition debug · time 5:00 · (?:account \S+ · )?in \/.*e2e-resubmit-/);
        await dialog.locator('.monaco-button', { hasText: /^Resubmit$/ }).click();
        const toast = await waitForNotification(page, new RegExp(`Submitted job \\d+ \\(e2e-re-${tag}\\) on ${HOST}`), 30_000);
        const again = /Submitted job (\d+)/.exec((await toast.textContent()) ?? '')?.[1] as string;
        ids.push(again);
        assert.notEqual(again, id);
        assert.equal(ssh(`scontrol write batch_script ${again} -`), script, 'the resubmitted job runs the same script');
        await jobsItem(page, new RegExp(`^${again} e2e-re-${tag}$`)).waitFor({ state: 'visible', timeout: 30_000 });
        await screenshot(page, 'resubmit-1-resubmitted');

        // Clone and Edit: a free name beside the script, opened with the script and its options.
        await contextMenu(page, row, 'Clone and Edit Job Script');
        const input = quickInput(page).locator('input');
        await input.waitFor({ state: 'visible', timeout: 20_000 });
        assert.match(await input.inputValue(), new RegExp(`/${dir}/run-clone\\.sh$`));
        await input.press('Enter');
        const text = await eventually('the clone open', () => editorText(page), (t) => t.includes(`marker-${tag}`), 30_000);
        assert.match(text, new RegExp(`^#!/bin/bash\\n# Cloned from job ${id} on ${HOST}; the options it was submitted with:\\n#SBATCH --job-name=e2e-re-${tag}\\n#SBATCH --partition=debug\\n(?:#SBATCH --account=\\S+\\n)?#SBATCH --time=00:05:00\\n#SBATCH --output=/dev/null\\necho marker-${tag}`));
        assert.match(ssh(`head -n 2 ~/${dir}/run-clone.sh`), /^#!\/bin\/bash\n# Cloned from job /, 'saved on the cluster');
        await screenshot(page, 'resubmit-2-clone');

        // The Partitions view: the sandbox's partition, default and up.
        await openView(page, 'Partitions');
        const debug = viewPane(page, 'Partitions').locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: /^debug \(default\)$/ }) });
        await debug.first().waitFor({ state: 'visible', timeout: 30_000 });
        assert.match((await debug.first().locator('.label-description').textContent()) ?? '', /^up · \d+ of 1 node idle · no limit · \d+ CPUs/);
        assert.equal(await treeItem(page, HOST).count() > 0, true);
        await screenshot(page, 'resubmit-3-partitions');
      },
    );
  } finally {
    try {
      ssh(`scancel ${ids.join(' ')} 2>/dev/null; rm -rf ~/${dir}; true`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
