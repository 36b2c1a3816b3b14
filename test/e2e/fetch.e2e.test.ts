/**
 * Fetch Outputs in a real code-server: a running job's logs and a results folder land in the
 * job's own `<name>-<id>` folder; after local edits, fetching again asks in VS Code's modal
 * (Overwrite / Skip / Keep Both, with "… All" while several are left) and the answers are what
 * happens on disk; the result message counts what was written, kept beside and skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerFileDialog, answerInputBox, connectAndShowJobs, contextMenu, eventually, jobsItem, pickQuickPickItems, quickInput, repoRoot, screenshot, waitForNotification, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const HOST = 'hpc-sandbox';

function ssh(script: string): string {
  return execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', HOST, script], { encoding: 'utf8', timeout: 30_000 });
}

function listLocal(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

test('Fetch Outputs: into the job\'s own folder, then again after local edits — asked, Skip and Keep Both for All do what they say', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const dir = `e2e-fetchc-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  ssh(`mkdir -p ~/${dir}`);
  const id = ssh(
    `sbatch --parsable --partition=debug --time=5 --chdir=${home}/${dir} --job-name=e2e-fetch/../x --output=out-%j.txt --error=err-%j.txt --wrap=${JSON.stringify('echo "to stdout"; echo "to stderr" >&2; mkdir -p results; printf "a,b\\n1,2\\n" > results/run1.csv; sleep 300')}`,
  )
    .trim()
    .split(';')[0] as string;
  const local = mkdtempSync(join(tmpdir(), 'rhpc-e2e-fetchc-'));
  const jobDir = `e2e-fetch%2F..%2Fx-${id}`; // the job name made portable: one folder, inside the chosen one
  try {
    await eventually('the job wrote its files', () => ssh(`cd ~/${dir} && ls results/run1.csv err-${id}.txt 2>/dev/null || true`), (t) => t.includes('run1.csv') && t.includes('err-'), 60_000);
    const settings = { 'remoteHpc.sshConfigFile': sandbox().sshConfig, 'remoteHpc.knownHostsFile': sandbox().knownHosts, 'remoteHpc.jobs.pollIntervalSeconds': 5 };
    await withWorkbench({ name: 'fetch-conflicts', extensionDevelopmentPath: repoRoot(), settings }, async ({ page }) => {
      await connectAndShowJobs(page, HOST);
      const row = jobsItem(page, new RegExp(`^${id} e2e-fetch/\\.\\./x$`));
      await row.waitFor({ state: 'visible', timeout: 60_000 });

      const fetch = async () => {
        await contextMenu(page, row, 'Fetch Outputs…');
        await pickQuickPickItems(page, [/A folder on the cluster/]);
        await eventually('the work dir offered', () => quickInput(page).locator('input').inputValue(), (v) => v === `${home}/${dir}`, 10_000);
        await answerInputBox(page, `${home}/${dir}/results`);
        await answerFileDialog(page, `${local}/`);
      };

      // First fetch: nothing there, nothing asked; the message names the job's folder and the bytes.
      await fetch();
      const first = await waitForNotification(page, /Fetched 3 files \(28 B\) to /, 30_000);
      assert.ok(((await first.textContent()) ?? '').includes(join(local, jobDir)), (await first.textContent()) ?? '');
      assert.deepEqual(listLocal(local), [`${jobDir}/err-${id}.txt`, `${jobDir}/out-${id}.txt`, `${jobDir}/results/run1.csv`]);

      // Local edits, then fetch again: three files are there; each question waits for an answer.
      writeFileSync(join(local, jobDir, `out-${id}.txt`), 'my notes');
      writeFileSync(join(local, jobDir, 'results', 'run1.csv'), 'my edit');
      await fetch();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 20_000 });
      assert.match((await dialog.textContent()) ?? '', new RegExp(`"out-${id}\\.txt" already exists in .*Overwrite it\\?`));
      assert.match((await dialog.textContent()) ?? '', /3 files to fetch are already there/);
      const buttons = (await dialog.locator('.monaco-button').allTextContents()).map((t) => t.trim());
      for (const b of ['Overwrite', 'Skip', 'Keep Both', 'Overwrite All', 'Skip All', 'Keep Both for All']) assert.ok(buttons.includes(b), `buttons: ${buttons.join(', ')}`);
      await screenshot(page, 'fetch-1-conflict');
      await dialog.locator('.monaco-button', { hasText: /^Skip$/ }).click();
      await eventually('the next question', async () => (await dialog.isVisible()) && ((await dialog.textContent()) ?? ''), (t) => typeof t === 'string' && t.includes(`"err-${id}.txt"`), 10_000);
      assert.match((await dialog.textContent()) ?? '', /2 files to fetch are already there/);
      await dialog.locator('.monaco-button', { hasText: /^Keep Both for All$/ }).click();
      await waitForNotification(page, /Fetched 2 files \(18 B\) to .*: 2 kept beside the existing file, 1 file skipped \(already there\)\./, 30_000);
      await screenshot(page, 'fetch-2-done');
    });
    assert.deepEqual(listLocal(local), [`${jobDir}/err-${id} (1).txt`, `${jobDir}/err-${id}.txt`, `${jobDir}/out-${id}.txt`, `${jobDir}/results/run1 (1).csv`, `${jobDir}/results/run1.csv`]);
    assert.equal(readFileSync(join(local, jobDir, `out-${id}.txt`), 'utf8'), 'my notes', 'skipped: the local edit stays');
    assert.equal(readFileSync(join(local, jobDir, 'results', 'run1.csv'), 'utf8'), 'my edit', 'kept both: the local edit stays');
    assert.equal(readFileSync(join(local, jobDir, 'results', 'run1 (1).csv'), 'utf8'), 'a,b\n1,2\n');
    assert.equal(readFileSync(join(local, jobDir, `err-${id} (1).txt`), 'utf8'), 'to stderr\n');
  } finally {
    rmSync(local, { recursive: true, force: true });
    try {
      ssh(`scancel ${id} 2>/dev/null; rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
