/**
 * Every RemoteOps operation against the sandbox, through both implementations (agent and SFTP
 * fallback), including the hostile-names fixture; transfers; and the atomic-save fault test
 * (connection cut through bench/latency-proxy.ts in the middle of a 20 MB save).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, TRANSPORTS } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { waitUntil } from '../support/wait';
import { sh } from '../support/shell';
import { openRemote } from '../../src/core/remote/openRemote';
import { classifyRemoteError } from '../../src/core/remote/errors';
import { download, upload, type TransferProgress } from '../../src/core/remote/transfer';
import { silentLogger } from '../../src/core/log';
import { TEMP_RE } from '../../src/core/remote/common';
import type { ChangeEvent, RemoteOps } from '../../src/core/remote/types';
import type { Session } from '../../src/core/ssh/session';
import { LatencyProxy } from '../../bench/latency-proxy';
import { portableName } from '../../src/core/local/localPath';

const skip = sandboxSkip();
const HOSTILE_ARGS = ['$(touch pwned)', '`id`', "it's", 'dq"x', 'a\nb', '*', '-rf', '--help', 'données 数据 🚀', '', '\\', '!bang', '%s %n', '\ttab', ' lead', 'trail '];

/** Names and contents of ~/fixtures/hostile as the fixture generator recorded them. */
async function hostileManifest(session: Session): Promise<Record<string, string>> {
  const m = JSON.parse(await sh(session, 'cat "$HOME/fixtures/manifest.json"')) as { hostile: Record<string, string> };
  return m.hostile;
}

/** The fixture's top-level files only (the manifest also lists files inside its folders). */
function topLevel(manifest: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(manifest).filter(([n]) => !n.includes('/')));
}

