/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * The OpenSSH transport end to end: from the Hosts view in code-server, with no setting about
 * transports, the certificate-only and the Kerberos sandbox hosts connect (auto picks OpenSSH
 * and the row says so), and their home folder lists in the Remote Explorer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectAndOpenHome, eventually, paneRow, repoRoot, screenshot, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

for (const key of ['cert', 'kerberos'] as const) {
  test(`connects to the ${key} host from the Hosts view over OpenSSH and lists its home`, { skip: e2eSkip(), timeout: 180_000 }, async () => {
    const d = sandbox();
    if (!d.sshHosts || !d.kerberos) throw new Error('The sandbox predates the auth hosts: run scripts/sandbox/start.sh');
    const alias = d.sshHosts[key];
    await withWorkbench(
      {
        name: `transport-${key}`,
        extensionDevelopmentPath: repoRoot(),
        settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts },
        // A user who ran `kinit` (the cert host needs nothing: the certificate file is in the config).
        ...(key === 'kerberos' ? { env: d.kerberos.env } : {}),
      },
      async ({ page }) => {
        await connectAndOpenHome(page, alias);
        await paneRow(page, 'Remote Explorer', 'fixtures').waitFor({ state: 'visible', timeout: 30_000 });
        const row = paneRow(page, 'Hosts', alias);
        // The Hosts view redraws its row on the connect event, which may come a moment after the listing.
        const description = await eventually('the Hosts row says how it is connected', async () => (await row.locator('.label-description').textContent()) ?? '', (t) => /connected/.test(t), 10_000);
        assert.match(description, /connected · OpenSSH/);
        await screenshot(page, `transport-${key}`);
      },
    );
  });
}
