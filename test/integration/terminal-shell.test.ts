/**
 * Open Terminal Here on the sandbox: the login shell starts in a folder whose name is built to
 * attack a typed `cd` (Ctrl-U kills the line, Ctrl-C interrupts, then a command). The product's
 * shell start must land in that folder without running anything hidden in its name.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RemoteChannel } from '../../src/core/ssh/channel';
import { connectDirect, TRANSPORTS, type TransportKind } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { openLoginShell } from '../../src/core/ssh/loginShell';
import { ShellTerminal } from '../../src/core/ssh/shellTerminal';
import { silentLogger } from '../../src/core/log';
import type { Session } from '../../src/core/ssh/session';

const skip = sandboxSkip();
const PTY = { term: 'xterm-256color', rows: 24, cols: 200, width: 0, height: 0 };

/** Types `line` into the shell once it is up and collects everything it prints until it exits. */
function converse(ch: RemoteChannel, line: string, ms = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`shell did not exit; output so far: ${JSON.stringify(out)}`)), ms);
    ch.on('data', (d: Buffer) => (out += d.toString('latin1')));
    ch.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    ch.write(line);
  });
}

/** A session to the sandbox and a fresh folder in its /tmp for one suite. */
async function openWithTempDir(transport: TransportKind): Promise<{ conn: { session: Session; close(): void }; base: string }> {
  const conn = await connectDirect({ transport });
  const base = (await conn.session.exec(['mktemp', '-d', '/tmp/rhpc-term.XXXXXX'])).stdout.toString().trim();
  return { conn, base };
}

async function closeWithTempDir(conn: { session: Session; close(): void }, base: string): Promise<void> {
  await conn.session.exec(['rm', '-rf', '--', base]);
  conn.close();
}

for (const transport of TRANSPORTS) {
  describe(`terminal: login shell in a hostile folder (${transport})`, { skip }, () => {
    let conn: { session: Session; close(): void };
    let base: string;
    before(async () => {
      ({ conn, base } = await openWithTempDir(transport));
    });
    after(() => closeWithTempDir(conn, base));

    for (const [label, name] of [
      ['Ctrl-U then a command', '\x15cd;touch PWNED;#'],
      ['Ctrl-C then a command', 'x\x03cd;touch PWNED;#'],
      ['a newline then a command', 'x\ntouch PWNED'],
      ['a leading dash', '-P'],
    ] as const) {
      test(`a folder named with ${label} is entered and nothing runs`, async () => {
        const dir = `${base}/${name}`;
        await conn.session.exec(['mkdir', '--', dir]);
        const ch = await openLoginShell(conn.session, PTY, dir);
        // `pwd` output is hex-encoded so the tty cannot alter it on the way back.
        const out = await converse(ch, 'printf "<%s>" "$(pwd | od -An -tx1 | tr -d " \\n")"; exit\n');
        const hex = Buffer.from(`${dir}\n`).toString('hex');
        assert.ok(out.includes(`<${hex}>`), `shell not in the folder; output ${JSON.stringify(out)}`);
        const pwned = await conn.session.exec(['find', base, '.', '-maxdepth', '2', '-name', 'PWNED']);
        assert.equal(pwned.stdout.toString().trim(), '', 'a command hidden in the folder name ran');
      });
    }

    test('a folder that is gone opens the shell in home with a notice', async () => {
      const ch = await openLoginShell(conn.session, PTY, `${base}/missing`);
      const out = await converse(ch, 'printf "<%s>" "$PWD"; exit\n');
      const home = (await conn.session.exec(['sh', '-c', 'printf %s "$HOME"'])).stdout.toString();
      assert.match(out, /cannot enter that folder/);
      assert.ok(out.includes(`<${home}>`), out);
    });
  });

  describe(`terminal: the product ShellTerminal (behind the Pseudoterminal) on the sandbox (${transport})`, { skip }, () => {
    let conn: { session: Session; close(): void };
    let base: string;
    const marker = `PWNED-${randomBytes(4).toString('hex')}`;
    before(async () => {
      ({ conn, base } = await openWithTempDir(transport));
    });
    after(() => closeWithTempDir(conn, base));

    /** Opens the terminal in `cwd` over `session`, types `line`, and waits for it to end. */
    function runTerminal(session: Session, cwd: string, line: string): Promise<{ output: string; code: number; released: boolean }> {
      let output = '';
      let released = false;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`terminal did not end; output so far: ${JSON.stringify(output)}`)), 20_000);
        const term = new ShellTerminal({
          label: 'sandbox',
          cwd,
          acquire: async () => ({ session, release: () => (released = true) }),
          log: silentLogger,
          output: (t) => (output += t),
          closed: (code) => {
            clearTimeout(timer);
            resolve({ output, code, released });
          },
        });
        void term.open({ rows: 30, columns: 100 }).then(() => {
          term.resize({ rows: 40, columns: 123 });
          term.input(line);
        });
      });
    }

    test('starts in a hostile folder (and below it) running nothing; resize reaches the pty; exit code and lease pass through', async () => {
      const folder = `${base}/\x15\x03cd;touch ${marker};#`;
      await conn.session.exec(['mkdir', '-p', '--', `${folder}/sub`]);
      for (const cwd of [folder, `${folder}/sub`]) {
        const { output, code, released } = await runTerminal(conn.session, cwd, 'printf "<%s>\\n" "$(pwd | od -An -tx1 | tr -d " \\n")" "$(stty size)"; exit 3\n');
        const found = await conn.session.exec(['find', base, '.', '-maxdepth', '3', '-name', marker]);
        assert.equal(found.stdout.toString().trim(), '', 'a command hidden in the folder name ran');
        assert.ok(output.includes(`<${Buffer.from(`${cwd}\n`).toString('hex')}>`), `shell not in the folder; output ${JSON.stringify(output)}`);
        assert.ok(output.includes('<40 123>'), 'the pty follows resize');
        assert.equal(code, 3, "the terminal ends with the shell's exit code");
        assert.ok(released, 'the session lease is released');
      }
    });

    test('a login shell that ends at once (a broken profile) still reports its exit code', async () => {
      const s = conn.session;
      // The same session, its login shell replaced by one that fails before any input.
      const broken: Session = {
        host: s.host,
        transport: s.transport,
        forward: (h, port) => s.forward(h, port),
        get connected() {
          return s.connected;
        },
        exec: (argv, o) => s.exec(argv, o),
        spawn: (_argv, o) => s.spawn(['false'], o),
        sftp: () => s.sftp(),
        openSftp: () => s.openSftp(),
        shell: (pty) => s.shell(pty),
      };
      const { code } = await runTerminal(broken, base, '');
      assert.equal(code, 1);
    });
  });
}
