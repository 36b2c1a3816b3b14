/** The jobs feature's static UI in package.json matches what src/jobs registers and reads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NOTIFY_STATES } from '../../src/core/jobs/notices';
import { PROTOCOL_NAMES } from '../../src/shared/protocol';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string; title: string; category?: string; icon?: string }[];
    menus: Record<string, { command: string; when?: string; group?: string }[]>;
    configuration: { properties: Record<string, { default?: unknown }> };
    jsonValidation: { fileMatch: string; url: string }[];
    viewsWelcome: { view: string; contents: string }[];
    views: Record<string, { id: string }[]>;
  };
};
const source = readFileSync(join(root, 'src', 'jobs', 'index.ts'), 'utf8');
const registered = new Set([...source.matchAll(/r\('(remoteHpc\.jobs\.[\w.]+)'/g)].map((m) => m[1]));
const contributed = pkg.contributes.commands.filter((c) => c.command.startsWith('remoteHpc.jobs.'));

test('every contributed jobs command is registered, and every registered one contributed', () => {
  assert.deepEqual([...registered].sort(), contributed.map((c) => c.command).sort());
  for (const c of contributed) {
    assert.equal(c.category, 'Remote HPC', c.command);
    assert.match(c.icon ?? '', /^\$\([a-z-]+\)$/, c.command);
  }
});

test('menus only name contributed commands, and jobs view items are scoped to their view', () => {
  const known = new Set(pkg.contributes.commands.map((c) => c.command));
  for (const [menu, items] of Object.entries(pkg.contributes.menus)) {
    for (const it of items.filter((i) => i.command.startsWith('remoteHpc.jobs.'))) {
      assert.ok(known.has(it.command), `${menu}: ${it.command}`);
      if (menu === 'view/item/context' || menu === 'view/title') assert.match(it.when ?? '', /^view == remoteHpc\.(jobs|explorer|hosts|partitions)\b/, `${menu}: ${it.command}`);
    }
  }
  const item = pkg.contributes.menus['view/item/context'] ?? [];
  const whenOf = (cmd: string, group: RegExp) => item.find((i) => i.command === cmd && group.test(i.group ?? ''))?.when ?? '';
  const matches = (when: string, viewItem: string) => {
    // Evaluates the `viewItem` alternatives of a when clause (regex and ==), enough for ours.
    const alts = [...when.matchAll(/viewItem =~ \/(.+?)\/(?=\s|\)|$)|viewItem == ([\w.]+)/g)];
    return alts.some((m) => (m[1] ? new RegExp(m[1]).test(viewItem) : m[2] === viewItem));
  };
  assert.ok(matches(whenOf('remoteHpc.jobs.hold', /control/), 'job.pending'));
  assert.ok(!matches(whenOf('remoteHpc.jobs.hold', /control/), 'job.pending.held'));
  assert.ok(matches(whenOf('remoteHpc.jobs.release', /control/), 'job.pending.held.task'));
  assert.ok(!matches(whenOf('remoteHpc.jobs.release', /control/), 'job.running'));
  assert.ok(matches(whenOf('remoteHpc.jobs.cancel', /control/), 'job.array.active'));
  assert.ok(!matches(whenOf('remoteHpc.jobs.cancel', /control/), 'job.finished'));
  assert.ok(!matches(whenOf('remoteHpc.jobs.cancel', /control/), 'job.array.finished'));
  assert.ok(matches(whenOf('remoteHpc.jobs.cancelArray', /control/), 'job.running.task'));
  assert.ok(!matches(whenOf('remoteHpc.jobs.cancelArray', /control/), 'job.running'));
  assert.ok(matches(whenOf('remoteHpc.jobs.requeue', /control/), 'job.finished.task'));
  assert.ok(matches(whenOf('remoteHpc.jobs.tailOutput', /inline/), 'job.array.finished'));
  for (const v of ['job.finished', 'job.running.task', 'job.pending.held']) {
    assert.ok(matches(whenOf('remoteHpc.jobs.resubmit', /resubmit/), v), `Resubmit on ${v}`);
    assert.ok(matches(whenOf('remoteHpc.jobs.cloneAndEdit', /resubmit/), v), `Clone and Edit on ${v}`);
  }
  assert.ok(!matches(whenOf('remoteHpc.jobs.resubmit', /resubmit/), 'jobsHost'));
  assert.ok(pkg.contributes.views.remoteHpc?.some((v) => v.id === 'remoteHpc.partitions'), 'the Partitions view');
  assert.ok(pkg.contributes.viewsWelcome.some((w) => w.view === 'remoteHpc.partitions' && w.contents.includes('command:remoteHpc.connect')), 'its welcome when no host is connected');
  assert.ok((pkg.contributes.menus['view/title'] ?? []).some((m) => m.command === 'remoteHpc.jobs.refreshPartitions' && m.when === 'view == remoteHpc.partitions'));
  assert.equal(pkg.contributes.configuration.properties['remoteHpc.jobs.timeLeftWarning']?.default, 10);
});

test('settings, schema, welcome and protocol are in place', () => {
  const props = pkg.contributes.configuration.properties;
  assert.equal(props['remoteHpc.jobs.pollIntervalSeconds']?.default, 10);
  assert.deepEqual(props['remoteHpc.jobs.notifyStates']?.default, [...DEFAULT_NOTIFY_STATES]);
  assert.ok(props['remoteHpc.jobs.historyDays']);
  assert.ok(props['remoteHpc.jobs.defaults']);
  const v = pkg.contributes.jsonValidation.find((j) => j.fileMatch === '*.job.json');
  assert.ok(v && existsSync(join(root, v.url)));
  assert.ok(pkg.contributes.viewsWelcome.some((w) => w.view === 'remoteHpc.jobs' && w.contents.includes('command:remoteHpc.connect')));
  assert.ok(Object.values(pkg.contributes.views).flat().some((view) => view.id === 'remoteHpc.jobs'));
  assert.deepEqual([...PROTOCOL_NAMES.newJob.requests].sort(), ['hostInfo', 'pickFolder', 'preview', 'save', 'validate']);
  assert.ok(existsSync(join(root, 'webview', 'newJob', 'main.ts')));
});
