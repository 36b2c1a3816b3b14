/**
 * Jobs end to end, in code-server + Chromium against the sandbox cluster: connect, submit a
 * batch script from the command palette, see the job in the Jobs view, open its live output tab
 * and watch lines appear, then get the completion notification.
 *
 * Needs: the sandbox (npm run sandbox:start), the e2e toolchain (scripts/e2e/install.sh) and a
 * built extension (node esbuild.mjs). Skipped with the reason when one is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerFileDialog, answerInputBox, clickNotificationButton, contextMenu, eventually, pickQuickPickItem, pickQuickPickItems, quickInput, repoRoot, runCommand, screenshot, viewPane, viewTitleAction, waitForNotification, webviewFrame, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, editorNotes, editorText, HOST, jobsItem, ssh } from './jobsKit';

const LINES = 12;

test('jobs: submit from the palette, see it listed, tail its output live, get the completion notice', { skip: e2eSkip(), timeout: 300_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-jobs-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  const script = `${home}/${dir}/e2e-tail.sh`;
  ssh(
    `mkdir -p ~/${dir} && cat > ~/${dir}/e2e-tail.sh <<'EOF'
#!/bin/bash
#SBATCH --job-name=e2e-tail
#SBATCH --output=e2e-tail-%j.out
for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 1; done
echo "all done"
EOF`,
  );
  let jobId: string | undefined;
  try {
    await withWorkbench(
      {
        name: 'jobs',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.pollIntervalSeconds': 5,
          'remoteHpc.jobs.historyDays': 1,
          'remoteHpc.jobs.defaults': { [HOST]: { partition: 'debug', time: '5' } },
          'remoteHpc.jobs.notifyStates': ['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED', 'OUT_OF_MEMORY'],
        },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);

        // Submit from the palette: the script path, then Enter on "Submit" in the options pick.
        await runCommand(page, 'Remote HPC: Submit Job');
        await answerInputBox(page, script);
        const submitRow = quickInput(page).locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^\s*Submit$/ }) });
        await submitRow.waitFor({ state: 'visible', timeout: 30_000 });
        const options = (await quickInput(page).locator('.monaco-list-row').allTextContents()).join('\n');
        assert.match(options, /Partition/);
        assert.match(options, /debug/, 'the host default partition is shown');
        await screenshot(page, 'jobs-1-submit-options');
        await submitRow.click();

        const toast = await waitForNotification(page, /Submitted job \d+ \(e2e-tail\) on hpc-sandbox/, 30_000);
        jobId = /Submitted job (\d+)/.exec((await toast.textContent()) ?? '')?.[1];
        assert.ok(jobId, 'job id in the notification');

        // The job is in the Jobs view under its host.
        await jobsItem(page, new RegExp(`^${jobId} e2e-tail$`)).waitFor({ state: 'visible', timeout: 30_000 });
        await screenshot(page, 'jobs-2-listed');

        // Tail Output from the notification: a tab that grows while the job runs.
        await clickNotificationButton(toast, 'Tail Output');
        await page.locator('.tabs-container .tab', { hasText: `e2e-tail-${jobId}.out` }).waitFor({ state: 'visible', timeout: 30_000 });
        const early = await eventually('first output lines', () => editorText(page), (t) => /line \d+/.test(t), 60_000);
        const earlyCount = (early.match(/line \d+/g) ?? []).length;
        assert.ok(earlyCount < LINES, `the tab opened before the job ended (saw ${earlyCount} lines)`);
        await eventually('more lines', () => editorText(page), (t) => (t.match(/line \d+/g) ?? []).length > earlyCount, 30_000);
        await screenshot(page, 'jobs-3-tail-growing');

        // Completion: the notice, and the tab says the job ended after the last line — beside the text, not in it.
        await waitForNotification(page, new RegExp(`Job ${jobId} \\(e2e-tail\\) on hpc-sandbox completed`), 120_000);
        const note = await eventually('tail end note', () => editorNotes(page), (t) => /Job \d+ ended/.test(t), 60_000);
        assert.match(note, new RegExp(`Job ${jobId} ended \\(COMPLETED\\)\\. Not following any more\\.`));
        const final = await editorText(page);
        assert.match(final, new RegExp(`line ${LINES}\\s+all done`));
        assert.doesNotMatch(final, /ended|Not following/, 'the output text is only what the job wrote');
        await screenshot(page, 'jobs-4-completed');

        // Every attribute in a read-only tab (palette: pick the job).
        await runCommand(page, 'Remote HPC: Show Job Details');
        await pickQuickPickItem(page, new RegExp(`${jobId} e2e-tail$`));
        await page.locator('.tabs-container .tab', { hasText: `Job ${jobId}` }).waitFor({ state: 'visible', timeout: 30_000 });
        const details = await eventually('details text', () => editorText(page), (t) => /COMPLETED/.test(t), 30_000);
        assert.match(details, new RegExp(`# Job ${jobId} on ${HOST}`));
        assert.match(details, /JobState: +COMPLETED/);
      },
    );
    // What the tab showed is what the job wrote.
    assert.equal(ssh(`cat ~/${dir}/e2e-tail-${jobId}.out`), `${Array.from({ length: LINES }, (_, i) => `line ${i + 1}`).join('\n')}\nall done\n`);
  } finally {
    try {
      if (jobId) ssh(`scancel ${jobId} 2>/dev/null; true`);
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});

test('jobs: the New Job form validates inline, saves the .job.json and submits it', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-newjob-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  ssh(`mkdir -p ~/${dir}`);
  let jobId: string | undefined;
  try {
    await withWorkbench(
      {
        name: 'jobs-newjob',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.defaults': { [HOST]: { partition: 'debug', time: '5' } },
        },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);

        await runCommand(page, 'Remote HPC: New Job…');
        const frame = await webviewFrame(page, { selector: 'body[data-view="newJob"]' });
        const input = (key: string) => frame.locator(`#f-${key}`).locator('input, textarea').first();
        await frame.locator('#f-host').waitFor({ state: 'visible', timeout: 30_000 });
        // Host defaults are filled in.
        await eventually('host defaults', () => input('partition').inputValue(), (v) => v === 'debug', 20_000);
        assert.equal(await input('walltime').inputValue(), '5');

        // Inline errors while typing.
        await input('name').fill('bad name');
        const nameError = frame.locator('[data-error-for="name"]');
        await nameError.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await nameError.textContent()) ?? '', /Letters, digits/);
        await input('walltime').fill('1h');
        await frame.locator('[data-error-for="walltime"]').waitFor({ state: 'visible', timeout: 10_000 });
        await screenshot(page, 'jobs-5-new-job-errors');

        // Fixed: errors go.
        await input('name').fill('e2e-form');
        await input('walltime').fill('2');
        await input('folder').fill(`${home}/${dir}`);
        await input('command').fill('echo "form says $GREETING"');
        await frame.locator('vscode-collapsible[heading="Advanced"]').click();
        await input('env').fill('GREETING=hello');
        await nameError.waitFor({ state: 'hidden', timeout: 10_000 });
        await frame.locator('[data-error-for="walltime"]').waitFor({ state: 'hidden', timeout: 10_000 });

        await frame.locator('vscode-button[data-action="submit"]').click();
        const toast = await waitForNotification(page, /Submitted job \d+ \(e2e-form\) on hpc-sandbox/, 60_000);
        jobId = /Submitted job (\d+)/.exec((await toast.textContent()) ?? '')?.[1];
        await frame.locator('[data-testid="status"]', { hasText: `Submitted job ${jobId}` }).waitFor({ state: 'visible', timeout: 10_000 });
        await screenshot(page, 'jobs-6-new-job-submitted');
      },
    );
    const saved = JSON.parse(ssh(`cat ~/${dir}/e2e-form.job.json`)) as Record<string, unknown>;
    assert.deepEqual(saved, { name: 'e2e-form', command: 'echo "form says $GREETING"', walltime: 2, partition: 'debug', env: { GREETING: 'hello' } });
    const out = await eventually(
      'job output',
      async () => {
        try {
          return ssh(`cat ~/${dir}/slurm-${jobId}.out 2>/dev/null || true`);
        } catch {
          return '';
        }
      },
      (t) => t.length > 0,
      60_000,
    );
    assert.equal(out, 'form says hello\n');
  } finally {
    try {
      if (jobId) ssh(`scancel ${jobId} 2>/dev/null; true`);
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});

test('jobs: Release from the context menu, then Cancel two selected jobs — checked in SLURM', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const submit = (name: string) => ssh(`sbatch --parsable --hold --partition=debug --time=5 --job-name=${name} --output=/dev/null --wrap='sleep 120'`).trim().split(';')[0] as string;
  const a = submit('e2e-act-a');
  const b = submit('e2e-act-b');
  const state = (id: string) => ssh(`squeue -h -j ${id} -o '%T %r' 2>/dev/null; sacct -n -X -P -j ${id} -o State 2>/dev/null | head -1`);
  try {
    await withWorkbench(
      {
        name: 'jobs-actions',
        extensionDevelopmentPath: repoRoot(),
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.jobs.pollIntervalSeconds': 5 },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);
        const rowA = jobsItem(page, new RegExp(`^${a} e2e-act-a$`));
        const rowB = jobsItem(page, new RegExp(`^${b} e2e-act-b$`));
        await rowA.waitFor({ state: 'visible', timeout: 60_000 });
        await rowB.waitFor({ state: 'visible', timeout: 30_000 });

        // Release one held job: SLURM no longer holds it.
        await contextMenu(page, rowA, 'Release Job');
        await eventually('job a released', async () => state(a), (t) => !/JobHeld|held/i.test(t) && t.trim() !== '', 30_000);

        // Select both, Cancel from the context menu, confirm the modal: both end CANCELLED.
        await rowA.click();
        await rowB.click({ modifiers: ['Control'] });
        await contextMenu(page, rowB, 'Cancel Job');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await dialog.textContent()) ?? '', /Cancel 2 jobs\?/);
        await dialog.locator('.monaco-button', { hasText: /^Cancel Jobs$/ }).click();
        for (const id of [a, b]) await eventually(`job ${id} cancelled`, async () => state(id), (t) => /CANCELLED/.test(t), 60_000);
        await screenshot(page, 'jobs-7-cancelled');
      },
    );
  } finally {
    try {
      ssh(`scancel ${a} ${b} 2>/dev/null; true`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});

/** `sbatch --parsable` on the sandbox over the test's own ssh; the job id. */
function sbatch(options: string, wrap: string): string {
  return ssh(`sbatch --parsable --partition=debug --time=5 ${options} --wrap=${JSON.stringify(wrap)}`).trim().split(';')[0] as string;
}

