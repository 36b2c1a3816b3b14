/**
 * Content search on the sandbox, over the agent and over the SFTP fallback: a job log over the
 * 10 MB limit (with a match) is reported as skipped, not silently left out, and "search these too"
 * (maxFileSize null) finds the match in it; a folder without permission (chmod 000) and an
 * unreadable file are reported as such; a root folder without permission rejects instead of
 * answering "no matches"; literal text by default, the Aa and .* toggles on both paths.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectDirect, TRANSPORTS } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sh } from '../support/shell';
import { openRemote } from '../../src/core/remote/openRemote';
import { classifyRemoteError } from '../../src/core/remote/errors';
import { silentLogger } from '../../src/core/log';
import { SEARCH_MAX_FILE_SIZE } from '../../src/core/remote/search';
import type { RemoteOps, SearchResult } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';

const skip = sandboxSkip();
/** The big log: 16-byte progress lines to just over the limit, then the line we look for. */
const BIG_LINES = SEARCH_MAX_FILE_SIZE / 16;
const BIG_SIZE = SEARCH_MAX_FILE_SIZE + 'ERROR a.b at the end\n'.length;

for (const transport of TRANSPORTS)
  for (const kind of ['agent', 'sftp'] as const) {
    describe(`content search over ${kind}: skipped files, permissions, toggles (${transport})`, { skip }, () => {
      let conn: { session: Session; close(): void };
      let ops: RemoteOps;
      let dir: string;

      before(async () => {
        conn = await connectDirect({ transport });
        ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
        assert.equal(ops.kind, kind);
        dir = `${await ops.home()}/rhpc-it-search-${kind}-${randomBytes(4).toString('hex')}`;
        await sh(
          conn.session,
          [
            'mkdir -p "$1/logs" "$1/locked" "$1/open dir"',
            'printf "value a.b here\\nvalue aXb here\\nA.B upper\\n" > "$1/open dir/notes.txt"',
            'yes "progress 42.00%" | head -n "$2" > "$1/logs/job 1.out" && printf "ERROR a.b at the end\\n" >> "$1/logs/job 1.out"',
            'printf "\\000\\000a.b\\n" > "$1/core.bin"',
            'printf "a.b secret\\n" > "$1/locked/inside.txt" && chmod 000 "$1/locked"',
            'printf "a.b private\\n" > "$1/private.txt" && chmod 000 "$1/private.txt"',
          ].join(' && '),
          dir,
          String(BIG_LINES),
        );
      });

      after(async () => {
        await sh(conn.session, 'chmod -R u+rwx "$1"; rm -rf -- "$1"', dir).catch(() => undefined);
        ops.dispose();
        conn.close();
      });

      const rel = (r: SearchResult) => r.matches.map((m) => `${m.path.slice(dir.length + 1)}:${m.line}`);
      const skips = (r: SearchResult) => r.skipped.map((s) => [s.path.slice(dir.length + 1), s.reason, s.folder ?? false]).sort();

      test('a file over the size limit, a binary file, a locked folder and an unreadable file are reported, not silently skipped', async () => {
        const r = await ops.search(dir, { contentPattern: 'a.b' });
        assert.deepEqual(rel(r), ['open dir/notes.txt:1', 'open dir/notes.txt:3']);
        assert.deepEqual(skips(r), [
          ['core.bin', 'binary', false],
          ['locked', 'denied', true],
          ['logs/job 1.out', 'too-big', false],
          ['private.txt', 'denied', false],
        ]);
        assert.equal(r.skipped.find((s) => s.reason === 'too-big')?.size, BIG_SIZE);
        assert.deepEqual(r.skippedCounts, { binary: 1, denied: 2, 'too-big': 1 });
      });

      test('"search these too": the size limit lifted, the match in the big log is found', async () => {
        const r = await ops.search(dir, { contentPattern: 'ERROR a.b', maxFileSize: null });
        assert.deepEqual(rel(r), [`logs/job 1.out:${BIG_LINES + 1}`]);
        assert.equal(r.skippedCounts['too-big'], undefined);
        assert.equal(r.skippedCounts.denied, 2);
      });

      test('nothing found but a locked folder: the report says so (no bare "no matches")', async () => {
        const r = await ops.search(dir, { contentPattern: 'secret' });
        assert.deepEqual(r.matches, []);
        assert.ok(r.skipped.some((s) => s.folder && s.reason === 'denied' && s.path === `${dir}/locked`));
      });

      test('a root folder without permission rejects with no-permission', async () => {
        await assert.rejects(ops.search(`${dir}/locked`, { contentPattern: 'secret' }), (e) => classifyRemoteError(e) === 'no-permission');
      });

      test('literal text by default; Aa matches case; .* reads a regular expression', async () => {
        const notes = `${dir}/open dir`;
        assert.deepEqual(rel(await ops.search(notes, { contentPattern: 'a.b' })), ['open dir/notes.txt:1', 'open dir/notes.txt:3']);
        assert.deepEqual(rel(await ops.search(notes, { contentPattern: 'a.b', caseSensitive: true })), ['open dir/notes.txt:1']);
        assert.deepEqual(rel(await ops.search(notes, { contentPattern: 'a.b', regex: true })), ['open dir/notes.txt:1', 'open dir/notes.txt:2', 'open dir/notes.txt:3']);
        assert.deepEqual(rel(await ops.search(notes, { contentPattern: 'a.b', regex: true, caseSensitive: true })), ['open dir/notes.txt:1', 'open dir/notes.txt:2']);
        assert.deepEqual(rel(await ops.search(notes, { contentPattern: '(' })), [], 'literal text is never an invalid pattern');
      });
    });
  }
