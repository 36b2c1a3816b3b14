/**
 * The settings module is the one reader of `remoteHpc.*`: every contributed setting has a typed
 * key there and every key is contributed (with its default, which nothing else restates).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tsSources } from '../support/sourceFiles';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
};
const moduleText = readFileSync(join(root, 'src', 'config', 'settings.ts'), 'utf8');

function keysBlock(): string[] {
  const block = /const KEYS: Record<SettingKey, true> = \{([\s\S]*?)\n\};/.exec(moduleText)?.[1] ?? '';
  return [...block.matchAll(/^\s*'?([\w.]+)'?: true,/gm)].map((m) => m[1]);
}


test('every contributed setting has a key in the settings module, and every key is contributed with a default', () => {
  const contributed = Object.keys(pkg.contributes.configuration.properties).map((k) => k.replace(/^remoteHpc\./, '')).sort();
  const keys = keysBlock().sort();
  assert.ok(keys.length > 10, 'keys parsed');
  assert.deepEqual(keys, contributed);
  for (const k of contributed) assert.ok('default' in pkg.contributes.configuration.properties[`remoteHpc.${k}`], `remoteHpc.${k} has a default`);
  // The interface lists the same keys.
  const iface = /export interface Settings \{([\s\S]*?)\n\}/.exec(moduleText)?.[1] ?? '';
  assert.deepEqual([...iface.matchAll(/^\s*'?([\w.]+)'?:/gm)].map((m) => m[1]).sort(), contributed);
});

test('no other file reads configuration or restates a default', () => {
  const offenders: string[] = [];
  for (const file of tsSources(join(root, 'src'))) {
    if (file.endsWith(join('config', 'settings.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/getConfiguration\([^)]*\)(\.\w+)?/g)) {
      // The filter store inspects which scope holds the value, to write back to the same one.
      if (file.endsWith('filterStore.ts') && /getConfiguration\(SECTION\)$/.test(m[0])) continue;
      offenders.push(`${file.slice(root.length + 1)}: ${m[0]}`);
    }
    for (const m of text.matchAll(/affectsConfiguration\(/g)) offenders.push(`${file.slice(root.length + 1)}: ${m[0]}`);
  }
  assert.deepEqual(offenders, []);
});

test('tilde expansion of path settings happens once, in the settings module', () => {
  const hits = tsSources(join(root, 'src'))
    .filter((f) => !f.includes(`${join('src', 'core')}`))
    .filter((f) => /expandTilde\(|replace\(\/\^~/.test(readFileSync(f, 'utf8')))
    .map((f) => f.slice(root.length + 1));
  assert.deepEqual(hits, [join('src', 'config', 'settings.ts')]);
});
