/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * A frozen link, end to end: the sandbox host is reached through a TCP proxy that freezes (bytes
 * vanish, nothing closes) and then refuses new connections for a while. Within seconds of the
 * explorer waiting on it, the Hosts view, the Remote Explorer and the status bar say the
 * connection was lost and is being reopened; the host never disappears; once the network is
 * back it reconnects by itself and the folders that were expanded are still expanded, and an
 * editor left with unsaved edits through it keeps them and saves them once, whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { connectAndOpenHome, openFromTree, paneRow, repoRoot, screenshot, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { LatencyProxy } from '../../bench/latency-proxy';

const HOST = 'hpc-flaky';

test('a frozen link: "connection lost — reconnecting" within seconds, the host stays, it comes back expanded, unsaved edits kept', { skip: e2eSkip(), timeout: 240_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-reconnect-${process.pid}-${Date.now().toString(36)}`;
  const ssh = (script: string) => execFileSync('ssh', ['-F', d.sshConfig, '-o', 'BatchMode=yes', 'hpc-sandbox', script], { encoding: 'utf8', timeout: 30_000 });
  ssh(`mkdir -p ~/${dir}/inner && touch ~/${dir}/kept.txt ~/${dir}/inner/deep.txt`);
  const proxy = new LatencyProxy({ targetPort: d.port });
  const port = await proxy.start();
  const tmp = mkdtempSync(join(tmpdir(), 'rhpc-e2e-reconnect-'));
  const knownHosts = join(tmp, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${d.hostKey}\n`);
  const config = join(tmp, 'ssh_config');
  // ServerAliveInterval 300: the SSH keepalives alone would take 15 minutes to notice.
  writeFileSync(
    config,
    [`Host ${HOST}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${d.user}`, `  IdentityFile ${d.key}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${knownHosts}`, '  StrictHostKeyChecking yes', '  ServerAliveInterval 300', ''].join('\n'),
  );
  try {
    await withWorkbench(
      {
        name: 'reconnect',
        extensionDevelopmentPath: repoRoot(),
        settings: { 'remoteHpc.sshConfigFile': config, 'remoteHpc.knownHostsFile': knownHosts, 'remoteHpc.explorer.showHiddenFiles': false, 'files.autoSave': 'off' },
      },
      async ({ page }) => {
        await connectAndOpenHome(page, HOST);
        const ours = paneRow(page, 'Remote Explorer', dir);
        await ours.waitFor({ state: 'visible', timeout: 30_000 });
        await ours.click();
        await paneRow(page, 'Remote Explorer', 'kept.txt').waitFor({ state: 'visible', timeout: 30_000 });

        // An editor with unsaved edits when the link goes.
        const edit = `edited before the freeze ${process.pid}`;
        await openFromTree(page, paneRow(page, 'Remote Explorer', 'kept.txt'), 'kept.txt');
        const editor = page.locator('.editor-instance .monaco-editor').first();
        await editor.locator('.view-lines').click();
        await page.keyboard.type(edit);
        await editor.locator('.view-lines', { hasText: edit }).waitFor({ state: 'visible', timeout: 30_000 });
        const dirtyTab = page.locator('.tabs-container .tab.dirty', { hasText: 'kept.txt' });
        await dirtyTab.waitFor({ state: 'visible', timeout: 30_000 });

        // The link freezes and new connections are refused: the next wait on it is noticed.
        proxy.freezeAll();
        proxy.refuseNew = true;
        const frozenAt = Date.now();
        await paneRow(page, 'Remote Explorer', 'inner').click();
        const hostsRow = paneRow(page, 'Hosts', HOST);
        await hostsRow.locator('.label-description', { hasText: 'connection lost, reconnecting' }).waitFor({ timeout: 60_000 });
        const noticedS = (Date.now() - frozenAt) / 1000;
        await paneRow(page, 'Remote Explorer', HOST).locator('.label-description', { hasText: 'connection lost — reconnecting' }).waitFor({ timeout: 10_000 });
        await page.locator('.statusbar-item', { hasText: `HPC: ${HOST} — reconnecting` }).waitFor({ timeout: 10_000 });
        assert.ok(noticedS < 40, `noticed after ${noticedS.toFixed(1)} s`);
        await screenshot(page, 'reconnect-1-lost');
        assert.ok(await paneRow(page, 'Remote Explorer', 'kept.txt').isVisible(), 'the tree is kept while reconnecting');

        // The network is back: it reconnects by itself; what was expanded stays expanded.
        proxy.refuseNew = false;
        await hostsRow.locator('.label-description', { hasText: /— connected$/ }).waitFor({ timeout: 60_000 });
        await paneRow(page, 'Remote Explorer', 'deep.txt').waitFor({ state: 'visible', timeout: 30_000 });
        assert.equal(await ours.getAttribute('aria-expanded'), 'true');
        assert.ok(await paneRow(page, 'Remote Explorer', 'kept.txt').isVisible());
        assert.equal(await paneRow(page, 'Remote Explorer', HOST).locator('.label-description', { hasText: 'connection lost' }).count(), 0);
        await page.locator('.statusbar-item', { hasText: `HPC: ${HOST}` }).filter({ hasNotText: 'reconnecting' }).waitFor({ timeout: 10_000 });
        await screenshot(page, 'reconnect-2-back');

        // The edits lived through it, unsaved; saved now, they reach the host once and whole.
        assert.ok(await dirtyTab.isVisible(), 'the editor still has its unsaved edits');
        await editor.locator('.view-lines', { hasText: edit }).waitFor({ state: 'visible', timeout: 5_000 });
        await editor.locator('.view-lines').click();
        await page.keyboard.press('Control+S');
        await dirtyTab.waitFor({ state: 'detached', timeout: 30_000 });
        assert.equal(ssh(`cat ~/${dir}/kept.txt`), edit);
        console.log(`# frozen link noticed after ${noticedS.toFixed(1)} s`);
      },
    );
  } finally {
    await proxy.close();
    rmSync(tmp, { recursive: true, force: true });
    try {
      ssh(`rm -rf ~/${dir}`);
    } catch {
      /* the sandbox may be gone */
    }
  }
});
