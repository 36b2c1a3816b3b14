/**
 * Fetch Outputs' core (src/core/jobs/fetchFiles.ts + expandOutputs) against the sandbox, over
 * the agent and the SFTP fallback: a job folder holding links to a secret folder, to /etc and to
 * itself, and a file whose name holds Windows separators. Folder links leaving the job folder
 * and loops are not followed (and are reported); links inside it are (once per real folder); every local file stays
 * in the chosen folder.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { connectDirect, sandboxAvailable } from '../support/sandbox';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import { fetchFile, planOutputs, remoteLister, remoteRealpaths } from '../../src/core/jobs/fetchFiles';
import { expandOutputs } from '../../src/core/jobs/outputGlob';
import type { RemoteOps } from '../../src/core/remote/types';
import type { ClientSession } from '../../src/core/ssh/session';

const skip = sandboxAvailable() ? false : 'sandbox not running (npm run sandbox:start)';

function listLocal(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

for (const kind of ['agent', 'sftp'] as const) {
  describe(`Fetch Outputs over ${kind}: folder links`, { skip }, () => {
    let conn: { session: ClientSession; close(): void };
    let ops: RemoteOps;
    let base: string;
    let job: string;
    let local: string;

    before(async () => {
      conn = await connectDirect();
      ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
      base = `${await ops.home()}/rhpc-fetch-${kind}-${randomBytes(4).toString('hex')}`;
      job = `${base}/job`;
      const script = [
        'set -e',
        'mkdir -p "$1/job/sub" "$1/secret"',
        'echo key > "$1/secret/authorized_keys"',
        'echo out > "$1/job/out.txt"',
        'echo data > "$1/job/sub/data.txt"',
        'printf evil > "$1/job/..\\\\..\\\\evil.bat"',
        'ln -s "$1/secret" "$1/job/x"',
        'ln -s /etc "$1/job/etc"',
        'ln -s . "$1/job/loop"',
        'ln -s ../job/sub "$1/job/inner"',
        'ln -s "$1/secret/authorized_keys" "$1/job/keyfile"',
      ].join('\n');
      const r = await conn.session.exec(['sh', '-c', script, 'sh', base]);
      assert.equal(r.code, 0, r.stderr.toString());
      local = mkdtempSync(join(tmpdir(), `rhpc-fetch-${kind}-`));
    });

    after(async () => {
      await conn.session.exec(['rm', '-rf', '--', base]).catch(() => undefined);
      rmSync(local, { recursive: true, force: true });
      ops.dispose();
      conn.close();
    });

    test('realpath on the cluster: resolved, null where missing, answers aligned', async () => {
      assert.deepEqual(await remoteRealpaths(ops, [`${job}/loop`, `${job}/nope`, `${job}/inner`]), [job, null, `${job}/sub`]);
    });

    test('declared outputs "**" and "." take the job folder, not what its links point at', async () => {
      for (const pattern of ['**', '.']) {
        const r = await planOutputs(ops, job, [pattern]);
        const got = r.files.map((f) => f.relative.replace(/^\.\//, '')).sort();
        assert.ok(!got.some((f) => /^(x|etc|loop)\//.test(f) || f.includes('authorized_keys')), `${pattern}: ${got.join(', ')}`);
        assert.ok(got.includes('out.txt') && got.includes('sub/data.txt') && got.includes('keyfile'), `${pattern}: ${got.join(', ')}`);
        assert.ok(got.length < 10, `${pattern}: ${got.length} files`);
        const why = r.skipped.join('\n');
        assert.match(why, /\/x: a link to a folder outside/);
        assert.match(why, /\/etc: a link to a folder outside/);
        assert.match(why, /\/loop: .* already fetched/);
        assert.match(why, /\/inner: .*\/sub was already fetched/); // a link inside: followed, but sub is walked once
      }
    });

    test('a declared output that is itself a link out of the job folder is refused', async () => {
      const r = await planOutputs(ops, job, ['x', 'etc/*']);
      assert.deepEqual(r.files, []);
      assert.equal(r.skipped.length, 2, r.skipped.join('\n'));
    });

    test('"A folder on the cluster": the whole job folder fetched into the chosen local folder, nothing outside', async () => {
      const r = await expandOutputs('/', [job], remoteLister(ops));
      for (const f of r.files) await fetchFile(ops, f.remote, local, f.relative);
      const files = listLocal(local);
      assert.deepEqual(files, ['job/..%5C..%5Cevil.bat', 'job/keyfile', 'job/out.txt', 'job/sub/data.txt']);
      assert.equal(readFileSync(join(local, 'job', '..%5C..%5Cevil.bat'), 'utf8'), 'evil');
      assert.ok(r.skipped.some((s) => s.includes('/etc')));
    });
  });
}
