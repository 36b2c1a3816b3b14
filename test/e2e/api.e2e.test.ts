/**
 * The extension API and the `remote-hpc` task type end to end, in code-server against the
 * sandbox's SLURM: a second extension (test/e2e/apiClient, linked beside ours) gets the API from
 * activate() and, while the task runs, submits a failing script, waits for it (FAILED, exit code 5), sees it listed and
 * change events fire; a wait whose token is cancelled rejects while the job goes on; cancel()
 * ends it (CANCELLED in accounting); bad options are refused. First, a tasks.json `remote-hpc` task run
 * from "Tasks: Run Task" ends with the job's exit code (4), as the client's onDidEndTaskProcess
 * sees it.
 *
 * Needs: the sandbox, the e2e toolchain and a built extension (node esbuild.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, pickQuickPickItem, repoRoot, runCommand, screenshot, withWorkbench } from './harness';
import { e2eSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';
import { connectAndShowJobs, HOST, ssh } from './jobsKit';

function readOut(file: string): Record<string, unknown> {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
}

test('API from a second extension, and a tasks.json task failing with its job', { skip: e2eSkip(), timeout: 180_000 }, async () => {
  const d = sandbox();
  const dir = `e2e-api-${process.pid}-${Date.now().toString(36)}`;
  const home = ssh('printf %s "$HOME"');
  ssh(
    `mkdir -p ~/${dir} && cd ~/${dir} && printf '#!/bin/bash\\necho from-api\\nexit 5\\n' > fail.sh && printf '#!/bin/bash\\nsleep 300\\n' > long.sh && printf '#!/bin/bash\\necho from-task\\nexit 4\\n' > task.sh`,
  );
  const local = mkdtempSync(join(tmpdir(), 'rhpc-e2e-api-'));
  const out = join(local, 'out.json');
  const workspace = join(local, 'workspace');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(
    join(workspace, '.vscode', 'tasks.json'),
    JSON.stringify({ version: '2.0.0', tasks: [{ label: 'cluster-fail', type: 'remote-hpc', host: HOST, script: `~/${dir}/task.sh`, options: { time: '2' }, problemMatcher: [] }] }),
  );
  try {
    await withWorkbench(
      {
        name: 'api',
        extensionDevelopmentPath: repoRoot(),
        extraExtensionPaths: [join(repoRoot(), 'test', 'e2e', 'apiClient')],
        workspaceFolder: workspace,
        env: { RHPC_API_CLIENT_OUT: out, RHPC_API_CLIENT_HOST: HOST, RHPC_API_CLIENT_SCRIPT: `${home}/${dir}/fail.sh`, RHPC_API_CLIENT_LONG: `~/${dir}/long.sh` },
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.pollIntervalSeconds': 5,
          'remoteHpc.jobs.defaults': { [HOST]: { partition: 'debug' } },
          'remoteHpc.jobs.notifyStates': [],
        },
      },
      async ({ page }) => {
        await connectAndShowJobs(page);
        // Both at once: the Jobs watcher (6 commands a minute per host) resolves their ends in the same cycles.
        await runCommand(page, 'API Client: Run API Test');
        await runCommand(page, 'Tasks: Run Task');
        await pickQuickPickItem(page, /cluster-fail/);
        const t = Date.now();
        const code = await eventually('the task ended', () => readOut(out)['task:cluster-fail'], (c) => c !== undefined, 60_000);
        console.log(`task ran ${((Date.now() - t) / 1000).toFixed(1)} s`);
        await screenshot(page, 'api-task-ended');
        assert.equal(code, 4, 'the task ends with the job\'s exit code');

        const got = await eventually('the client recorded the API answers', () => readOut(out), (o) => 'api' in o || 'error' in o, 90_000);
        assert.equal(got.error, undefined, String(got.error));
        const api = got.api as {
          version: number;
          ref: { host: string; id: string };
          result: { exitCode: number; ok: boolean; job: { state: string; exitCode?: number; id: string } };
          listed: boolean;
          changes: number;
          waitCancelled: string;
          long: { id: string };
          badOptions: string;
        };
        console.log(`API client: ${JSON.stringify((got.api as { times: unknown }).times)}`);
        assert.equal(api.version, 1);
        assert.equal(api.ref.host, HOST);
        assert.equal(api.result.job.id, api.ref.id);
        assert.equal(api.result.job.state, 'FAILED');
        assert.equal(api.result.job.exitCode, 5);
        assert.deepEqual([api.result.exitCode, api.result.ok], [5, false]);
        assert.ok(api.listed, 'list() has the job');
        assert.ok(api.changes > 0, 'onDidChangeJobs fired');
        assert.match(api.waitCancelled, /^rejected: /, 'a cancelled wait rejects');
        // cancel() is scancel: accounting says so at once (waiting for it through the Jobs watcher is paced at 6 commands a minute).
        const state = await eventually('the long job cancelled', () => ssh(`sacct -n -X -P -o State -j ${api.long.id}`).trim(), (s) => s !== '' && s !== 'PENDING' && s !== 'RUNNING', 20_000);
        assert.match(state, /^CANCELLED/, 'the job went on after the cancelled wait, until cancel()');
        assert.match(api.badOptions, /unknown option "colour"/);
        assert.equal(ssh(`cat ~/${dir}/slurm-${api.ref.id}.out`), 'from-api\n');
      },
    );
  } finally {
    ssh(`scancel --name=long.sh -u "$USER" 2>/dev/null; rm -rf ~/${dir}`);
    rmSync(local, { recursive: true, force: true });
  }
});
