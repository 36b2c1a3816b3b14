// @ts-check
/**
 * A second extension for test/e2e/api.e2e.test.ts: uses Remote HPC only through what its
 * activate() returns (src/api.ts), as any other extension would, and records the answers (and
 * the exit codes of tasks that end) as JSON in the file named by RHPC_API_CLIENT_OUT.
 * Host and scripts come from RHPC_API_CLIENT_HOST, _SCRIPT (a failing job) and _LONG (a long one).
 */
const vscode = require('vscode');
const fs = require('node:fs');

/** @param {string} key @param {unknown} value */
function record(key, value) {
  const out = /** @type {string} */ (process.env.RHPC_API_CLIENT_OUT);
  const now = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : {};
  now[key] = value;
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(now));
  fs.renameSync(`${out}.tmp`, out);
}

/** @param {vscode.ExtensionContext} context */
exports.activate = (context) => {
  context.subscriptions.push(
    vscode.tasks.onDidEndTaskProcess((e) => record(`task:${e.execution.task.name}`, e.exitCode ?? null)),
    vscode.commands.registerCommand('rhpcApiClient.run', async () => {
      try {
        const ext = vscode.extensions.getExtension('remote-hpc.remote-hpc');
        if (!ext) throw new Error('Remote HPC is not installed');
        /** @type {import('../../../src/api').RemoteHpcApi} */
        const api = await ext.activate();
        const host = /** @type {string} */ (process.env.RHPC_API_CLIENT_HOST);
        const t0 = Date.now();
        /** @type {Record<string, number>} */
        const times = {};
        const mark = (/** @type {string} */ what) => (times[what] = (Date.now() - t0) / 1000);
        let changes = 0;
        const sub = api.onDidChangeJobs(() => changes++);
        const ref = await api.submit({ host, script: /** @type {string} */ (process.env.RHPC_API_CLIENT_SCRIPT), options: { name: 'api-client', time: '2' } });
        mark('submitted');
        const result = await api.wait(ref);
        mark('waited');
        const listed = api.list(host).some((j) => j.id === ref.id);
        const long = await api.submit({ host, script: /** @type {string} */ (process.env.RHPC_API_CLIENT_LONG), options: { time: '5' } });
        const cts = new vscode.CancellationTokenSource();
        const stopped = api.wait(long, { token: cts.token }).then(() => 'resolved', (e) => `rejected: ${e && e.name}`);
        cts.cancel();
        const waitCancelled = await stopped;
        await api.cancel(long);
        mark('cancelled');
        sub.dispose();
        let badOptions = '';
        await api.submit({ host, script: '/x.sh', options: /** @type {any} */ ({ colour: 'red' }) }).catch((e) => (badOptions = String(e.message)));
        record('api', { times, version: api.version, ref, result, listed, changes, waitCancelled, long, badOptions });
      } catch (e) {
        record('error', String((e && e.stack) || e));
      }
    }),
  );
};
