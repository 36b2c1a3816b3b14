/**
 * Hosts end to end: the Remote HPC view lists the sandbox hosts from the generated ssh config,
 * and a two-factor login (key, then a TOTP code typed into VS Code's input box) connects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { answerInputBox, openView, pickQuickPickItem, quickInput, repoRoot, runCommand, screenshot, treeItem, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

test('connects to the two-factor sandbox host by answering the TOTP prompt', { skip: e2eSkip() }, async () => {
  const d = sandbox();
  await withWorkbench(
    { name: 'hosts', extensionDevelopmentPath: repoRoot(), settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts } },
    async ({ page }) => {
      await openView(page, 'Hosts');
      for (const alias of ['hpc-sandbox', 'hpc-sandbox-2fa', 'hpc-sandbox-jump']) {
        await treeItem(page, alias).waitFor({ state: 'visible', timeout: 30_000 });
      }
      await runCommand(page, 'Remote HPC: Connect');
      await pickQuickPickItem(page, 'hpc-sandbox-2fa');
      // The server's keyboard-interactive prompt arrives in an input box, masked (echo off).
      const widget = quickInput(page);
      await widget.locator('.quick-input-message', { hasText: /one-time|OATH/i }).or(widget.locator('.quick-input-header', { hasText: /one-time|OATH/i })).first().waitFor({ timeout: 30_000 });
      assert.equal(await widget.locator('input').getAttribute('type'), 'password', 'a TOTP prompt with echo off must be masked');
      const code = execFileSync('oathtool', ['--totp', d.totpSecretHex], { encoding: 'utf8' }).trim();
      await answerInputBox(page, code);
      const row = treeItem(page, 'hpc-sandbox-2fa');
      await row.locator('.label-description', { hasText: 'connected' }).waitFor({ timeout: 30_000 });
      await page.locator('.statusbar-item', { hasText: 'HPC: hpc-sandbox-2fa' }).waitFor({ timeout: 10_000 });
      await screenshot(page, 'hosts-connected');
    },
  );
});
