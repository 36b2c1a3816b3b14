/**
 * Compute nodes end to end, in code-server + Chromium against the sandbox cluster:
 *  (a) New Interactive Session… from the Jobs view's title bar, its prompts answered in the UI,
 *      a shell on the node in a terminal (a command typed into it, its output read from the
 *      terminal's rows), the allocation in the Jobs view, and closing the terminal asks: End
 *      Session ends the job (squeue, sacct);
 *  (b) a batch job serving a page with `python3 -m http.server` on its node: Forward a Port… from
 *      the job's context menu, then Open in Browser: the page in the Simple Browser tab (read from
 *      its iframe) and fetched through the local port; cancelling the job closes the forward.
 *
 * Needs: the sandbox, the e2e toolchain and a built extension (see jobs.e2e.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Frame, Page } from 'playwright-core';
import { clickNotificationButton, contextMenu, eventually, pickQuickPickItem, quickInput, repoRoot, runCommand, screenshot, viewPane, viewTitleAction, waitForNotification, webviewFrame, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, HOST, jobsItem, ssh } from './jobsKit';

const settings = (extra: Record<string, unknown> = {}) => ({
  'remoteHpc.sshConfigFile': sandbox().sshConfig,
  'remoteHpc.knownHostsFile': sandbox().knownHosts,
  'remoteHpc.jobs.pollIntervalSeconds': 3,
  // The DOM renderer: the terminal's rows are text the test can read.
  'terminal.integrated.gpuAcceleration': 'off',
  ...extra,
});

/** Answers the input box whose prompt matches (the widget is reused from prompt to prompt: wait for this one). */
async function answerPrompt(page: Page, prompt: RegExp, value: string): Promise<void> {
  const widget = quickInput(page);
  await widget.locator('.quick-input-message', { hasText: prompt }).waitFor({ state: 'visible', timeout: 15_000 });
  const input = widget.locator('input');
  await input.fill(value);
  await input.press('Enter');
  await widget.locator('.quick-input-message', { hasText: prompt }).waitFor({ state: 'hidden', timeout: 10_000 });
}

/** What the active terminal shows (its rendered rows). */
async function terminalText(page: Page): Promise<string> {
  const rows = await page.locator('.terminal-wrapper.active .xterm-rows > div').allTextContents();
  return rows.map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
}

/** SLURM's view of a job: squeue's state while it is queued, '' after; sacct's final state. */
function slurmState(id: string): { queued: string; acct: string } {
  return {
    queued: ssh(`squeue -h -j ${id} -o %T 2>/dev/null || true`).trim(),
    acct: ssh(`sacct -n -X -P -j ${id} -o State 2>/dev/null | head -1`).trim(),
  };
}

