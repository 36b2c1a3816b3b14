/**
 * The jobs flow end to end on the sandbox's Grid Engine host (hpc-sandbox-sge: real sge_qmaster
 * and sge_execd, sessions with qsub and no sbatch), in code-server + Chromium: connect, submit a
 * `#$` script from the palette (the options pick speaks qsub's words), see it listed, tail its
 * output live, cancel it from the Jobs view and see the tab end with CANCELLED, checked in qacct.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerInputBox, clickNotificationButton, contextMenu, eventually, quickInput, repoRoot, runCommand, screenshot, waitForNotification, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, editorNotes, editorText, jobsItem, ssh } from './jobsKit';

const ge = sandbox().gridEngine;
const skip = e2eSkip() || (ge ? false : 'the sandbox has no Grid Engine cluster (restart it: scripts/sandbox/start.sh)');
if (skip && !e2eSkip() && process.env.REMOTE_HPC_REQUIRE_ALL === '1') throw new Error(`Grid Engine e2e cannot run: ${skip}`);

test('jobs on Grid Engine: submit from the palette, listed, tail its output live, cancel it from the view', { skip, timeout: 180_000 }, async () => {
  const d = sandbox();
  const host = ge?.sshHost as string;
  const sh = (script: string) => ssh(script, host);
  const dir = `e2e-ge-${process.pid}-${Date.now().toString(36)}`;
  const script = `${sh('printf %s "$HOME"')}/${dir}/e2e-ge.sh`;
  sh(
    `mkdir -p ~/${dir} && cat > ~/${dir}/e2e-ge.sh <<'EOF'
#!/bin/bash
#$ -N e2e-ge-tail
#$ -o e2e-ge-tail.$JOB_ID.out
#$ -j y
for i in $(seq 1 120); do echo "line $i"; sleep 1; done
EOF`,
  );
  let jobId: string | undefined;
  try {
    await withWorkbench(
      {
        name: 'jobs-gridengine',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.pollIntervalSeconds': 2,
          'remoteHpc.jobs.historyDays': 1,
          'remoteHpc.jobs.notifyStates': ['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED'],
        },
      },
      async ({ page }) => {
        await connectAndShowJobs(page, host);

        await runCommand(page, 'Remote HPC: Submit Job');
        await answerInputBox(page, script);
        const submitRow = quickInput(page).locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^\s*Submit$/ }) });
        await submitRow.waitFor({ state: 'visible', timeout: 30_000 });
        const options = (await quickInput(page).locator('.monaco-list-row').allTextContents()).join('\n');
        assert.match(options, /Queue/, 'Grid Engine says queue');
        assert.match(options, /Extra qsub options/);
        assert.doesNotMatch(options, /sbatch|Partition/);
        await submitRow.click();

        const toast = await waitForNotification(page, new RegExp(`Submitted job \\d+ \\(e2e-ge-tail\\) on ${host}`), 30_000);
        jobId = /Submitted job (\d+)/.exec((await toast.textContent()) ?? '')?.[1];
        assert.ok(jobId, 'job id in the notification');
        const row = jobsItem(page, new RegExp(`^${jobId} e2e-ge-tail$`));
        await row.waitFor({ state: 'visible', timeout: 30_000 });

        // Tail Output: the #$ -o path with $JOB_ID expanded, growing while the job runs.
        await clickNotificationButton(toast, 'Tail Output');
        await page.locator('.tabs-container .tab', { hasText: `e2e-ge-tail.${jobId}.out` }).waitFor({ state: 'visible', timeout: 30_000 });
        const early = await eventually('first output lines', () => editorText(page), (t) => /line \d+/.test(t), 60_000);
        const n = (early.match(/line \d+/g) ?? []).length;
        await eventually('more lines', () => editorText(page), (t) => (t.match(/line \d+/g) ?? []).length > n, 30_000);
        await screenshot(page, 'jobs-ge-1-tail');

        // Cancel from the Jobs view: qdel, then CANCELLED from qacct.
        await contextMenu(page, row, 'Cancel Job');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 10_000 });
        await dialog.locator('.monaco-button', { hasText: /^Cancel Job$/ }).click();
        // (no notice: the view does not announce what its user cancelled) the tab says how it ended
        const note = await eventually('tail end note', () => editorNotes(page), (t) => /Job \d+ ended/.test(t), 60_000);
        assert.match(note, new RegExp(`Job ${jobId} ended \\(CANCELLED`));
        await screenshot(page, 'jobs-ge-2-cancelled');
      },
    );
    const acct = await eventually('the qacct record', async () => sh(`qacct -j ${jobId} 2>/dev/null || true`), (t) => /failed\s+100/.test(t), 30_000);
    assert.match(acct, /exit_status\s+137/);
  } finally {
    try {
      if (jobId) sh(`qdel ${jobId} >/dev/null 2>&1; true`);
      sh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
