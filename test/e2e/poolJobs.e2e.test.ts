/**
 * Pool jobs from the UI, as SLURM jobs are (issue 12): a pool made with Create or Edit Pool… (New
 * pool…, the sandbox's three pool hosts, 2 slots), a plain script run three times with Run on
 * Pool… from the Explorer's context menu (the repeat asked), then from the Jobs view's context
 * menus: Tail Output grows live and says the job ended, Cancel Job ends the second copy's whole
 * process group on its host, Show Job Details names the host and slot, Fetch Outputs… brings its
 * stdout into a local folder; the end notices (completed, failed) arrive. Checked on the hosts
 * over ssh (all three pool hosts share this machine's $HOME and processes).
 *
 * Needs the sandbox (with its pool hosts), the e2e toolchain and a built extension (node esbuild.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerFileDialog, answerInputBox, contextMenu, eventually, jobsItem, openView, pickQuickPickItem, pickQuickPickItems, quickInput, repoRoot, runCommand, screenshot, viewPane, waitForNotification, withWorkbench } from './harness';
import { collapseOtherPanes, editorNotes, editorText, ssh } from './jobsKit';
import { e2eSkip, firstSkip, sandboxPoolSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const skip = firstSkip(sandboxPoolSkip(), e2eSkip());
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const LINES = 14;

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

test('pool jobs from the UI: a pool made in the UI, a script run 3 times, tail, cancel (process group), details, fetch, notices', { skip, timeout: 180_000 }, async () => {
  const d = sandbox();
  const token = `e2e-pooljobs-${process.pid}-${Date.now().toString(36)}`;
  // A sleep no other process has: what the cancelled copy leaves behind, if anything.
  const nap = 3000 + (process.pid % 900);
  const folder = mkdtempSync(join(tmpdir(), 'rhpc-e2e-pooljobs-'));
  const dest = join(folder, 'fetched');
  mkdirSync(dest);
  writeFileSync(
    join(folder, 'count.sh'),
    `#!/bin/bash
# ${token}
case $RHPC_POOL_REPEAT in
  0) for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 1; done; echo "all done" ;;
  1) sleep ${nap} & wait ;;
  *) echo "copy $RHPC_POOL_REPEAT fails" >&2; exit 3 ;;
esac
`,
  );
  const pool = (script: string) => ssh(script, 'hpc-pool-1');
  /** The run's job folders on the hosts (`<run>/<job>/<attempt>`), found by the token in their copied script. */
  const jobDir = (job: number) => pool(`for f in ~/.remote-hpc/pool/*/${job}/1/work/count.sh; do grep -q -F ${token} "$f" 2>/dev/null && echo "\${f%/work/count.sh}"; done`).trim();
  const naps = () => pool(`pgrep -f -x 'sleep ${nap}' | wc -l`).trim();
  try {
    await withWorkbench(
      {
        name: 'pool-jobs',
        extensionDevelopmentPath: repoRoot(),
        workspaceFolder: folder,
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.pollIntervalSeconds': 5,
          'remoteHpc.jobs.notifyStates': ['COMPLETED', 'FAILED', 'CANCELLED'],
        },
      },
      async ({ page }) => {
        // The pool, from the UI (written to remoteHpc.pools).
        await runCommand(page, 'Remote HPC: Create or Edit Pool…');
        await pickQuickPickItem(page, /New pool/);
        await answerInputBox(page, 'ui');
        await pickQuickPickItems(page, ['hpc-pool-1', 'hpc-pool-2', 'hpc-pool-3']);
        await quickInput(page).locator('.quick-input-title', { hasText: /Slots per host in pool ui/ }).waitFor({ state: 'visible', timeout: 15_000 });
        await answerInputBox(page, '2');
        await waitForNotification(page, /Pool ui: 3 hosts × 2 slots saved in remoteHpc\.pools/, 15_000);

        // Run on Pool… on the script from the Explorer: the only pool, three copies.
        await runCommand(page, 'View: Show Explorer');
        const script = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'count.sh' }).first();
        await script.waitFor({ state: 'visible', timeout: 30_000 });
        await contextMenu(page, script, 'Run on Pool…');
        await quickInput(page).locator('.quick-input-title', { hasText: /Run count\.sh on pool ui/ }).waitFor({ state: 'visible', timeout: 15_000 });
        await answerInputBox(page, '3');
        await waitForNotification(page, /Pool ui: run count\.sh started \(3 jobs\)/, 60_000);

        await openView(page, 'Jobs');
        await collapseOtherPanes(page);
        await jobsItem(page, /^pool:ui$/).waitFor({ state: 'visible', timeout: 30_000 });
        const row = (n: number) => jobsItem(page, new RegExp(`\\.${n} count\\.sh #${n}$`));
        await row(1).waitFor({ state: 'visible', timeout: 30_000 });
        const id1 = ((await row(1).locator('.label-name').textContent()) ?? '').split(' ')[0] as string;
        const id2 = id1.replace(/\.1$/, '.2');
        const id3 = id1.replace(/\.1$/, '.3');
        await screenshot(page, 'pool-jobs-1-listed');

        // Tail Output: the first copy's stdout grows while it runs.
        await contextMenu(page, row(1), 'Tail Output', page.locator('.tabs-container .tab', { hasText: 'stdout' }));
        const early = await eventually('first output lines', () => editorText(page), (t) => /line \d+/.test(t), 30_000);
        const earlyCount = (early.match(/line \d+/g) ?? []).length;
        assert.ok(earlyCount < LINES, `the tab opened before the job ended (saw ${earlyCount} lines)`);
        await eventually('more lines', () => editorText(page), (t) => (t.match(/line \d+/g) ?? []).length > earlyCount, 20_000);

        // Cancel Job on the second copy: its process group (the script and its sleep) ends on the host.
        await eventually('the second copy sleeping on its host', naps, (n) => n === '1', 20_000);
        // (The view is live, a pool round every 3 s: contextMenu asks again when the menu comes up
        // for a row that moved under the right-click.)
        await row(2).waitFor({ state: 'visible', timeout: 10_000 });
        await contextMenu(page, row(2), 'Cancel Job');
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await dialog.textContent()) ?? '', new RegExp(`Cancel job ${esc(id2)} count\\.sh #2\\?`));
        await dialog.locator('.monaco-button', { hasText: /^Cancel Job$/ }).click();
        await eventually('its sleep gone too', naps, (n) => n === '0', 15_000);
        const dir2 = jobDir(2);
        assert.match(dir2, /\/\.remote-hpc\/pool\/[^/]+\/2\/1$/);
        assert.equal(pool(`test -e ${dir2}/cancelled && cat ${dir2}/rc`).trim(), '143', 'the wrapper recorded the TERM');
        // Ended jobs move under the pool's Recent: the cancelled one says so, the third one failed (exit 3) and was announced.
        // (A pool round reads the wrapper's record every 3 s; under a loaded CI run this once took over 30 s.)
        await row(2).waitFor({ state: 'detached', timeout: 60_000 });
        const recent = viewPane(page, 'Jobs').locator('.monaco-list-row[role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: /^Recent$/ }) }).last();
        if ((await recent.getAttribute('aria-expanded')) !== 'true') await recent.click();
        await eventually('cancelled in the view', () => row(2).getAttribute('aria-label'), (l) => /cancel/i.test(l ?? ''), 30_000);
        await waitForNotification(page, /Job \S+\.3 \(count\.sh #3\) on pool:ui failed \(exit 3\)/, 30_000);
        await row(3).waitFor({ state: 'visible', timeout: 30_000 });

        // Show Job Details of the failed one: the host, slot, pid and exit of its attempt.
        await contextMenu(page, row(3), 'Show Job Details', page.locator('.tabs-container .tab', { hasText: `Job ${id3}` }));
        const details = await eventually('details text', () => editorText(page), (t) => /Attempt 1/.test(t), 30_000);
        assert.match(details, /Attempt 1: +hpc-pool-\d slot \d, pid \d+, exit 3/);
        assert.match(details, /Pool: +ui/);

        // Fetch Outputs… of it: its stdout and stderr into a local folder.
        await contextMenu(page, row(3), 'Fetch Outputs…');
        await quickInput(page).locator('.monaco-list-row', { hasText: 'Standard output and error' }).waitFor({ state: 'visible', timeout: 15_000 });
        await quickInput(page).locator('.monaco-button', { hasText: /^OK$/ }).first().click();
        await answerFileDialog(page, `${dest}/`);
        await waitForNotification(page, /Fetched 2 files/, 30_000);
        await screenshot(page, 'pool-jobs-2-fetched');

        // The first copy ends: its tab says so after the last line, and the end notice comes.
        await page.locator('.tabs-container .tab', { hasText: 'stdout' }).first().click();
        const note = await eventually('tail end note', () => editorNotes(page), (t) => /Job \S+ ended/.test(t), 60_000);
        assert.match(note, new RegExp(`Job ${esc(id1)} ended \\(completed\\)\\. Not following any more\\.`, 'i'));
        assert.match(await editorText(page), new RegExp(`line ${LINES}\\s+all done`));
        await waitForNotification(page, new RegExp(`Job ${esc(id1)} \\(count\\.sh #1\\) on pool:ui completed`), 30_000);
        await screenshot(page, 'pool-jobs-3-ended');
      },
    );
    const got = filesUnder(dest);
    const stderr = got.find((f) => f.endsWith('stderr'));
    assert.ok(stderr && got.some((f) => f.endsWith('stdout')), `stdout and stderr fetched (${got.join(', ')})`);
    assert.equal(readFileSync(join(dest, stderr), 'utf8'), 'copy 2 fails\n');
    assert.equal(pool(`cat ${jobDir(3)}/rc`), '3\n');
    assert.equal(pool(`cat ${jobDir(1)}/stdout`), `${Array.from({ length: LINES }, (_, i) => `line ${i + 1}`).join('\n')}\nall done\n`);
  } finally {
    try {
      pool(`pkill -f -x 'sleep ${nap}'; for f in ~/.remote-hpc/pool/*/*/*/work/count.sh; do grep -q -F ${token} "$f" 2>/dev/null && echo "\${f%/*/*/*/*}"; done | sort -u | xargs -r rm -rf --`);
    } catch {
      /* the sandbox may be gone */
    }
    rmSync(folder, { recursive: true, force: true });
  }
});