test('compute: New Interactive Session from the Jobs view, a command typed on the node, End Session cancels it', { skip: e2eSkip(), timeout: 120_000 }, async () => {
  const node = sandbox().nodeName;
  let jobId: string | undefined;
  try {
    await withWorkbench({ name: 'compute-interactive', extensionDevelopmentPath: repoRoot(), settings: settings() }, async ({ page }) => {
      await connectAndShowJobs(page);

      // The title bar's action, then its prompts: partition (from sinfo), time, CPUs, memory, account.
      await viewTitleAction(page, 'Jobs', 'New Interactive Session…');
      await pickQuickPickItem(page, /debug/);
      await answerPrompt(page, /^Time limit/, '5');
      await answerPrompt(page, /^CPUs/, '1');
      await answerPrompt(page, /^Memory/, '');
      await answerPrompt(page, /^Account/, '');

      // The terminal reaches the user's shell on the node: the session's own first line names the job.
      const terminal = page.locator('.terminal-wrapper.active');
      await terminal.waitFor({ state: 'visible', timeout: 20_000 });
      const first = await eventually('the shell on the node', () => terminalText(page), (t) => /Interactive session: job \d+ on \S+/.test(t), 30_000);
      jobId = /Interactive session: job (\d+) on (\S+)/.exec(first)?.[1];
      assert.ok(jobId, first);
      assert.match(first, new RegExp(`Interactive session: job ${jobId} on ${node}`));

      // Keystrokes into the terminal: the output (not the echoed command line) comes from the job's shell.
      await terminal.click();
      await page.keyboard.type('echo "<$((6*7))|$SLURM_JOB_ID|$(hostname)>"\n');
      const typed = await eventually('the command output', () => terminalText(page), (t) => /<42\|\d+\|[^>]+>/.test(t), 15_000);
      assert.match(typed, new RegExp(`<42\\|${jobId}\\|${node}>`));
      await screenshot(page, 'compute-1-interactive-shell');

      // The allocation is a job in the Jobs view, and SLURM runs it.
      await jobsItem(page, new RegExp(`^${jobId} interactive$`)).waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(slurmState(jobId).queued, 'RUNNING');

      // Closing the terminal asks; End Session ends the job.
      await runCommand(page, 'Terminal: Kill the Active Terminal Instance');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 10_000 });
      assert.match((await dialog.textContent()) ?? '', new RegExp(`End the interactive session \\(job ${jobId} on ${HOST}\\)\\?`));
      await screenshot(page, 'compute-2-end-session');
      // Two answers: Keep Running is the dialog's close button, so there is no Cancel beside it.
      const buttons = (await dialog.locator('.monaco-button').allTextContents()).map((t) => t.trim()).filter(Boolean);
      assert.deepEqual([...buttons].sort(), ['End Session', 'Keep Running'], `buttons: ${JSON.stringify(buttons)}`);
      await dialog.locator('.monaco-button', { hasText: /^End Session$/ }).click();
      const id = jobId;
      const ended = await eventually('the allocation ended in SLURM', () => slurmState(id), (s) => s.queued === '' && s.acct !== '' && !/RUNNING|PENDING/.test(s.acct), 30_000);
      assert.match(ended.acct, /CANCELLED/, `sacct: ${ended.acct}`);
      await jobsItem(page, new RegExp(`^${jobId} interactive$`)).waitFor({ state: 'detached', timeout: 20_000 });
    });
  } finally {
    try {
      if (jobId) ssh(`scancel ${jobId} 2>/dev/null; true`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});

/** The Simple Browser's page: the iframe inside its webview. */
async function simpleBrowserPage(page: Page): Promise<{ url: string; frame: Frame }> {
  const view = await webviewFrame(page, { selector: 'input.url-input', timeoutMs: 20_000 });
  const url = await view.locator('input.url-input').inputValue();
  const handle = await view.locator('iframe').first().elementHandle({ timeout: 10_000 });
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('the Simple Browser has no page frame');
  return { url, frame };
}

test('compute: Forward a Port from a job\'s context menu, Open in Browser shows the page its node serves', { skip: e2eSkip(), timeout: 120_000 }, async () => {
  const dir = `e2e-forward-${process.pid}-${Date.now().toString(36)}`;
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const text = `served by a job ${randomBytes(6).toString('hex')}`;
  ssh(`mkdir -p ~/${dir} && printf '<html><body><h1>%s</h1></body></html>' '${text}' > ~/${dir}/index.html`);
  const home = ssh('printf %s "$HOME"');
  const jobId = ssh(`sbatch --parsable --partition=debug --time=5 --job-name=e2e-web --chdir=${home}/${dir} --output=web-%j.out --wrap='exec python3 -u -m http.server --bind 0.0.0.0 ${port}'`).trim().split(';')[0] as string;
  try {
    // The server is up (its line in the output) before the user looks for it.
    await eventually('the server to start', () => ssh(`cat ~/${dir}/web-${jobId}.out 2>/dev/null || true`), (t) => /Serving HTTP on/.test(t), 45_000);
    await withWorkbench(
      {
        name: 'compute-forward',
        extensionDevelopmentPath: repoRoot(),
        settings: settings({ 'remoteHpc.forwards.openIn': 'simpleBrowser' }),
        // code-server maps a local URL to its own /proxy/<port>/ (asExternalUri), as for a browser elsewhere.
        proxy: true,
      },
      async ({ page }) => {
        await connectAndShowJobs(page);
        const row = jobsItem(page, new RegExp(`^${jobId} e2e-web$`));
        await row.waitFor({ state: 'visible', timeout: 30_000 });

        // Forward a Port… lists the server the job printed; one pick forwards it.
        await contextMenu(page, row, 'Forward a Port…');
        await pickQuickPickItem(page, /Web server/);
        const toast = await waitForNotification(page, new RegExp(`Job ${jobId}: .*:${port} is forwarded to http://127\\.0\\.0\\.1:\\d+/`), 30_000);
        const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec((await toast.textContent()) ?? '')?.[1] as string;
        const localPort = new URL(url).port;

        // Open in Browser: the Simple Browser tab shows the page.
        await clickNotificationButton(toast, 'Open in Browser');
        await page.locator('.tabs-container .tab', { hasText: 'Simple Browser' }).waitFor({ state: 'visible', timeout: 20_000 });
        const shown = await eventually(
          'the page in the Simple Browser',
          async () => {
            const sb = await simpleBrowserPage(page).catch(() => undefined);
            return sb ? { url: sb.url, body: await sb.frame.locator('body').innerText({ timeout: 2000 }).catch(() => '') } : { url: '', body: '' };
          },
          (v) => v.body.includes(text),
          30_000,
        );
        assert.match(shown.url, new RegExp(`(:|/proxy/)${localPort}/`), `the Simple Browser opened the forward: ${shown.url}`);
        await screenshot(page, 'compute-3-simple-browser');

        // The same page through the local port, from here.
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.match(await res.text(), new RegExp(text));

        // The forward is listed under its job.
        if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
        const fwdRow = viewPane(page, 'Jobs').locator('.monaco-list-row[role="treeitem"]', { hasText: `:${port}` }).filter({ hasText: `127.0.0.1:${localPort}` });
        await fwdRow.waitFor({ state: 'visible', timeout: 10_000 });
        await screenshot(page, 'compute-4-forward-listed');

        // The job ends: its forward goes, and the local port with it.
        ssh(`scancel ${jobId}`);
        await fwdRow.waitFor({ state: 'detached', timeout: 30_000 });
        await assert.rejects(fetch(url), 'nothing listens on the local port any more');
      },
    );
  } finally {
    try {
      ssh(`scancel ${jobId} 2>/dev/null; rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
