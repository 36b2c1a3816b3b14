/** The explorer's static UI in package.json matches what src/explorer registers and emits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryContextValue } from '../../src/core/remote/fileKinds';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category?: string; icon?: string }[];
    menus: Record<string, { command: string; when?: string; group?: string }[]>;
    configuration: { properties: Record<string, { default?: unknown; markdownDescription?: string; description?: string }> };
    keybindings: { command: string; when?: string }[];
    viewsWelcome: { view: string }[];
    resourceLabelFormatters: { scheme: string }[];
  };
};
const source = ['commands.ts', 'workspace.ts'].map((f) => readFileSync(join(root, 'src', 'explorer', f), 'utf8')).join('\n');
const registered = new Set([...source.matchAll(/(?:r|registerCommand)\((?:log, )?'(remoteHpc\.explorer\.[\w.]+)'/g)].map((m) => m[1]));
const contributed = pkg.contributes.commands.filter((c) => c.command.startsWith('remoteHpc.explorer.'));
const tree = readFileSync(join(root, 'src', 'explorer', 'tree.ts'), 'utf8');

test('every contributed explorer command is registered, and every registered one contributed', () => {
  assert.deepEqual([...registered].sort(), contributed.map((c) => c.command).sort());
  for (const c of contributed) {
    assert.equal(c.category, 'Remote HPC', c.command);
    assert.match(c.icon ?? '', /^\$\([a-z-]+\)$/, c.command);
  }
});

test('explorer menu entries name contributed commands and are scoped by when clauses', () => {
  const known = new Set(pkg.contributes.commands.map((c) => c.command));
  let items = 0;
  for (const [menu, list] of Object.entries(pkg.contributes.menus)) {
    for (const it of list.filter((i) => i.command.startsWith('remoteHpc.explorer.'))) {
      items++;
      assert.ok(known.has(it.command), `${menu}: ${it.command}`);
      assert.ok(it.when, `${menu}: ${it.command} has a when clause`);
      if (menu === 'view/item/context' || menu === 'view/title') assert.match(it.when ?? '', /^view == remoteHpc\.explorer\b/, `${menu}: ${it.command}`);
    }
  }
  assert.ok(items > 30);
  // Every command is reachable from somewhere but the palette (loadMore is the tree's own).
  for (const c of contributed.filter((c) => c.command !== 'remoteHpc.explorer.loadMore' && c.command !== 'remoteHpc.explorer.openPath')) {
    const where = Object.entries(pkg.contributes.menus).filter(([m, l]) => m !== 'commandPalette' && l.some((i) => i.command === c.command));
    assert.ok(where.length > 0, `${c.command} is in no menu`);
  }
});

test('the context values in when clauses are those the tree emits', () => {
  const emitted = new Set(['host', 'folder', 'file', 'image', 'video', 'file.script', 'file.jobFile', 'loadMore', 'info']);
  for (const v of emitted) if (!['folder', 'file', 'image', 'video', 'file.script', 'file.jobFile'].includes(v)) assert.ok(tree.includes(`'${v}'`), `tree.ts emits ${v}`);
  // Entries' values come from entryContextValue (tested below).
  assert.ok(tree.includes('entryContextValue('));
  for (const list of Object.values(pkg.contributes.menus)) {
    for (const it of list.filter((i) => /view == remoteHpc\.explorer/.test(i.when ?? ''))) {
      for (const m of (it.when ?? '').matchAll(/viewItem == ([\w.]+)/g)) assert.ok(emitted.has(m[1]), `${it.command}: viewItem ${m[1]}`);
      // Every regex names emitted values and matches at least one of them.
      for (const m of (it.when ?? '').matchAll(/viewItem =~ \/(.+?)\/(?=\s|$)/g)) {
        const re = new RegExp(m[1]);
        assert.ok([...emitted].some((v) => re.test(v)), `${it.command}: viewItem =~ /${m[1]}/ matches nothing the tree emits`);
      }
    }
  }
});

test('settings, activation and labels for hpc: are contributed', () => {
  const props = pkg.contributes.configuration.properties;
  assert.equal(props['remoteHpc.largeFileThresholdMB']?.default, 50);
  assert.equal(props['remoteHpc.explorer.pageSize']?.default, 500);
  assert.deepEqual(props['remoteHpc.roots']?.default, {});
  assert.deepEqual(props['remoteHpc.filters']?.default, {});
  for (const k of ['remoteHpc.roots', 'remoteHpc.filters', 'remoteHpc.largeFileThresholdMB', 'remoteHpc.explorer.pageSize', 'remoteHpc.explorer.showHiddenFiles']) {
    assert.ok((props[k]?.markdownDescription ?? props[k]?.description ?? '').length > 20, `${k} is described`);
  }
  assert.ok(pkg.activationEvents.includes('onFileSystem:hpc'));
  assert.ok(pkg.contributes.resourceLabelFormatters.some((f) => f.scheme === 'hpc'));
  assert.ok(pkg.contributes.viewsWelcome.some((w) => w.view === 'remoteHpc.explorer'));
});

test('Submit Job and Preview Batch Script are offered by the tree\'s own context values, not resource keys', () => {
  const ctx = pkg.contributes.menus['view/item/context'] ?? [];
  const when = (command: string) => ctx.find((i) => i.command === command && /remoteHpc\.explorer/.test(i.when ?? ''))?.when ?? '';
  for (const command of ['remoteHpc.jobs.submit', 'remoteHpc.jobs.previewBatchScript']) assert.doesNotMatch(when(command), /resource(Extname|Filename)/, command);
  const matches = (w: string, value: string) => {
    const eq = [...w.matchAll(/viewItem == ([\w.]+)/g)].map((m) => m[1]);
    const res = [...w.matchAll(/viewItem =~ \/(.+?)\/(?=\s|$)/g)].map((m) => new RegExp(m[1]));
    return eq.includes(value) || res.some((r) => r.test(value));
  };
  assert.equal(entryContextValue('/a/run.sh', false), 'file.script');
  assert.equal(entryContextValue('/a/x.job.json', false), 'file.jobFile');
  assert.equal(entryContextValue('/a/notes.txt', false), 'file');
  assert.equal(entryContextValue('/a/plot.png', false), 'image');
  assert.equal(entryContextValue('/a/run.sh', true), 'folder');
  assert.ok(matches(when('remoteHpc.jobs.submit'), 'file.script') && matches(when('remoteHpc.jobs.submit'), 'file.jobFile'));
  assert.ok(!matches(when('remoteHpc.jobs.submit'), 'file'));
  assert.ok(matches(when('remoteHpc.jobs.previewBatchScript'), 'file.jobFile') && !matches(when('remoteHpc.jobs.previewBatchScript'), 'file.script'));
  // Open, Download… still apply to scripts and job files.
  const open = ctx.filter((i) => /remoteHpc\.explorer/.test(i.when ?? '') && /\(file\|image\|video\)/.test(i.when ?? ''));
  assert.ok(open.length > 0 && open.every((i) => matches(i.when ?? '', 'file.script') && matches(i.when ?? '', 'file.jobFile')));
});
