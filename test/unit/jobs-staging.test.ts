/**
 * What a job file's inputs would send, decided before anything is sent: sources outside the job
 * file's folder (also through a link) are flagged for the modal warning, targets outside the work
 * folder are refused, and the confirmation lists every item and the target folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { planStaging, type JobSpec } from '../../src/core/scheduler/jobSpec';
import { outsideWarning, reviewStaging, stagingConfirmation } from '../../src/core/jobs/staging';

const WORK = '/home/u/shared/job';

function spec(inputs: JobSpec['inputs']): JobSpec {
  return { command: 'true', inputs } as JobSpec;
}

test('a cloned job file cannot quietly stage ~/.ssh: outside sources are flagged, links out too', async () => {
  const base = mkdtempSync(path.join(tmpdir(), 'rhpc-staging-'));
  try {
    const repo = path.join(base, 'repo');
    const ssh = path.join(base, 'home', '.ssh');
    mkdirSync(repo);
    mkdirSync(ssh, { recursive: true });
    writeFileSync(path.join(ssh, 'id_ed25519'), 'secret');
    writeFileSync(path.join(repo, 'data.csv'), '1');
    symlinkSync(ssh, path.join(repo, 'keys'));
    const s = spec(['data.csv', '../home/.ssh/id_ed25519', path.join(ssh, 'id_ed25519'), 'keys/id_ed25519', { from: '~/ref.fa', remote: true }]);
    const plan = planStaging(s, repo, WORK, path);
    const r = await reviewStaging({ plan, specDir: repo, remoteSpec: false, workdir: WORK, home: '/home/u' });
    assert.deepEqual(
      r.outside.map((i) => path.relative(base, i.from)),
      ['home/.ssh/id_ed25519', 'home/.ssh/id_ed25519', 'repo/keys/id_ed25519'].map((x) => x.split('/').join(path.sep)),
    );
    assert.equal(r.items.length, 5);
    assert.deepEqual(r.items.slice(0, 2).map((i) => path.basename(i.from)), ['data.csv', 'id_ed25519'], 'uploads in the job file\'s order');
    assert.deepEqual(r.items.find((i) => i.kind === 'copy'), { kind: 'copy', from: '/home/u/ref.fa', to: `${WORK}/ref.fa`, outside: false });
    const w = outsideWarning(r, 'cloned.job.json');
    assert.match(w.message, /3 files or folders from outside its folder/);
    assert.ok(w.detail.includes(path.join(ssh, 'id_ed25519')));
    const c = stagingConfirmation(r, 'hpc');
    assert.equal(c.message, `Submitting will upload 4 items and copy 1 on the cluster into hpc:${WORK}.`);
    assert.ok(c.detail.includes(`${path.join(repo, 'data.csv')} → data.csv`), c.detail);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('Windows job file: ..\\ paths and other drives are outside its folder', async () => {
  const dir = 'C:\\src\\repo';
  const plan = planStaging(spec(['in\\a.txt', '..\\..\\Users\\me\\.ssh\\id_ed25519', 'D:\\keys\\k']), dir, WORK, path.win32);
  const r = await reviewStaging({ plan, specDir: dir, remoteSpec: false, workdir: WORK, home: '/home/u' }, { path: path.win32, realpath: async (p) => p });
  assert.deepEqual(r.outside.map((i) => i.from), ['C:\\Users\\me\\.ssh\\id_ed25519', 'D:\\keys\\k']);
});

test('a job file on the cluster: sources outside its folder are flagged; targets must stay in the work folder', async () => {
  const plan = planStaging(spec(['in.txt', '../.ssh/id_rsa', '/etc/shadow']), '/home/u/proj', WORK, path.posix);
  const r = await reviewStaging({ plan, specDir: '/home/u/proj', remoteSpec: true, workdir: WORK, home: '/home/u' });
  assert.deepEqual(r.outside.map((i) => i.from), ['/home/u/.ssh/id_rsa', '/etc/shadow']);
  const bad = planStaging(spec([{ from: 'in.txt', to: '../../.ssh/authorized_keys' }]), '/home/u/proj', WORK, path.posix);
  await assert.rejects(reviewStaging({ plan: bad, specDir: '/home/u/proj', remoteSpec: true, workdir: WORK, home: '/home/u' }), /outside the work folder/);
});