for (const transport of TRANSPORTS)
  for (const kind of ['agent', 'sftp'] as const) {
    describe(`RemoteOps over ${kind} (${transport})`, { skip }, () => {
      let conn: { session: Session; close(): void };
      let ops: RemoteOps;
      let home: string;
      let work: string;
      let hostile: Record<string, string>;

      before(async () => {
        conn = await connectDirect({ transport });
        ops = await openRemote(conn.session, silentLogger, { forceFallback: kind === 'sftp' });
        assert.equal(ops.kind, kind);
        home = await ops.home();
        work = `${home}/rhpc-it-${kind}-${randomBytes(4).toString('hex')}`;
        await ops.mkdir(work);
        hostile = topLevel(await hostileManifest(conn.session));
      });

      after(async () => {
        await sh(conn.session, 'rm -rf -- "$1"', work).catch(() => undefined);
        ops.dispose();
        conn.close();
      });

      test('home and getenv (login environment)', async () => {
        assert.equal(home, (await sh(conn.session, 'printf %s "$HOME"')).trim());
        const env = await ops.getenv(['HOME', 'USER', 'NOT_SET_ANYWHERE_42']);
        assert.equal(env.HOME, home);
        assert.equal(env.NOT_SET_ANYWHERE_42, undefined);
      });

      test('list the hostile fixture: every name exact, dirs first, sizes right', async () => {
        const dir = `${home}/fixtures/hostile`;
        const { entries, total } = await ops.list(dir);
        const files = entries.filter((e) => e.type === 'file');
        assert.deepEqual(files.map((e) => e.name).sort(), Object.keys(hostile).sort());
        for (const e of files) {
          assert.equal(e.size, Buffer.byteLength(hostile[e.name]), e.name);
          assert.equal(e.path, `${dir}/${e.name}`);
        }
        const dirs = entries.filter((e) => e.type === 'directory').map((e) => e.name);
        assert.deepEqual(dirs.sort(), ['$(touch pwned-dir)', 'dir with space', 'dir\'quote"both'].sort());
        assert.equal(entries.findIndex((e) => e.type !== 'directory'), 3, 'directories first');
        assert.equal(total, entries.length);
        // A filter over the hostile names: only files with a quote or a dollar, every directory.
        const f = await ops.list(dir, { filter: { fileReject: ['.*'], fileAllow: ["['\"]", '\\$'], dirReject: ['space$'] } });
        assert.deepEqual(
          f.entries.map((e) => e.name),
          ['$(touch pwned-dir)', 'dir\'quote"both', '$(touch pwned).txt', '$HOME and ${PATH}.txt', 'double"quote.txt', "single'quote.txt"],
        );
        const page = await ops.list(dir, { offset: 3, limit: 5 });
        assert.equal(page.total, total);
        assert.deepEqual(
          page.entries.map((e) => e.name),
          entries.slice(3, 8).map((e) => e.name),
        );
      });

      test('list the tree fixture: symlink targets, hidden files', async () => {
        const dir = `${home}/fixtures/tree`;
        const { entries } = await ops.list(dir);
        const byName = new Map(entries.map((e) => [e.name, e]));
        assert.equal(byName.get('link-to-dir')?.type, 'symlink');
        assert.equal(byName.get('link-to-dir')?.targetType, 'directory');
        assert.equal(byName.get('link-to-file')?.targetType, 'file');
        assert.ok(byName.has('.hidden'));
        const visible = await ops.list(dir, { hidden: false });
        assert.ok(!visible.entries.some((e) => e.name.startsWith('.')));
        const names = entries.map((e) => e.name);
        assert.ok(names.indexOf('link-to-dir') < names.indexOf('README.md'), 'a link to a folder sorts with folders');
      });

      test('stat and read every hostile file', async () => {
        const dir = `${home}/fixtures/hostile`;
        const names = Object.keys(hostile);
        const stats = await ops.stat([...names.map((n) => `${dir}/${n}`), `${dir}/missing file`]);
        names.forEach((n, i) => {
          assert.equal(stats[i]?.type, 'file', n);
          assert.equal(stats[i]?.size, Buffer.byteLength(hostile[n]), n);
        });
        assert.equal(stats[names.length], null);
        for (const n of names) assert.equal((await ops.readFile(`${dir}/${n}`)).toString('utf8'), hostile[n], n);
        const first = names[0];
        assert.equal((await ops.readFile(`${dir}/${first}`, { offset: 2, length: 5 })).toString(), hostile[first].slice(2, 7));
        await assert.rejects(ops.readFile(`${dir}/missing file`), (e) => classifyRemoteError(e) === 'not-found');
      });

      test('atomic write under hostile names keeps the mode and leaves no temp', async () => {
        const dir = `${work}/write`;
        await ops.mkdir(dir);
        for (const n of Object.keys(hostile)) {
          const p = `${dir}/${n}`;
          await ops.writeFileAtomic(p, Buffer.from(`first ${n}`), { create: true, overwrite: false });
          assert.equal(await sh(conn.session, 'cat -- "$1"', p), `first ${n}`);
        }
        const p = `${dir}/${Object.keys(hostile)[3]}`;
        await sh(conn.session, 'chmod 751 -- "$1"', p);
        const big = randomBytes(3 << 20);
        await ops.writeFileAtomic(p, big, { create: false, overwrite: true });
        assert.equal((await sh(conn.session, 'stat -c %a -- "$1"', p)).trim(), '751');
        assert.ok((await ops.readFile(p)).equals(big));
        await assert.rejects(ops.writeFileAtomic(p, Buffer.from('x'), { overwrite: false }), (e) => classifyRemoteError(e) === 'exists');
        await assert.rejects(ops.writeFileAtomic(`${dir}/nope`, Buffer.from('x'), { create: false }), (e) => classifyRemoteError(e) === 'not-found');
        const raw = (await sh(conn.session, 'ls -A -- "$1"', dir)).split('\n');
        assert.ok(!raw.some((n) => n.includes('remote-hpc')), 'no temp file left');
      });

      test('a writable file in a read-only folder is saved in place (owner, mode, hard link kept); new files there fail clearly', async () => {
        const dir = `${work}/read-only $(x)`;
        await ops.mkdir(dir);
        const p = `${dir}/shared.txt`;
        await ops.writeFileAtomic(p, Buffer.from('a longer first version\n'));
        await sh(conn.session, 'chmod 620 -- "$1" && ln -- "$1" "$1.link" && chmod 555 -- "$2"', p, dir);
        try {
          const inode = (await sh(conn.session, 'stat -c %i -- "$1"', p)).trim();
          assert.deepEqual(await ops.writeFileAtomic(p, Buffer.from('short\n'), { create: false, overwrite: true }), { inPlace: true });
          assert.equal(await sh(conn.session, 'cat -- "$1"', p), 'short\n', 'new contents, old tail cut');
          assert.equal(await sh(conn.session, 'cat -- "$1.link"', p), 'short\n', 'the hard link sees it: same file');
          assert.equal((await sh(conn.session, 'stat -c %i.%a -- "$1"', p)).trim(), `${inode}.620`);
          // No temp file can be made there: the error names the user's file, never our temp.
          await assert.rejects(ops.writeFileAtomic(`${dir}/new.txt`, Buffer.from('x')), (e: Error) => {
            assert.equal(classifyRemoteError(e), 'no-permission');
            assert.ok(e.message.includes(`${dir}/new.txt`) && !/remote-hpc|\.tmp\b/.test(e.message), e.message);
            return true;
          });
          await sh(conn.session, 'chmod 444 -- "$1"', p);
          await assert.rejects(ops.writeFileAtomic(p, Buffer.from('x')), (e) => classifyRemoteError(e) === 'no-permission');
          assert.equal(await sh(conn.session, 'cat -- "$1"', p), 'short\n', 'a read-only file is left alone');
          // A writable folder still gets the atomic path.
          assert.deepEqual(await ops.writeFileAtomic(`${work}/plain.txt`, Buffer.from('x')), { inPlace: false });
        } finally {
          await sh(conn.session, 'chmod 755 -- "$1"', dir);
        }
      });

      test('mkdir, rename, copy, remove with hostile names', async () => {
        const base = `${work}/ops $(x) 'q'`;
        await ops.mkdir(base);
        await assert.rejects(ops.mkdir(base), (e) => classifyRemoteError(e) === 'exists');
        await ops.mkdir(`${base}/a/-b/c d`, { recursive: true });
        await ops.writeFileAtomic(`${base}/a/-b/c d/f\nnl.txt`, Buffer.from('payload'));
        await ops.copy(`${base}/a`, `${base}/copy "of" a`);
        assert.equal((await ops.readFile(`${base}/copy "of" a/-b/c d/f\nnl.txt`)).toString(), 'payload');
        await assert.rejects(ops.copy(`${base}/a`, `${base}/copy "of" a`), (e) => classifyRemoteError(e) === 'exists');
        await ops.copy(`${base}/a/-b/c d/f\nnl.txt`, `${base}/single*.txt`);
        await ops.rename(`${base}/single*.txt`, `${base}/--renamed`);
        await assert.rejects(ops.rename(`${base}/--renamed`, `${base}/a`), (e) => classifyRemoteError(e) === 'exists');
        await ops.writeFileAtomic(`${base}/other`, Buffer.from('other'));
        await ops.rename(`${base}/other`, `${base}/--renamed`, { overwrite: true });
        assert.equal((await ops.readFile(`${base}/--renamed`)).toString(), 'other');
        await assert.rejects(ops.remove(`${base}/a`), (e) => classifyRemoteError(e) === 'not-empty');
        await ops.remove(`${base}/a`, { recursive: true });
        await ops.remove(`${base}/--renamed`);
        const left = (await ops.list(base)).entries.map((e) => e.name);
        assert.deepEqual(left, ['copy "of" a']);
      });

      test('search names and contents', async () => {
        const dir = `${work}/search`;
        await sh(conn.session, 'mkdir -p "$1/sub dir/deeper" "$1/skip" && printf "alpha\\nthe Needle 42\\n" > "$1/sub dir/It\'s a file.txt" && printf "needle9\\n" > "$1/sub dir/deeper/\\$(x).log" && printf "needle0\\n" > "$1/skip/n.txt" && printf "\\000binary needle\\n" > "$1/bin.dat"', dir);
        const byName = await ops.search(dir, { namePattern: "IT'S" });
        assert.deepEqual(
          byName.matches.map((m) => m.path),
          [`${dir}/sub dir/It's a file.txt`],
        );
        const glob = await ops.search(dir, { namePattern: '*.LOG' });
        assert.deepEqual(
          glob.matches.map((m) => m.path),
          [`${dir}/sub dir/deeper/$(x).log`],
        );
        const dirs = await ops.search(dir, { namePattern: 'deep' });
        assert.deepEqual(
          dirs.matches.map((m) => m.path),
          [`${dir}/sub dir/deeper`],
        );
        const content = await ops.search(dir, { contentPattern: 'needle ?[0-9]+', regex: true, filter: { dirReject: ['/skip$'] } });
        assert.deepEqual(
          content.matches.map((m) => [m.path, m.line, m.text]),
          [
            [`${dir}/sub dir/It's a file.txt`, 2, 'the Needle 42'],
            [`${dir}/sub dir/deeper/$(x).log`, 1, 'needle9'],
          ],
        );
        const cs = await ops.search(dir, { contentPattern: 'Needle', caseSensitive: true });
        assert.equal(cs.matches.length, 1);
        const capped = await ops.search(dir, { maxResults: 2 });
        assert.equal(capped.matches.length, 2);
        assert.equal(capped.truncated, true);
      });

      test('watch sees files created, changed and deleted by another process', async () => {
        const dir = `${work}/watch me`;
        await ops.mkdir(dir);
        const events: ChangeEvent[] = [];
        let armed = () => {};
        const ready = new Promise<void>((r) => (armed = r));
        const w = ops.watch([dir], (ev) => events.push(...ev), { onReady: () => armed() });
        try {
          await ready;
          const name = `${dir}/new 'file' $(x)`;
          await sh(conn.session, 'printf one > "$1"', name);
          await waitUntil('created', () => events.find((e) => e.path === name && e.kind === 'created'), 8000);
          await sh(conn.session, 'printf "more bytes" >> "$1"', name);
          await waitUntil('changed', () => events.find((e) => e.path === name && e.kind === 'changed'), 8000);
          await sh(conn.session, 'rm -- "$1"', name);
          await waitUntil('deleted', () => events.find((e) => e.path === name && e.kind === 'deleted'), 8000);
        } finally {
          w.dispose();
        }
      });

      test('run: hostile argv echoed back exactly, stdin, env, cwd, exit code, timeout', async () => {
        const r = await ops.run(['printf', '%s\\0', ...HOSTILE_ARGS]);
        assert.equal(r.code, 0);
        assert.deepEqual(r.stdout.toString('utf8').split('\0').slice(0, -1), HOSTILE_ARGS);
        const cat = await ops.run(['cat'], { stdin: Buffer.from([0, 1, 255, 10]) });
        assert.deepEqual(cat.stdout, Buffer.from([0, 1, 255, 10]));
        const e = await ops.run(['sh', '-c', 'printf "%s|%s" "$V" "$PWD"; echo oops >&2; exit 7'], { env: { V: "$(id) 'q'" }, cwd: `${home}/fixtures` });
        assert.equal(e.code, 7);
        assert.equal(e.stdout.toString(), `$(id) 'q'|${home}/fixtures`);
        assert.equal(e.stderr.toString(), 'oops\n');
        await assert.rejects(ops.run(['sleep', '10'], { timeoutMs: 300 }), /timed out/);
        const pwned = await ops.stat([`${home}/pwned`, `${work}/pwned`]);
        assert.deepEqual(pwned, [null, null]);
      });

      test('follow: appended lines arrive exactly once and in order', async () => {
        const p = `${work}/follow me 'log'.txt`;
        const chunks: Buffer[] = [];
        const offsets: number[] = [];
        let armed = () => {};
        const ready = new Promise<void>((r) => (armed = r));
        const f = ops.follow(p, {
          onData: (b, off) => {
            chunks.push(b);
            offsets.push(off);
          },
          onReady: () => armed(),
        });
        try {
          await ready; // following a file that does not exist yet
          let expected = '';
          for (let i = 0; i < 30; i++) {
            const line = `line ${i} ${'x'.repeat(i * 37)}\n`;
            expected += line;
            await sh(conn.session, 'printf "%s\\n" "$2" >> "$1"', p, line.slice(0, -1));
          }
          // A last line: a byte repeated or reordered before it shows in the comparison below.
          expected += 'the end\n';
          await sh(conn.session, 'printf "the end\n" >> "$1"', p);
          await waitUntil('the last line', () => Buffer.concat(chunks).toString('utf8').endsWith('the end\n'), 10_000);
          assert.equal(Buffer.concat(chunks).toString('utf8'), expected);
          let at = 0;
          chunks.forEach((c, i) => {
            assert.equal(offsets[i], at);
            at += c.length;
          });
        } finally {
          f.dispose();
        }
      });

      // The cut goes through the latency proxy, a TCP hop the ssh2 connection is pointed at.
      if (transport === 'ssh2')
        test('atomic save survives a connection cut mid-write (20 MB)', async () => {
        const path = `${work}/fault-target.txt`;
        const original = `original content ${randomBytes(8).toString('hex')}\n`;
        await sh(conn.session, 'printf %s "$2" > "$1"', path, original);
        const proxy = new LatencyProxy({ targetHost: '127.0.0.1', targetPort: 2222, delayMs: 0 });
        const port = await proxy.start();
        const viaProxy = await connectDirect({ port });
        const cutOps = await openRemote(viaProxy.session, silentLogger, { forceFallback: kind === 'sftp' });
        assert.equal(cutOps.kind, kind);
        try {
          proxy.armCut(6 << 20);
          await assert.rejects(cutOps.writeFileAtomic(path, randomBytes(20 << 20)));
          assert.equal(proxy.cuts, 1);
        } finally {
          cutOps.dispose();
          viaProxy.close();
          await proxy.close();
        }
        // A fresh direct connection sees the original file and no temp file in listings.
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await sh(conn.session, 'cat -- "$1"', path), original);
        const listed = (await ops.list(work)).entries.map((e) => e.name);
        assert.ok(!listed.some((n) => TEMP_RE.test(n) || n.includes('remote-hpc')), `listing shows ${listed.join(', ')}`);
        const raw = (await sh(conn.session, 'ls -A -- "$1"', work)).split('\n').filter((n) => TEMP_RE.test(n));
        // The agent never starts writing before the whole frame arrived; SFTP may leave a hidden partial temp.
        if (kind === 'agent') assert.deepEqual(raw, []);
      });
    });
  }

