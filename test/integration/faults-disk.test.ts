/**
 * The remote disk full (issue 14): the sandbox's 4 MiB tmpfs at .sandbox/full (mounted by
 * scripts/sandbox/full-disk.sh, owned by the sandbox user). A save and an upload that do not fit
 * fail with a message that says the disk is full and names the user's file (not a temp name), the
 * original stays intact and no temp file is left to hold the space. Through the agent and the
 * SFTP fallback. (A quota, EDQUOT, takes the same path; the sandbox has no quota-enabled disk.)
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectDirect, sandbox, type DirectConnection } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { openRemote } from '../../src/core/remote/openRemote';
import { upload } from '../../src/core/remote/transfer';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';

const skip = sandboxSkip();
let full: string;
let conn: DirectConnection;
let local: string;

before(async () => {
  if (skip) return;
  const mount = join(sandbox().sandboxDir, 'full');
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]);
  assert.ok(mounts.includes(mount), `no tmpfs at ${mount}: scripts/sandbox/full-disk.sh mounts it (start.sh does)`);
  conn = await connectDirect();
  const r = await conn.session.exec(['mktemp', '-d', `${mount}/disk-XXXXXX`]);
  assert.equal(r.code, 0, r.stderr.toString());
  full = r.stdout.toString().trim();
  local = mkdtempSync(join(tmpdir(), 'rhpc-disk-'));
});

after(async () => {
  if (skip) return;
  await conn.session.exec(['rm', '-rf', '--', full]);
  conn.close();
  rmSync(local, { recursive: true, force: true });
});

const sh = async (script: string, ...args: string[]) => (await conn.session.exec(['sh', '-c', script, 'sh', ...args])).stdout.toString();
const FULL_RE = /no space left|disk (is )?full|quota/i;

for (const kind of ['agent', 'sftp'] as const) {
  describe(`disk full (${kind})`, { skip }, () => {
    let ops: RemoteOps;
    before(async () => {
      ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
      assert.equal(ops.kind, kind);
    });
    after(() => ops.dispose());

    test('a save that does not fit: a clear message, the original intact, no temp file left', async () => {
      const path = `${full}/${kind}-notes.txt`;
      const original = `original ${randomBytes(8).toString('hex')}\n`.repeat(1000);
      await ops.writeFileAtomic(path, Buffer.from(original));
      const err = await ops.writeFileAtomic(path, randomBytes(6 << 20)).then(
        () => undefined,
        (e: Error) => e,
      );
      const left = (await sh('ls -A -- "$1"', full)).split('\n').filter(Boolean);
      const free = (await sh('df -k --output=avail -- "$1" | tail -1', full)).trim();
      console.log(`disk full, ${kind} save of 6 MiB on a 4 MiB disk: "${err?.message}"; original ${(await sh('cat -- "$1"', path)) === original ? 'intact' : 'CHANGED'}; files left ${left.join(', ')}; ${free} KiB free after`);
      assert.ok(err, 'the save failed');
      assert.match(err.message, FULL_RE);
      assert.doesNotMatch(err.message, /NaN/);
      assert.ok(err.message.includes(path) && !/remote-hpc-[0-9a-f]+\.tmp/.test(err.message), err.message);
      assert.equal(await sh('cat -- "$1"', path), original);
      assert.deepEqual(left.filter((n) => n.startsWith(`${kind}-`) || n.includes('remote-hpc')), [`${kind}-notes.txt`], 'no temp file left holding the space');
      assert.ok(Number(free) > 3000, `the space was given back (${free} KiB free)`);
      await ops.remove(path);
    });
  });
}

test('an upload that does not fit: a clear message, no partial file, the space given back', { skip }, async () => {
  const blob = join(local, 'big.bin');
  writeFileSync(blob, randomBytes(6 << 20));
  const target = `${full}/upload.bin`;
  const err = await upload(conn.session, blob, target).then(
    () => undefined,
    (e: Error) => e,
  );
  const left = (await sh('ls -A -- "$1"', full)).split('\n').filter(Boolean);
  const free = (await sh('df -k --output=avail -- "$1" | tail -1', full)).trim();
  console.log(`disk full, upload of 6 MiB: "${err?.message}"; files left ${left.join(', ') || 'none'}; ${free} KiB free after`);
  assert.ok(err, 'the upload failed');
  assert.match(err.message, FULL_RE);
  assert.doesNotMatch(err.message, /NaN/);
  assert.deepEqual(left, [], 'no partial or temp file');
  assert.ok(Number(free) > 3000, `the space was given back (${free} KiB free)`);
});
