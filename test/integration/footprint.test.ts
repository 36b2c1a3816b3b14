/**
 * The login-node footprint of one session (issue 14; bench/footprint.ts prints the full table):
 * 3 processes at rest (the connection's two sshd processes and the agent: no sftp-server left
 * behind by the agent's install), the agent idle at 0 % CPU with nothing watched and under 1 %
 * with 10 watched folders, its memory back near its resting size once a big listing's cached
 * names expire, and 3 processes again after a transfer (each has its own SFTP channel, closed).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectDirect, type DirectConnection } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { sessionProcesses } from '../support/sessionProcesses';
import { openRemote } from '../../src/core/remote/openRemote';
import { AgentOps } from '../../src/core/remote/agentOps';
import { silentLogger } from '../../src/core/log';
import { download, upload } from '../../src/core/remote/transfer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const skip = sandboxSkip();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ENTRIES = 60_000;

let probe: DirectConnection;
let conn: DirectConnection;
let ops: AgentOps;
let pid: number;
let base: string;

before(async () => {
  if (skip) return;
  probe = await connectDirect();
  conn = await connectDirect();
  const opened = await openRemote(conn.session, silentLogger);
  assert.ok(opened instanceof AgentOps, 'the agent started');
  ops = opened;
  pid = (await ops.client.request('info', {})).result.pid as number;
  const script = [
    'import os, sys, tempfile',
    'base = tempfile.mkdtemp(prefix="footprint-", dir=os.path.expanduser("~"))',
    'os.mkdir(base + "/big")',
    'for i in range(int(sys.argv[1])): open("%s/big/f%07d.dat" % (base, i), "w").close()',
    'for w in range(10):',
    '    os.mkdir("%s/w%d" % (base, w))',
    '    for i in range(200): open("%s/w%d/f%d" % (base, w, i), "w").close()',
    'print(base)',
  ].join('\n');
  const r = await probe.session.exec(['python3', '-c', script, String(ENTRIES)]);
  assert.equal(r.code, 0, r.stderr.toString());
  base = r.stdout.toString().trim();
});

after(async () => {
  if (skip) return;
  ops?.dispose();
  conn?.close();
  if (base) await probe.session.exec(['rm', '-rf', '--', base]);
  probe?.close();
});

/** The session's processes, and the agent's CPU % over `ms` (from /proc tick counts). */
async function window(ms: number): Promise<{ names: string[]; cpu: number; rssMiB: number }> {
  const a = await sessionProcesses(probe.session, pid);
  const t0 = Date.now();
  await sleep(ms);
  const b = await sessionProcesses(probe.session, pid);
  const seconds = (Date.now() - t0) / 1000;
  const ticks = (s: typeof a) => s.procs.find((p) => p.pid === pid)?.ticks ?? NaN;
  const agent = b.procs.find((p) => p.pid === pid);
  return { names: b.procs.map((p) => p.comm).sort(), cpu: ((ticks(b) - ticks(a)) / b.hz / seconds) * 100, rssMiB: (agent?.rssKiB ?? NaN) / 1024 };
}

test('at rest: 3 processes, agent ≤ 30 MiB and 0 % CPU; 10 watched folders ≤ 1 % CPU; memory returned after a big listing', { skip, timeout: 60_000 }, async () => {
  const rest = await window(3000);
  console.log(`at rest: ${rest.names.length} processes (${rest.names.join(', ')}), agent ${rest.rssMiB.toFixed(1)} MiB, ${rest.cpu.toFixed(2)} % CPU`);
  assert.equal(rest.names.length, 3, `processes at rest: ${rest.names.join(', ')}`);
  assert.ok(!rest.names.includes('sftp-server'), 'no SFTP server kept open by the agent install');
  assert.ok(rest.rssMiB <= 30, `agent RSS at rest ${rest.rssMiB} MiB`);
  assert.ok(rest.cpu <= 0.34, `agent idle CPU ${rest.cpu} % (at most one clock tick in 3 s)`);

  const subs = Array.from({ length: 10 }, (_, w) => ops.watch([`${base}/w${w}`], () => undefined));
  try {
    await sleep(1000);
    const watching = await window(5000);
    console.log(`10 watched folders (200 entries each): agent ${watching.cpu.toFixed(2)} % CPU, ${watching.rssMiB.toFixed(1)} MiB`);
    assert.ok(watching.cpu <= 1, `agent CPU with 10 watched folders: ${watching.cpu} %`);
  } finally {
    for (const s of subs) s.dispose();
  }

  const listed = await ops.list(`${base}/big`);
  assert.equal(listed.total, ENTRIES);
  const peak = (await window(0)).rssMiB;
  // The listing's sorted names are cached 5 s for paging and filtering, then dropped and the heap trimmed.
  await sleep(5600);
  const after = await window(500);
  console.log(`${ENTRIES.toLocaleString('en')}-entry listing: agent ${rest.rssMiB.toFixed(1)} MiB at rest → ${peak.toFixed(1)} MiB with the listing cached → ${after.rssMiB.toFixed(1)} MiB once it expired`);
  assert.ok(after.rssMiB <= 30, `agent RSS after the listing: ${after.rssMiB} MiB`);
  assert.ok(after.rssMiB - rest.rssMiB <= (peak - rest.rssMiB) / 2, `memory not returned: ${rest.rssMiB} → ${peak} → ${after.rssMiB} MiB`);
});

test('after an upload and a download: 3 processes again, no sftp-server left for the session', { skip, timeout: 60_000 }, async () => {
  const local = mkdtempSync(join(tmpdir(), 'footprint-'));
  try {
    writeFileSync(join(local, 'up.bin'), randomBytes(4 << 20));
    await upload(conn.session, join(local, 'up.bin'), `${base}/up.bin`);
    await download(conn.session, `${base}/up.bin`, join(local, 'down.bin'));
    assert.equal(readFileSync(join(local, 'down.bin')).length, 4 << 20);
    // The channel's sftp-server ends a moment after the channel closes.
    let names: string[] = [];
    for (let i = 0; i < 20; i++) {
      names = (await window(0)).names;
      if (names.length === 3) break;
      await sleep(250);
    }
    console.log(`after an upload and a download: ${names.length} processes (${names.join(', ')})`);
    assert.deepEqual(names.filter((n) => n === 'sftp-server'), [], 'no sftp-server kept open after the transfers');
    assert.equal(names.length, 3, `processes after the transfers: ${names.join(', ')}`);
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
});
