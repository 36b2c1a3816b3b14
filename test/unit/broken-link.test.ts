/** A broken or looping symlink says why it cannot be opened (issue 15), run for real (`stat -L`) on local links. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainBrokenLink } from '../../src/core/remote/brokenLink';
import { LocalOps } from '../support/localOps';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rhpc-links-'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  symlinkSync('self', join(dir, 'self'));
  symlinkSync('pong', join(dir, 'ping'));
  symlinkSync('ping', join(dir, 'pong'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a link to nothing: broken link, target named', async () => {
  assert.equal(await explainBrokenLink(new LocalOps(), join(dir, 'dangling'), join(dir, 'nowhere')), `dangling cannot be opened: broken link: target ${join(dir, 'nowhere')} does not exist.`);
});

test('a link to itself or a ping-pong pair: symlink loop', async () => {
  assert.match(await explainBrokenLink(new LocalOps(), join(dir, 'self'), 'self'), /^self cannot be opened: symlink loop \(it points to self, which leads back to itself\)\.$/);
  assert.match(await explainBrokenLink(new LocalOps(), join(dir, 'ping'), undefined), /^ping cannot be opened: symlink loop/);
});