/** What the controller says about a job now (squeue, then scontrol), '' once it is gone. */
function squeue(id: string, format: string): string {
  return ssh(`squeue -h -r -j ${id} -o '${format}' 2>/dev/null || true`).trim();
}

const jobsSettings = (extra: Record<string, unknown> = {}) => ({
  'remoteHpc.sshConfigFile': sandbox().sshConfig,
  'remoteHpc.knownHostsFile': sandbox().knownHosts,
  'remoteHpc.jobs.pollIntervalSeconds': 5,
  ...extra,
});

test('jobs: Hold a pending job, Requeue a running one, Cancel Whole Array from a task — checked in SLURM', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const pending = sbatch('--begin=now+1hour --job-name=e2e-hold --output=/dev/null', 'sleep 60');
  const running = sbatch('--job-name=e2e-requeue --output=/dev/null', 'sleep 300');
  const array = sbatch('--array=1-4%1 --job-name=e2e-array --output=/dev/null', 'sleep 300');
  try {
    // The menus depend on the state: wait until SLURM has started what should run.
    await eventually('the job and the first array task running', () => `${squeue(running, '%T')} ${squeue(`${array}_1`, '%T')}`, (t) => t === 'RUNNING RUNNING', 60_000);
    await withWorkbench({ name: 'jobs-control', extensionDevelopmentPath: repoRoot(), settings: jobsSettings() }, async ({ page }) => {
      await connectAndShowJobs(page);

      // Hold: the pending job gets a user hold in SLURM, and the tree says so.
      const pendingRow = jobsItem(page, new RegExp(`^${pending} e2e-hold$`));
      await pendingRow.waitFor({ state: 'visible', timeout: 30_000 });
      await contextMenu(page, pendingRow, 'Hold Job');
      await eventually('job held in squeue', () => squeue(pending, '%T %r'), (t) => t === 'PENDING JobHeldUser', 30_000);
      await eventually('held in the tree', () => pendingRow.getAttribute('aria-label'), (l) => /JobHeldUser/.test(l ?? ''), 30_000);

      // Requeue the running job (confirmed in the modal): SLURM counts a restart, and it is queued again.
      const runningRow = jobsItem(page, new RegExp(`^${running} e2e-requeue$`));
      await contextMenu(page, runningRow, 'Requeue Job');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await dialog.textContent()) ?? '', new RegExp(`Requeue job ${running} e2e-requeue\\?`));
      await dialog.locator('.monaco-button', { hasText: /^Requeue$/ }).click();
      await dialog.waitFor({ state: 'detached', timeout: 10_000 });
      const requeued = await eventually('a restart in scontrol', () => ssh(`scontrol show job ${running}`), (t) => /Restarts=1\b/.test(t), 30_000);
      assert.doesNotMatch(requeued, /JobState=(COMPLETED|CANCELLED|FAILED)/);

      // Cancel Whole Array from the running task's menu: every task ends, the queued ones too.
      const arrayRow = jobsItem(page, new RegExp(`^${array}\\[\\] e2e-array$`));
      await arrayRow.waitFor({ state: 'visible', timeout: 30_000 });
      if ((await arrayRow.getAttribute('aria-expanded')) !== 'true') await arrayRow.click();
      const taskRow = jobsItem(page, new RegExp(`^${array}_1 e2e-array$`));
      await taskRow.waitFor({ state: 'visible', timeout: 10_000 });
      await contextMenu(page, taskRow, 'Cancel Whole Array');
      await dialog.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await dialog.textContent()) ?? '', new RegExp(`Cancel array ${array} \\(e2e-array\\), all \\d+ tasks\\?`));
      await dialog.locator('.monaco-button', { hasText: /^Cancel Job$/ }).click();
      await eventually('no task of the array queued', () => squeue(array, '%i %T'), (t) => t === '', 60_000);
      const acct = await eventually(
        'the array cancelled in sacct',
        () => ssh(`sacct -n -X -P -j ${array} -o JobID,State`).trim().split('\n').filter(Boolean),
        (lines) => lines.length >= 2 && lines.every((l) => /\|CANCELLED/.test(l)),
        60_000,
      );
      // Task 1 ran, tasks 2-4 never started (one record `<id>_[2-4%1]` or one each): all four are accounted for.
      assert.ok(acct.some((l) => l.startsWith(`${array}_1|`)), acct.join('\n'));
      assert.ok(acct.some((l) => /_\[2-4/.test(l)) || ['2', '3', '4'].every((i) => acct.some((l) => l.startsWith(`${array}_${i}|`))), acct.join('\n'));
      await jobsItem(page, new RegExp(`^${array}_1 e2e-array$`)).waitFor({ state: 'detached', timeout: 30_000 });
      await screenshot(page, 'jobs-8-held-requeued-array-cancelled');
    });
  } finally {
    try {
      ssh(`scancel ${pending} ${running} ${array} 2>/dev/null; true`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});

test('jobs: filter the view by state and by tag from its title bar, then Fetch Outputs of a job into a local folder', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const dir = `e2e-fetch-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  ssh(`mkdir -p ~/${dir}`);
  const queued = sbatch('--begin=now+1hour --job-name=e2e-f-queued --comment=tags=e2e-blue --output=/dev/null', 'sleep 60');
  const running = sbatch(
    `--chdir=${home}/${dir} --job-name=e2e-f-run --comment=tags=e2e-red,e2e-green --output=out-%j.txt --error=err-%j.txt`,
    'echo "to stdout"; echo "to stderr" >&2; mkdir -p results/deep; printf "r1" > results/a.dat; printf "deep" > results/deep/b.dat; sleep 300',
  );
  const local = mkdtempSync(join(tmpdir(), 'rhpc-e2e-fetch-'));
  try {
    await eventually('the job wrote its files', () => ssh(`cd ~/${dir} && ls results/deep/b.dat err-${running}.txt 2>/dev/null || true`), (t) => t.includes('b.dat') && t.includes('err-'), 60_000);
    await withWorkbench({ name: 'jobs-filter-fetch', extensionDevelopmentPath: repoRoot(), settings: jobsSettings() }, async ({ page }) => {
      await connectAndShowJobs(page);
      const queuedRow = jobsItem(page, new RegExp(`^${queued} e2e-f-queued$`));
      const runningRow = jobsItem(page, new RegExp(`^${running} e2e-f-run$`));
      await queuedRow.waitFor({ state: 'visible', timeout: 30_000 });
      await runningRow.waitFor({ state: 'visible', timeout: 30_000 });
      const filterNote = viewPane(page, 'Jobs').locator('.message', { hasText: /Filtered/ });

      // By state (title bar "…" menu): only RUNNING; the view says it is filtered.
      await viewTitleAction(page, 'Jobs', 'Filter Jobs by State…');
      await pickQuickPickItems(page, ['RUNNING']);
      await queuedRow.waitFor({ state: 'detached', timeout: 10_000 });
      await runningRow.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await filterNote.textContent()) ?? '', /state: RUNNING/);
      await viewTitleAction(page, 'Jobs', 'Clear Job Filter');
      await queuedRow.waitFor({ state: 'visible', timeout: 10_000 });
      await filterNote.waitFor({ state: 'detached', timeout: 10_000 });

      // By tag: the tags come from the jobs' comments; picking one shows only the jobs that carry it.
      await viewTitleAction(page, 'Jobs', 'Filter Jobs by Tag…');
      await pickQuickPickItems(page, [/^\s*e2e-blue$/]);
      await runningRow.waitFor({ state: 'detached', timeout: 10_000 });
      await queuedRow.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await filterNote.textContent()) ?? '', /tag: e2e-blue/);
      await screenshot(page, 'jobs-9-filtered-by-tag');
      await viewTitleAction(page, 'Jobs', 'Clear Job Filter');
      await runningRow.waitFor({ state: 'visible', timeout: 10_000 });

      // Fetch Outputs…: stdout and stderr (ticked already) plus a folder of the cluster, into a local folder.
      await contextMenu(page, runningRow, 'Fetch Outputs…');
      await pickQuickPickItems(page, [/A folder on the cluster/]);
      const folderBox = quickInput(page).locator('input');
      await eventually('the work dir offered', () => folderBox.inputValue(), (v) => v === `${home}/${dir}`, 10_000);
      await answerInputBox(page, `${home}/${dir}/results`);
      await answerFileDialog(page, `${local}/`);
      await waitForNotification(page, /Fetched 4 files \(.*\) to /, 30_000);
    });
    const files = readdirSync(local, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(local.length + 1)).sort();
    // Into the job's own folder, <name>-<id>.
    const job = `e2e-f-run-${running}`;
    assert.deepEqual(files, [`${job}/err-${running}.txt`, `${job}/out-${running}.txt`, `${job}/results/a.dat`, `${job}/results/deep/b.dat`]);
    assert.equal(readFileSync(join(local, job, `out-${running}.txt`), 'utf8'), 'to stdout\n');
    assert.equal(readFileSync(join(local, job, `err-${running}.txt`), 'utf8'), 'to stderr\n');
    assert.equal(readFileSync(join(local, job, 'results/a.dat'), 'utf8'), 'r1');
    assert.equal(readFileSync(join(local, job, 'results/deep/b.dat'), 'utf8'), 'deep');
  } finally {
    rmSync(local, { recursive: true, force: true });
    try {
      ssh(`scancel ${queued} ${running} 2>/dev/null; rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
