/**
 * Open Terminal Here on the sandbox: the login shell starts in a folder whose name is built to
 * attack a typed `cd` (Ctrl-U kills the line, Ctrl-C interrupts, then a command). The product's
 * shell start must land in that folder without running anything hidden in its name.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientChannel } from 'ssh2';
import { connectDirect, sandboxAvailable } from '../support/sandbox';
import { openLoginShell } from '../../src/core/ssh/loginShell';
import type { ClientSession } from '../../src/core/ssh/session';

const skip = sandboxAvailable() ? false : 'sandbox not running (npm run sandbox:start)';
const PTY = { term: 'xterm-256color', rows: 24, cols: 200, width: 0, height: 0 };

/** Types `line` into the shell once it is up and collects everything it prints until it exits. */
function converse(ch: ClientChannel, line: string, ms = 15_000): Promise<string> {
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

describe('terminal: login shell in a hostile folder', { skip }, () => {
  let conn: { session: ClientSession; close(): void };
  let base: string;
  before(async () => {
    conn = await connectDirect();
    base = (await conn.session.exec(['mktemp', '-d', '/tmp/rhpc-term.XXXXXX'])).stdout.toString().trim();
  });
  after(async () => {
    await conn.session.exec(['rm', '-rf', '--', base]);
    conn.close();
  });

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
