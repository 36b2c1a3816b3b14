/**
 * Settings that live on the cluster, in code-server against the sandbox: a fresh profile whose
 * host's ~/.config/remote-hpc/settings.json was written elsewhere (here: by ssh) shows those
 * defaults in the submit options pick as "from the cluster", beside its own local one ("host
 * default", which wins) and in the New Job form (each prefilled value marked "from the cluster" or
 * "local setting"); Save Defaults to Cluster writes the effective defaults back, keeping the
 * file's other keys; over a file that is not JSON it asks first, and dismissing leaves the file
 * as it was. The file is removed afterwards (every e2e connect reads it).
 *
 * Needs: the sandbox, the e2e toolchain and a built extension (node esbuild.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerInputBox, eventually, quickInput, repoRoot, runCommand, screenshot, webviewFrame, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, HOST, ssh } from './jobsKit';

const FILE = '~/.config/remote-hpc/settings.json';

test('cluster settings: shown as "from the cluster" under local ones, saved back, bad JSON kept unless agreed', { skip: e2eSkip(), timeout: 180_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-cfg-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  if (ssh(`test -e ${FILE} && echo yes || true`).trim() === 'yes') throw new Error(`${FILE} exists on the sandbox: another run left it, or someone uses it`);
  ssh(
    `mkdir -p ~/.config/remote-hpc ~/${dir} && printf '#!/bin/bash\\necho hi\\n' > ~/${dir}/cfg.sh && printf '%s' '{"version":1,"jobs":{"defaults":{"time":"7","mailType":["fail"],"partition":"nope"}},"pools":{"lab":{"hosts":["ws1"]}}}' > ${FILE}`,
  );
  try {
    await withWorkbench(
      {
        name: 'cluster-settings',
        extensionDevelopmentPath: repoRoot(),
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.defaults': { [HOST]: { partition: 'debug' } },
        },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);

        // The submit pick: the cluster's time and mail, the local partition over the cluster's.
        await runCommand(page, 'Remote HPC: Submit Job');
        await answerInputBox(page, `${home}/${dir}/cfg.sh`);
        const rows = quickInput(page).locator('.monaco-list-row');
        const text = await eventually('the options pick', async () => (await rows.allTextContents()).join('\n'), (t) => /Time limit/.test(t), 30_000);
        await screenshot(page, 'cluster-settings-1-pick');
        assert.match(text, /Partition\s*debug\s+host default/);
        assert.match(text, /Time limit\s*7 min\s+from the cluster/);
        assert.match(text, /Mail\s*fail\s+from the cluster/);
        await page.keyboard.press('Escape');

        // The New Job form: the same values prefilled, each marked where it came from; an edited one loses its mark.
        await runCommand(page, 'Remote HPC: New Job…');
        const frame = await webviewFrame(page, { selector: 'body[data-view="newJob"]' });
        const input = (key: string) => frame.locator(`#f-${key}`).locator('input, textarea').first();
        const source = (key: string) => frame.locator(`[data-source-for="${key}"]`);
        await eventually('the cluster time prefilled', () => input('walltime').inputValue(), (v) => v === '7', 20_000);
        assert.equal(await input('partition').inputValue(), 'debug');
        assert.equal(await input('mailType').inputValue(), 'fail');
        await source('walltime').waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await source('walltime').textContent()) ?? '', /from the cluster/);
        assert.match((await source('mailType').textContent()) ?? '', /from the cluster/);
        assert.match((await source('partition').textContent()) ?? '', /local setting/);
        assert.equal(await source('account').isVisible(), false, 'nothing set, nothing marked');
        await screenshot(page, 'cluster-settings-1b-form');
        await input('walltime').fill('12');
        await source('walltime').waitFor({ state: 'hidden', timeout: 10_000 });
        await runCommand(page, 'View: Close Editor');

        // Save Defaults to Cluster: the effective defaults (local partition, the cluster's rest), other keys kept.
        await runCommand(page, 'Remote HPC: Save Defaults to Cluster'); // the only connected host: no pick
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        assert.match((await dialog.textContent()) ?? '', /partition: debug/);
        await dialog.locator('.monaco-button', { hasText: /^Save$/ }).click();
        const saved = await eventually('the file rewritten', () => JSON.parse(ssh(`cat ${FILE}`)) as { jobs: { defaults: Record<string, unknown> }; pools: unknown }, (j) => j.jobs.defaults.partition === 'debug', 20_000);
        assert.deepEqual(saved.jobs.defaults, { partition: 'debug', time: '7', mailType: ['fail'] });
        assert.deepEqual(saved.pools, { lab: { hosts: ['ws1'] } });

        // Over a file that is not JSON: asked first; dismissed, the file stays as it was.
        const bad = '{ "jobs": oops';
        ssh(`printf '%s' '${bad}' > ${FILE}`);
        await runCommand(page, 'Remote HPC: Save Defaults to Cluster'); // the only connected host: no pick
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        await dialog.locator('.monaco-button', { hasText: /^Save$/ }).click();
        await eventually('the replace question', async () => (await dialog.textContent()) ?? '', (t) => /not valid JSON/.test(t), 20_000);
        await screenshot(page, 'cluster-settings-2-bad-json');
        await dialog.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
        await dialog.waitFor({ state: 'detached', timeout: 10_000 });
        assert.equal(ssh(`cat ${FILE}`), bad, 'never replaced without a yes');
      },
    );
  } finally {
    ssh(`rm -f ${FILE}; rm -rf ~/${dir}`);
  }
});
