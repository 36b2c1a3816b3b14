/**
 * Hostile-remote cases of the RemoteOps implementations against the sandbox: temp files of other
 * users in shared folders, names at the 255-byte limit, names that are not UTF-8, FIFOs.
 * Foreign-owned files are made by this (root) test process directly on the sandbox's disk.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { download } from '../../src/core/remote/transfer';
import { connectDirect, TRANSPORTS } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sh } from '../support/shell';
import { waitUntil } from '../support/wait';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';

const skip = sandboxSkip();

for (const transport of TRANSPORTS)
  for (const kind of ['agent', 'sftp'] as const) {
    describe(`hostile remote over ${kind} (${transport})`, { skip }, () => {
      let conn: { session: Session; close(): void };
      let ops: RemoteOps;
      let work: string;

      before(async () => {
        conn = await connectDirect({ transport });
        ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
        assert.equal(ops.kind, kind);
        work = `${await ops.home()}/rhpc-hard-${kind}-${randomBytes(4).toString('hex')}`;
        await ops.mkdir(work);
      });

      after(async () => {
        await sh(conn.session, 'rm -rf -- "$1"', work).catch(() => undefined);
        ops.dispose();
        conn.close();
      });

      test('a 255-byte name can be saved (temp name has a fixed length)', async () => {
        const path = `${work}/${'n'.repeat(251)}.txt`;
        await ops.writeFileAtomic(path, Buffer.from('long name\n'));
        assert.equal((await ops.readFile(path)).toString(), 'long name\n');
        await ops.writeFileAtomic(path, Buffer.from('again\n'));
        assert.equal(await sh(conn.session, 'cat -- "$1"', path), 'again\n');
      });

      test('a FIFO is never opened: reading or saving it is refused, the session keeps working', { timeout: 20_000 }, async () => {
        const fifo = `${work}/pipe`;
        await sh(conn.session, 'mkfifo -- "$1" && ln -s pipe -- "$2"', fifo, `${work}/pipe-link`);
        for (const p of [fifo, `${work}/pipe-link`]) {
          await assert.rejects(ops.readFile(p), /not a regular file|FIFO/i);
          await assert.rejects(ops.writeFileAtomic(p, Buffer.from('x')), /not a regular file|FIFO/i);
        }
        const err = await new Promise<Error>((resolve) => {
          const f = ops.follow(fifo, { onData: () => undefined, onError: (e) => (f.dispose(), resolve(e)) });
        });
        assert.match(err.message, /not a regular file|FIFO/i);
        assert.equal((await sh(conn.session, 'if [ -p "$1" ]; then echo fifo; fi', fifo)).trim(), 'fifo');
        const names = (await ops.list(work)).entries.map((e) => e.name);
        assert.ok(names.includes('pipe'));
        await ops.writeFileAtomic(`${work}/after.txt`, Buffer.from('ok'));
        assert.equal((await ops.readFile(`${work}/after.txt`)).toString(), 'ok');
      });

      // The agent keeps names as bytes (remoteName.ts); over SFTP such names are refused.
      if (kind === 'sftp') test('a name that is not UTF-8 never reaches its U+FFFD twin', async () => {
        const dir = `${work}/utf`;
        await ops.mkdir(dir);
        // bad\xff.txt and its twin bad\uFFFD.txt (valid UTF-8: EF BF BD).
        await sh(conn.session, 'cd -- "$1" && printf bad > "$(printf "bad\\377.txt")" && printf twin > "$(printf "bad\\357\\277\\275.txt")" && printf ok > ok.txt', dir);
        const entries = (await ops.list(dir)).entries;
        const lossy = entries.filter((e) => e.name.includes('\uFFFD'));
        assert.equal(lossy.length, 2);
        assert.ok(lossy.every((e) => e.unaddressable));
        const twin = `${dir}/bad\uFFFD.txt`;
        await assert.rejects(ops.readFile(twin), /not valid UTF-8/);
        await assert.rejects(ops.writeFileAtomic(twin, Buffer.from('overwritten')), /not valid UTF-8/);
        await assert.rejects(ops.remove(twin), /not valid UTF-8/);
        await assert.rejects(ops.rename(`${dir}/ok.txt`, twin), /not valid UTF-8/);
        assert.equal(await sh(conn.session, 'cat -- "$1/$(printf "bad\\357\\277\\275.txt")"', dir), 'twin');
        assert.equal(await sh(conn.session, 'cat -- "$1/$(printf "bad\\377.txt")"', dir), 'bad');
        const local = mkdtempSync(join(tmpdir(), 'rhpc-utf-'));
        try {
          mkdirSync(join(local, 'utf'));
          const res = await download(conn.session, dir, join(local, 'utf'));
          assert.equal(readFileSync(join(local, 'utf', 'ok.txt'), 'utf8'), 'ok');
          assert.equal(res.skipped?.filter((n) => /not valid UTF-8/.test(n)).length, 2, JSON.stringify(res.skipped));
          assert.deepEqual(readdirSync(join(local, 'utf')), ['ok.txt']);
        } finally {
          rmSync(local, { recursive: true, force: true });
        }
      });

      if (kind === 'sftp') test('paging a big folder reads it once: later pages come from the first read', async () => {
        const dir = `${work}/many`;
        await ops.mkdir(dir);
        await sh(conn.session, 'cd -- "$1" && i=0; while [ $i -lt 1200 ]; do : > "f$i"; i=$((i+1)); done', dir);
        const first = await ops.list(dir, { offset: 0, limit: 500 });
        assert.equal(first.total, 1200);
        await sh(conn.session, ': > "$1/added-behind-our-back"', dir);
        const second = await ops.list(dir, { offset: 500, limit: 500 });
        assert.equal(second.total, 1200, 'the second page is served from the snapshot, not a new read');
        const third = await ops.list(dir, { offset: 1000, limit: 500 });
        const names = [...first.entries, ...second.entries, ...third.entries].map((e) => e.name);
        assert.equal(new Set(names).size, 1200);
        assert.equal((await ops.list(dir, { offset: 0, limit: 500 })).total, 1201, 'a first page reads the folder again');
      });

      test('stale temp files: only our own, with our exact naming, are deleted', async () => {
        assert.equal(process.getuid?.(), 0, 'this test makes files of another user: run it as root');
        const shared = `${work}/shared`;
        await ops.mkdir(shared);
        await sh(conn.session, 'chmod 777 -- "$1"', shared); // shared, not sticky
        const old = (Date.now() - 2 * 3600_000) / 1000;
        const mine = `.remote-hpc-${'a'.repeat(16)}.tmp`;
        const foreign = `.remote-hpc-${'b'.repeat(16)}.tmp`;
        const legacy = '.x.txt.remote-hpc-0123abcd.tmp';
        await sh(conn.session, 'cd -- "$1" && printf m > "$2" && printf l > "$3" && touch -d "2 hours ago" -- "$2" "$3"', shared, mine, legacy);
        writeFileSync(`${shared}/${foreign}`, 'theirs');
        chownSync(`${shared}/${foreign}`, 0, 0);
        chmodSync(`${shared}/${foreign}`, 0o666);
        utimesSync(`${shared}/${foreign}`, old, old);
        const listed = (await ops.list(shared)).entries.map((e) => e.name);
        assert.deepEqual(listed, [], 'temp files are hidden');
        // SFTP cleans up while listing, the agent when saving into the folder: both paths run here.
        await ops.writeFileAtomic(`${shared}/note.txt`, Buffer.from('n'));
        const gone = (n: string) => waitUntil(`${n} removed`, () => !existsSync(`${shared}/${n}`), 2500).then(() => true, () => false);
        assert.ok(await gone(mine), 'our own stale temp file is removed');
        assert.ok(existsSync(`${shared}/${foreign}`), "another user's file is never deleted");
        assert.ok(existsSync(`${shared}/${legacy}`), 'legacy-named temp files are never deleted');
      });
    });
  }
