/**
 * Folder Download (src/core/remote/transfer.ts) from the sandbox into a local folder: remote
 * names that are not portable are saved under mapped names inside the folder, and a local
 * sub-folder that is a link to elsewhere is not written through.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDirect, sandboxAvailable } from '../support/sandbox';
import { download } from '../../src/core/remote/transfer';
import { UnsafeLocalPathError } from '../../src/core/local/localPath';
import type { Session } from '../../src/core/ssh/session';

const skip = sandboxAvailable() ? false : 'sandbox not running (npm run sandbox:start)';

describe('Download into a local folder', { skip }, () => {
  let conn: { session: Session; close(): void };
  let remote: string;
  let local: string;

  before(async () => {
    conn = await connectDirect();
    remote = `/tmp/rhpc-dl-${randomBytes(4).toString('hex')}`;
    const script = ['set -e', 'mkdir -p "$1/tree/sub"', 'printf bat > "$1/tree/..\\\\..\\\\Startup\\\\evil.bat"', 'printf c > "$1/tree/CON.txt"', 'printf q > "$1/tree/a:b?"', 'printf s > "$1/tree/sub/x.txt"'].join('\n');
    const r = await conn.session.exec(['sh', '-c', script, 'sh', remote]);
    assert.equal(r.code, 0, r.stderr.toString());
    local = mkdtempSync(join(tmpdir(), 'rhpc-dl-'));
  });

  after(async () => {
    await conn.session.exec(['rm', '-rf', '--', remote]).catch(() => undefined);
    rmSync(local, { recursive: true, force: true });
    conn.close();
  });

  test('non-portable names are saved mapped, inside the folder, and reported', async () => {
    const chosen = join(local, 'chosen');
    mkdirSync(chosen);
    const r = await download(conn.session, `${remote}/tree`, join(chosen, 'tree'), { localRoot: chosen });
    assert.deepEqual(readdirSync(join(chosen, 'tree')).sort(), ['%43ON.txt', '..%5C..%5CStartup%5Cevil.bat', 'a%3Ab%3F', 'sub']);
    assert.equal(readFileSync(join(chosen, 'tree', '..%5C..%5CStartup%5Cevil.bat'), 'utf8'), 'bat');
    assert.equal(r.renamed?.length, 3);
  });

  test('a local sub-folder linking elsewhere is not written through', async () => {
    const chosen = join(local, 'linked');
    const outside = join(local, 'outside');
    mkdirSync(join(chosen, 'tree'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(chosen, 'tree', 'sub'));
    await assert.rejects(download(conn.session, `${remote}/tree`, join(chosen, 'tree'), { localRoot: chosen }), UnsafeLocalPathError);
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(existsSync(join(outside, 'x.txt')), false);
  });
});
