/**
 * Starts code-server with this extension and the sandbox hosts preconfigured (settings point at
 * the sandbox's generated ssh config and known_hosts, never at ~/.ssh), prints the URL and runs
 * until Ctrl-C. DEMO_PORT picks the port (default 8080).
 */
import * as path from 'node:path';
import { startCodeServer } from '../test/e2e/harness';
import { repoRoot, sandbox } from '../test/support/sandbox';

async function main(): Promise<void> {
  const d = sandbox();
  const server = await startCodeServer({
    extensionDevelopmentPath: repoRoot,
    port: Number(process.env.DEMO_PORT ?? 8080),
    timeoutMs: 120_000,
    settings: {
      'remoteHpc.sshConfigFile': d.sshConfig,
      'remoteHpc.knownHostsFile': d.knownHosts,
      'workbench.colorTheme': 'Default Dark Modern',
    },
  });
  const url = server.workbenchUrl();
  console.log(`\nRemote HPC demo is running: ${url}`);
  console.log(`Hosts: hpc-sandbox (key), hpc-sandbox-2fa (key + TOTP: oathtool --totp ${d.totpSecretHex}), hpc-sandbox-jump (ProxyJump).`);
  console.log(`Sandbox password for ${d.user}: see ${path.join(d.sandboxDir, 'details.json')}. Ctrl-C stops code-server; npm run sandbox:stop stops the cluster.\n`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise(() => undefined);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
