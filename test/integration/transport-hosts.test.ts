/**
 * The hosts only OpenSSH can log into, through the product's own connector with `auto` and no
 * settings changed: a certificate-only sshd, a Kerberos (GSSAPI-only) sshd and a host behind a
 * ProxyCommand. Each is chosen for OpenSSH with the reason the Hosts view shows, logs in with
 * no question asked, and serves the agent's listing; ssh2 forced onto the certificate host is
 * refused, which is why auto does not pick it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox, type SandboxDetails } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { recordingPrompter } from '../support/sshKit';
import { transportConnector } from '../../src/core/ssh/transportConnector';
import type { TransportSetting } from '../../src/core/ssh/transportChoice';
import { HostDirectory, SshConfig } from '../../src/core/ssh/sshConfig';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import type { SshError } from '../../src/core/ssh/errors';

const skip = sandboxSkip();

describe('certificate, Kerberos and ProxyCommand hosts over the OpenSSH transport (auto)', { skip }, () => {
  let d: SandboxDetails;
  let runtime: string;
  const saved: Record<string, string | undefined> = {};

  before(() => {
    d = sandbox();
    if (!d.sshHosts || !d.kerberos || !d.certificate) throw new Error('The sandbox predates the auth hosts: run scripts/sandbox/start.sh');
    runtime = mkdtempSync(join(tmpdir(), 'rhpc-th-'));
    // What a user who ran `kinit` has in their environment.
    for (const [k, v] of Object.entries(d.kerberos.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(runtime, { recursive: true, force: true });
  });

  async function connector(setting: TransportSetting) {
    const config = await SshConfig.load(d.sshConfig, { systemConfigFile: null });
    const dir = new HostDirectory(config);
    const chosen: Record<string, string> = {};
    const prompter = recordingPrompter();
    const connect = transportConnector({
      prompter,
      resolve: (a) => dir.resolve(a),
      sshConfig: config,
      settingsHost: () => undefined,
      transportFor: () => setting,
      configFile: d.sshConfig,
      runtimeDir: runtime,
      knownHostsFiles: [d.knownHosts],
      onChosen: (a, t) => (chosen[a] = `${t.kind}: ${t.reason}`),
    });
    return { connect, chosen, prompter };
  }

  for (const [key, reason] of [
    ['cert', 'openssh: needs CertificateFile'],
    ['kerberos', 'openssh: needs GSSAPI (Kerberos)'],
    ['proxyCommand', 'openssh: needs ProxyCommand'],
  ] as const) {
    test(`${key}: chosen for OpenSSH, logs in with no question, the agent lists home`, async () => {
      const alias = d.sshHosts![key];
      const { connect, chosen, prompter } = await connector('auto');
      const conn = await connect(alias, { signal: new AbortController().signal, explicit: true });
      try {
        assert.equal(chosen[alias], reason);
        assert.deepEqual(prompter.asked, []);
        const ops = await openRemote(conn.session, silentLogger);
        try {
          assert.equal(ops.kind, 'agent');
          const home = await ops.home();
          assert.equal(home, `/home/${d.user}`);
          const list = await ops.list(home);
          assert.ok(list.entries.some((e) => e.name === 'fixtures'), 'home lists the fixtures folder');
        } finally {
          ops.dispose();
        }
      } finally {
        conn.close();
      }
    });
  }

  test('ssh2 forced onto the certificate-only host is refused (what auto avoids)', async () => {
    const { connect } = await connector('ssh2');
    const err = (await connect(d.sshHosts!.cert, { signal: new AbortController().signal, explicit: true }).then(
      (c) => (c.close(), undefined),
      (e: unknown) => e,
    )) as SshError | undefined;
    assert.equal(err?.kind, 'auth-failed');
  });
});
