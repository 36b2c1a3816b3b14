/**
 * sandbox-turn: exclusive (tampers with the agent cached on the host, which every session starts).
 * The agent on the sandbox against hostile input: a tampered cached copy, a catastrophic regex
 * (and a session killed under it), FIFOs, 255-byte names, names that are not UTF-8.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectDirect, sandboxAvailable, TRANSPORTS } from '../support/sandbox';
import { openRemote } from '../../src/core/remote/openRemote';
import { installAgent } from '../../src/core/agent/install';
import { silentLogger } from '../../src/core/log';
import type { RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';

const skip = sandboxAvailable() ? false : 'sandbox not running (npm run sandbox:start)';

async function sh(session: Session, script: string, ...args: string[]): Promise<string> {
  const r = await session.exec(['sh', '-c', script, 'sh', ...args]);
  if (r.code !== 0) throw new Error(`sh failed (${r.code}): ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}

async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - t0;
}

for (const transport of TRANSPORTS) {
  describe(`agent hardening on the sandbox (${transport})`, { skip }, () => {
    let conn: { session: Session; close(): void };
    let ops: RemoteOps;
    let work: string;

    before(async () => {
      conn = await connectDirect({ transport });
      ops = await openRemote(conn.session, silentLogger);
      assert.equal(ops.kind, 'agent');
      work = `${await ops.home()}/rhpc-it-hard-${randomBytes(4).toString('hex')}`;
      await ops.mkdir(work);
    });

    after(async () => {
      await sh(conn.session, 'rm -rf -- "$1"', work).catch(() => undefined);
      ops.dispose();
      conn.close();
    });

    test('a tampered cached agent of the same size never runs; it is uploaded again and works', async () => {
      const install = await installAgent(conn.session, silentLogger);
      const marker = `${work}/tampered-ran`;
      // Same size as the real agent, writes a marker when executed.
      await sh(
        conn.session,
        'size=$(wc -c < "$1"); printf "import os; open(\\"%s\\", \\"w\\").close()\\n#" "$2" > "$1.new"; head -c $((size - $(wc -c < "$1.new"))) /dev/zero | tr "\\0" "#" >> "$1.new"; chmod 700 "$1.new"; mv -f "$1.new" "$1"',
        install.path,
        marker,
      );
      assert.equal((await sh(conn.session, 'wc -c < "$1"', install.path)).trim(), String(Buffer.byteLength(readAgent())));
      const c2 = await connectDirect({ transport });
      try {
        let fellBack = '';
        const fresh = await openRemote(c2.session, silentLogger, { onFallback: (reason) => (fellBack = reason) });
        // (It fell back once in a full run; the reason says why, should it again.)
        assert.equal(fresh.kind, 'agent', `fell back to SFTP: ${fellBack}`);
        assert.equal((await fresh.run(['echo', 'ok'])).stdout.toString(), 'ok\n');
        fresh.dispose();
      } finally {
        c2.close();
      }
      assert.deepEqual(await ops.stat([marker]), [null], 'the tampered copy wrote its marker');
      assert.equal((await sh(conn.session, 'sha256sum < "$1"', install.path)).split(' ')[0], install.hash);
    });

    test('a catastrophic regex blocks nothing, cancel stops it, and a killed session leaves no agent behind', async (t) => {
      await sh(conn.session, 'printf "%s\\n" "$2" > "$1/redos.txt"', work, `${'a'.repeat(60)}b`);
      const c2 = await connectDirect({ transport });
      t.after(() => c2.destroy()); // also when an assertion fails before the session is killed
      const ops2 = await openRemote(c2.session, silentLogger);
      assert.equal(ops2.kind, 'agent');
      const tag = randomBytes(4).toString('hex');
      const root = `${work}/redos-${tag}`;
      await ops2.mkdir(root);
      await sh(conn.session, 'cp -- "$1/redos.txt" "$2/"', work, root);
      const ac = new AbortController();
      const s1 = ops2.search(root, { contentPattern: '(a|aa)+$', regex: true, signal: ac.signal });
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      assert.equal((await ops2.stat([root]))[0]?.type, 'directory');
      assert.ok(Date.now() - t0 < 1000, 'other requests are answered during the search');
      ac.abort();
      await assert.rejects(s1, { name: 'CancelledError' });
      ops2.search(root, { contentPattern: '(a|aa)+$', regex: true }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      // The second session's agent (the parent of what it runs) and its search workers; other
      // test files may run agents of their own meanwhile.
      const agent = (await ops2.run(['sh', '-c', 'echo "$PPID"'])).stdout.toString().trim();
      const pids = async () => (await sh(conn.session, '{ ps -o pid= -p "$1"; pgrep -P "$1"; } || true', agent)).trim().split('\n').filter(Boolean);
      const before = (await pids()).length;
      assert.ok(before >= 2, `the second agent and its search worker run (${before})`);
      c2.destroy(); // the SSH connection dies under the search
      const took = await until(async () => (await pids()).length === 0, 10_000, 'the second agent and its worker to exit');
      assert.ok(took < 10_000);
    });

    test('a FIFO is refused, not opened; a 255-byte name saves; a non-UTF-8 name never touches its twin', async () => {
      await sh(conn.session, 'mkfifo "$1/results.csv"', work);
      await assert.rejects(ops.readFile(`${work}/results.csv`), /named pipe/);
      const long = 'n'.repeat(251) + '.txt';
      await ops.writeFileAtomic(`${work}/${long}`, Buffer.from('long'));
      assert.equal(await sh(conn.session, 'cat -- "$1/$2"', work, long), 'long');
      await sh(conn.session, 'printf raw > "$1/$(printf "dup\\377.txt")"; printf twin > "$1/dup\uFFFD.txt"', work);
      const names = (await ops.list(work)).entries.map((e) => e.name);
      assert.ok(names.includes('dup\uDCFF.txt') && names.includes('dup\uFFFD.txt'), names.join(','));
      await ops.writeFileAtomic(`${work}/dup\uDCFF.txt`, Buffer.from('saved'));
      assert.equal(await sh(conn.session, 'cat -- "$1/$(printf "dup\\377.txt")"', work), 'saved');
      await ops.remove(`${work}/dup\uDCFF.txt`);
      assert.equal(await sh(conn.session, 'cat -- "$1/dup\uFFFD.txt"', work), 'twin');
    });
  });
}

function readAgent(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../src/core/agent/install') as typeof import('../../src/core/agent/install')).agentSource();
}
