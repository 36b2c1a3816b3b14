/**
 * sandbox-turn: exclusive (tells its agent from others by the agents that were not there before).
 * Hosts end to end: the Remote HPC view lists the sandbox hosts from the generated ssh config,
 * and a two-factor login (key, then a TOTP code typed into VS Code's input box) connects;
 * Disconnect from the view really closes the session on the host; Remove Host takes a host added
 * in settings out of the view (disconnecting it first, after one question) for good.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { answerInputBox, contextMenu, eventually, openView, pickQuickPickItem, quickInput, reloadWindow, repoRoot, runCommand, screenshot, treeItem, withWorkbench } from './harness';
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

interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

/** The sandbox user's processes, read over the test's own ssh (which shows up too, and is left out by the callers). */
function remoteProcesses(): Proc[] {
  const out = execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', 'hpc-sandbox', 'ps -u "$(id -u)" -o pid=,ppid=,args='], { encoding: 'utf8', timeout: 30_000 });
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? '' }));
}

const isAgent = (p: Proc) => /remote-hpc\/agent-[0-9a-f]+\.py/.test(p.args);

test('Disconnect from the Hosts view: the row and the status bar say so, and the agent and its sshd session end on the host', { skip: e2eSkip(), timeout: 120_000 }, async () => {
  const d = sandbox();
  const before = new Set(remoteProcesses().filter(isAgent).map((p) => p.pid));
  await withWorkbench(
    { name: 'hosts-disconnect', extensionDevelopmentPath: repoRoot(), settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts } },
    async ({ page }) => {
      await openView(page, 'Hosts');
      const row = treeItem(page, 'hpc-sandbox');
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await contextMenu(page, row, 'Connect');
      const description = row.locator('.label-description');
      await description.filter({ hasText: /— connected$/ }).waitFor({ timeout: 30_000 });
      const status = page.locator('.statusbar-item', { hasText: /HPC/ }).first();
      await eventually('the status bar names the host', () => status.textContent(), (t) => /HPC: hpc-sandbox/.test(t ?? ''), 10_000);

      // The Remote Explorer lists the home folder through the agent: find our agent and the sshd session it runs in.
      const ours = await eventually('our agent on the host', () => remoteProcesses().filter((p) => isAgent(p) && !before.has(p.pid)), (a) => a.length > 0, 30_000);
      const procs = remoteProcesses();
      const sessionOf = (p: Proc): Proc | undefined => {
        for (let q: Proc | undefined = p; q; q = procs.find((x) => x.pid === q?.ppid)) if (/^sshd.*@notty/.test(q.args)) return q;
        return undefined;
      };
      const sessions = ours.map(sessionOf).filter((s): s is Proc => !!s);
      assert.equal(sessions.length, ours.length, `every agent runs under an sshd session: ${JSON.stringify(procs)}`);

      await contextMenu(page, row, 'Disconnect');
      await description.filter({ hasText: /— connected$/ }).waitFor({ state: 'detached', timeout: 10_000 });
      assert.doesNotMatch((await description.textContent()) ?? '', /connected|failed/);
      await eventually('the status bar without a host', () => status.textContent(), (t) => (t ?? '').trim() === 'HPC', 10_000);
      const gone = new Set([...ours, ...sessions].map((p) => p.pid));
      await eventually('the agent and its sshd session gone', () => remoteProcesses().filter((p) => gone.has(p.pid)).map((p) => p.args), (left) => left.length === 0, 20_000);
      await screenshot(page, 'hosts-disconnected');
    },
  );
});

test('Remove Host: a connected host from remoteHpc.hosts is disconnected and leaves the view after one question, and stays gone after a reload', { skip: e2eSkip(), timeout: 150_000 }, async () => {
  const d = sandbox();
  const extra = { name: 'e2e-extra', hostName: d.host, port: d.port, user: d.user, identityFile: d.key };
  await withWorkbench(
    { name: 'hosts-remove', extensionDevelopmentPath: repoRoot(), settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts, 'remoteHpc.hosts': [extra] } },
    async ({ page }) => {
      await openView(page, 'Hosts');
      const row = treeItem(page, 'e2e-extra');
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await contextMenu(page, row, 'Connect');
      await row.locator('.label-description').filter({ hasText: /— connected$/ }).waitFor({ timeout: 30_000 });

      await contextMenu(page, row, 'Remove Host…');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 10_000 });
      const text = (await dialog.textContent()) ?? '';
      assert.match(text, /Remove e2e-extra from the setting remoteHpc\.hosts\?/);
      assert.match(text, /e2e-extra is connected: removing it disconnects it first/);
      await screenshot(page, 'hosts-remove-1-asked');
      await dialog.locator('.monaco-button', { hasText: /^Remove$/ }).click();
      await dialog.waitFor({ state: 'detached', timeout: 10_000 });
      await row.waitFor({ state: 'detached', timeout: 15_000 });
      await treeItem(page, 'hpc-sandbox').waitFor({ state: 'visible' });
      const status = page.locator('.statusbar-item', { hasText: /HPC/ }).first();
      await eventually('the status bar without the host', () => status.textContent(), (t) => (t ?? '').trim() === 'HPC', 10_000);

      // The setting itself changed (where the extension host reads it): a reload does not bring it back.
      await reloadWindow(page);
      await openView(page, 'Hosts');
      await treeItem(page, 'hpc-sandbox').waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await treeItem(page, 'e2e-extra').count(), 0, 'e2e-extra stays removed after a reload');
      await screenshot(page, 'hosts-remove-2-reloaded');
    },
  );
});