describe('agent start on the sandbox', { skip }, () => {
  let conn: { session: Session; close(): void };
  before(async () => {
    conn = await connectDirect();
  });
  after(() => conn.close());

  /** The same session, with every spawned command wrapped (as a noisy login or a host without Python would). */
  function wrapped(wrap: (argv: readonly string[]) => string[]): Session {
    const s = conn.session;
    return {
      host: s.host,
      transport: s.transport,
      forward: (h, port) => s.forward(h, port),
      get connected() {
        return s.connected;
      },
      exec: (argv, o) => s.exec(argv, o),
      spawn: (argv, o) => s.spawn(wrap(argv), o),
      sftp: () => s.sftp(),
      openSftp: () => s.openSftp(),
      shell: (pty) => s.shell(pty),
    };
  }

  test('login output before the handshake is skipped', async () => {
    const noisy = wrapped((argv) => ['sh', '-c', 'echo "Welcome to the cluster"; printf "@@REMOTE-HPC-AGENT 9 zz@@ quota 93%%\\n"; exec "$@"', 'sh', ...argv]);
    const ops = await openRemote(noisy, silentLogger);
    try {
      assert.equal(ops.kind, 'agent');
      assert.equal((await ops.run(['echo', 'ok'])).stdout.toString(), 'ok\n');
    } finally {
      ops.dispose();
    }
  });

  test('no python3 on the host: falls back to SFTP and says why', async () => {
    const noPython = wrapped(() => ['sh', '-c', 'echo "sh: 1: exec: python3: not found" >&2; exit 127']);
    let why = '';
    const ops = await openRemote(noPython, silentLogger, { onFallback: (r) => (why = r) });
    try {
      assert.equal(ops.kind, 'sftp');
      assert.match(why, /python3: not found/);
      assert.ok((await ops.list(`${await ops.home()}/fixtures`)).total > 0);
    } finally {
      ops.dispose();
    }
  });
});

