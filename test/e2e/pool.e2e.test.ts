/**
 * The glimpse example end to end (issue 12): 30 jobs (3 kinds × repeat 10) over the sandbox's three
 * pool hosts × 2 slots from a `.pool.json` with one command (Run on Pool…), the pool in the Jobs
 * view with its hosts' slot states, a window reload mid-run, reattached once a pool host is
 * connected again, and every output arriving on the hosts, no job launched twice.
 *
 * Needs the sandbox (with its pool hosts), the e2e toolchain and a built extension (node esbuild.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerFileDialog, eventually, jobsItem, openView, pickQuickPickItem, reloadWindow, repoRoot, runCommand, screenshot, waitForNotification, withWorkbench } from './harness';
import { collapseOtherPanes } from './jobsKit';
import { e2eSkip, firstSkip, sandboxPoolSkip } from '../support/prerequisites';
import { sandbox } from '../support/sandbox';

const skip = firstSkip(sandboxPoolSkip(), e2eSkip());

function poolSsh(script: string): string {
  return execFileSync('ssh', ['-F', sandbox().sshConfig, '-o', 'BatchMode=yes', 'hpc-pool-1', script], { encoding: 'utf8', timeout: 30_000 });
}

test('pool: the glimpse example from a .pool.json, 30 jobs over 3 hosts, reattached after a reload, every output back', { skip, timeout: 300_000 }, async () => {
  const d = sandbox();
  const token = `e2e-pool-${process.pid}-${Date.now().toString(36)}`;
  const folder = mkdtempSync(join(tmpdir(), 'rhpc-e2e-pool-'));
  const list = join(folder, 'glimpse.pool.json');
  writeFileSync(join(folder, 'input.txt'), `${token}\n`);
  writeFileSync(
    list,
    JSON.stringify({
      pool: 'sandbox',
      name: token,
      repeat: 10,
      jobs: ['edges', 'filters', 'svm'].map((k) => ({ name: k, commands: ['bash', '-c', 'sleep 4; echo "$1 $RHPC_POOL_JOB $RHPC_POOL_REPEAT"; cat input.txt', k, k], files: ['input.txt'] })),
    }),
  );
  // The run's folders on the hosts (all three share this machine's $HOME): found by the token in their input.
  const count = (what: 'stdout' | 'launched' | 'retried') =>
    Number(
      poolSsh(
        what === 'stdout'
          ? `grep -l -s -F ${token} ~/.remote-hpc/pool/*/*/*/stdout | wc -l`
          : what === 'launched'
            ? `grep -l -s -F ${token} ~/.remote-hpc/pool/*/*/*/work/input.txt | wc -l`
            : `grep -l -s -F ${token} ~/.remote-hpc/pool/*/*/2/work/input.txt | wc -l`,
      ).trim(),
    );
  try {
    await withWorkbench(
      {
        name: 'pool',
        extensionDevelopmentPath: repoRoot(),
        workspaceFolder: folder,
        settings: {
          'remoteHpc.sshConfigFile': d.sshConfig,
          'remoteHpc.knownHostsFile': d.knownHosts,
          'remoteHpc.jobs.pollIntervalSeconds': 5,
          'remoteHpc.pools': { sandbox: { hosts: ['hpc-pool-1', 'hpc-pool-2', 'hpc-pool-3'], slotsPerHost: 2 } },
        },
      },
      async ({ page }) => {
        await openView(page, 'Jobs');
        await runCommand(page, 'Remote HPC: Run on Pool…');
        await answerFileDialog(page, list);
        await waitForNotification(page, new RegExp(`Pool sandbox: run ${token} started \\(30 jobs\\)`), 60_000);
        await collapseOtherPanes(page);
        // The pool in the Jobs view, a line per host with its slots.
        await jobsItem(page, /^pool:sandbox$/).waitFor({ state: 'visible', timeout: 30_000 });
        await jobsItem(page, /^hpc-pool-2 — (busy|free|done) · slots: /).waitFor({ state: 'visible', timeout: 30_000 });
        await eventually('jobs launched', () => count('launched'), (n) => n >= 6, 30_000);
        await screenshot(page, 'pool-1-running');

        // VS Code goes away mid-run (sessions close with it); reconnecting a pool host brings the run back.
        assert.ok(count('stdout') < 30, 'the run was still going at the reload');
        await reloadWindow(page);
        await openView(page, 'Hosts');
        await runCommand(page, 'Remote HPC: Connect');
        await pickQuickPickItem(page, 'hpc-pool-1');
        await openView(page, 'Jobs');
        await collapseOtherPanes(page);
        await jobsItem(page, /^pool:sandbox$/).waitFor({ state: 'visible', timeout: 60_000 });
        await eventually('all 30 outputs', () => count('stdout'), (n) => n === 30, 150_000);
        await jobsItem(page, /^hpc-pool-1 — done/).waitFor({ state: 'visible', timeout: 30_000 });
        await screenshot(page, 'pool-2-done');
      },
    );
    assert.equal(count('retried'), 0, 'no job launched twice');
    const outs = poolSsh(`for f in $(grep -l -s -F ${token} ~/.remote-hpc/pool/*/*/*/stdout); do head -1 "$f"; done | sort`).trim().split('\n');
    assert.equal(outs.length, 30);
    for (const k of ['edges', 'filters', 'svm']) assert.equal(outs.filter((l) => l.startsWith(`${k} `)).length, 10, k);
    assert.equal(new Set(outs.map((l) => l.split(' ')[1])).size, 30, 'thirty distinct jobs');
  } finally {
    try {
      poolSsh(`for f in $(grep -l -s -F ${token} ~/.remote-hpc/pool/*/*/*/work/input.txt); do echo "\${f%/*/*/*/*}"; done | sort -u | xargs -r rm -rf --`);
    } catch {
      /* the sandbox may be gone */
    }
    rmSync(folder, { recursive: true, force: true });
  }
});