describe('transfers (SFTP, several channels)', { skip }, () => {
  let conn: { session: Session; close(): void };
  let local: string;
  let remote: string;
  let home: string;

  before(async () => {
    conn = await connectDirect();
    home = (await sh(conn.session, 'printf %s "$HOME"')).trim();
    remote = `${home}/rhpc-it-transfer-${randomBytes(4).toString('hex')}`;
    await sh(conn.session, 'mkdir -p -- "$1"', remote);
    local = mkdtempSync(join(tmpdir(), 'rhpc-transfer-'));
  });

  after(async () => {
    await sh(conn.session, 'rm -rf -- "$1"', remote).catch(() => undefined);
    rmSync(local, { recursive: true, force: true });
    conn.close();
  });

  test('download the hostile folder, then upload it back: bytes exact, names portable (mapped, and said so)', async () => {
    const manifest = await hostileManifest(conn.session);
    const progress: TransferProgress[] = [];
    const dl = await download(conn.session, `${home}/fixtures/hostile`, join(local, 'hostile'), { onProgress: (p) => progress.push(p) });
    assert.equal(dl.files, Object.keys(manifest).length);
    // Names a Windows folder cannot hold are mapped the same way on every OS (src/core/local).
    const localName = (name: string) => join(local, 'hostile', ...name.split('/').map(portableName));
    for (const [name, content] of Object.entries(manifest)) assert.equal(readFileSync(localName(name), 'utf8'), content, name);
    assert.equal(readFileSync(join(local, 'hostile', 'dir with space', 'inner file.txt'), 'utf8').length > 0, true);
    const mapped = Object.keys(manifest).filter((n) => n.split('/').some((seg) => portableName(seg) !== seg));
    assert.ok(mapped.length > 0 && (dl.renamed?.length ?? 0) > 0, 'mapped names are reported');
    assert.deepEqual(
      readdirSync(join(local, 'hostile')).filter((n) => n.includes('remote-hpc')),
      [],
    );
    const last = progress[progress.length - 1];
    assert.equal(last.bytes, last.totalBytes);
    assert.equal(last.files, last.totalFiles);

    const up = await upload(conn.session, join(local, 'hostile'), `${remote}/up`);
    assert.equal(up.files, dl.files);
    const back = JSON.parse(
      await sh(conn.session, 'cd -- "$1" && python3 -c "import json,os; print(json.dumps({n: open(n).read() for n in os.listdir(\'.\') if os.path.isfile(n)}))"', `${remote}/up`),
    ) as Record<string, string>;
    assert.deepEqual(back, Object.fromEntries(Object.entries(topLevel(manifest)).map(([n, c]) => [portableName(n), c])));
    assert.equal((await sh(conn.session, 'cat -- "$1"', `${remote}/up/${portableName('dir\'quote"both')}/x.txt`)).length > 0, true);
  });

  test('a big file over several channels, byte-exact both ways, mode kept', async () => {
    const src = join(local, 'big file $(x).bin');
    const data = randomBytes(24 << 20);
    writeFileSync(src, data, { mode: 0o640 });
    const target = `${remote}/big 'file'.bin`;
    const up = await upload(conn.session, src, target, { channels: 4 });
    assert.equal(up.bytes, data.length);
    const sum = (await sh(conn.session, 'sha256sum < "$1"', target)).split(' ')[0];
    assert.equal(sum, (await import('node:crypto')).createHash('sha256').update(data).digest('hex'));
    assert.equal((await sh(conn.session, 'stat -c %a -- "$1"', target)).trim(), '640');
    const dst = join(local, 'back', 'big.bin');
    mkdirSync(join(local, 'back'));
    await download(conn.session, target, dst, { channels: 4 });
    assert.ok(readFileSync(dst).equals(data));
    assert.equal(statSync(dst).mode & 0o777, 0o640);
  });

  test('a transfer that cannot make or rename its temp file names the user\'s file, not the temp', async () => {
    const src = join(local, 'upload me.txt');
    writeFileSync(src, 'x');
    const ro = `${remote}/read-only`;
    await sh(conn.session, 'mkdir -p -- "$1" && chmod 555 -- "$1"', ro);
    try {
      await assert.rejects(upload(conn.session, src, `${ro}/upload me.txt`), (e: Error) => {
        assert.equal(classifyRemoteError(e), 'no-permission');
        assert.ok(e.message.includes(`${ro}/upload me.txt`) && !/remote-hpc|\.tmp\b/.test(e.message), e.message);
        return true;
      });
    } finally {
      await sh(conn.session, 'chmod 755 -- "$1"', ro);
    }
    // Downloading a file onto a local folder of that name: the rename of the temp fails.
    await sh(conn.session, 'printf x > "$1"', `${remote}/one.txt`);
    const taken = join(local, 'taken');
    mkdirSync(join(taken, 'inside'), { recursive: true });
    await assert.rejects(download(conn.session, `${remote}/one.txt`, taken), (e: Error) => {
      assert.ok(e.message.includes(taken) && !/remote-hpc|\.tmp\b/.test(e.message), e.message);
      return true;
    });
    assert.deepEqual(readdirSync(local).filter((n) => n.includes('remote-hpc')), [], 'no temp left behind');
  });

  test('cancel mid-transfer leaves neither a partial file nor a temp file', async () => {
    const src = join(local, 'cancel.bin');
    writeFileSync(src, randomBytes(64 << 20));
    const ac = new AbortController();
    const target = `${remote}/cancelled.bin`;
    const p = upload(conn.session, src, target, { signal: ac.signal, onProgress: (pr) => pr.bytes > 4 << 20 && ac.abort() });
    await assert.rejects(p, { name: 'CancelledError' });
    const names = (await sh(conn.session, 'ls -A -- "$1"', remote)).split('\n');
    assert.ok(!names.includes('cancelled.bin'));
    assert.ok(!names.some((n) => n.includes('remote-hpc')), names.join(','));
    await assert.rejects(upload(conn.session, src, `${remote}/up`, { overwrite: false }).then(() => upload(conn.session, src, `${remote}/up/x`, { overwrite: true })).then(() => upload(conn.session, src, `${remote}/up/x`, { overwrite: false })), (e) => classifyRemoteError(e) === 'exists');
  });
});
