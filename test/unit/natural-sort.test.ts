/**
 * Natural sort (issue 15: step10 listed before step2): the agent's natural_key (Python) and the
 * SFTP fallback's compareNatural (TypeScript) put random names in exactly the same order, and
 * the real agent pages a naturally sorted folder consistently.
 */
import '../support/vscode/register';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareNatural, compareNames, sortEntries } from '../../src/core/remote/common';
import { AgentClient, processTransport } from '../../src/core/agent/client';
import { AgentOps } from '../../src/core/remote/agentOps';
import { silentLogger } from '../../src/core/log';
import type { ListOptions, RemoteEntry, RemoteOps } from '../../src/core/remote/types';
import { setSetting } from '../support/vscode/fake';
import { explorerOver } from '../support/explorer';
import { LocalOps } from '../support/localOps';
import { waitUntil } from '../support/wait';

const agentDir = join(__dirname, '..', '..', 'src', 'core', 'agent');

/** The names sorted by the agent: by natural_key, or (`how` 'agent') as a listing does (natural_sorted, which sorts names of one shape without keys). */
function pythonSorted(names: string[], how: 'key' | 'agent' = 'key'): string[] {
  const sort = how === 'key' ? 'sorted(names, key=agent.natural_key)' : 'agent.natural_sorted(names)';
  const script = ['import json, sys', `sys.path.insert(0, ${JSON.stringify(agentDir)})`, 'import agent', 'names = json.loads(sys.stdin.read())', `print(json.dumps(${sort}))`].join('\n');
  const env = { ...process.env };
  delete env.PYTHONDONTWRITEBYTECODE;
  return JSON.parse(execFileSync('python3', ['-B', '-c', script], { input: JSON.stringify(names), maxBuffer: 64 << 20, env }).toString()) as string[];
}

test('natural order: numbers by value', () => {
  const names = ['step10', 'step2', 'step1', 'step02', 'Step3', 'step', 'step1a', 'step1.out', 'run_100_b', 'run_9_b', 'a', '10', '9'];
  assert.deepEqual([...names].sort(compareNatural), ['9', '10', 'Step3', 'a', 'run_9_b', 'run_100_b', 'step', 'step1', 'step1.out', 'step1a', 'step02', 'step2', 'step10']);
  assert.ok(compareNames('step10', 'step2') < 0, 'code point order is still available');
});

test('random names: the agent (Python) and the SFTP fallback (TypeScript) agree', () => {
  let seed = 4242;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const tokens = ['step', '1', '2', '10', '007', '0', '00', '9', '99', 'a', 'A', 'b', '_', '.', '-', ' ', 'é', '🚀', '١', 'x', '0001'];
  const names = new Set<string>();
  while (names.size < 3000) {
    let s = '';
    const n = 1 + rnd(6);
    for (let i = 0; i < n; i++) s += tokens[rnd(tokens.length)];
    names.add(s);
  }
  const ts = [...names].sort(compareNatural);
  assert.deepEqual(pythonSorted([...names]), ts);
  for (let i = 1; i < ts.length; i++) assert.ok(compareNatural(ts[i - 1], ts[i]) < 0 && compareNatural(ts[i], ts[i - 1]) > 0, `strict total order at ${ts[i]}`);
});

test('a big folder of a few name shapes (run widths mixed, overlapping: a01 / a1): natural_sorted gives the keyed order', () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const shapes = ['f#.dat', 'f#.tmp', 'run_#_#.out', 'step#', 'Step#', '#', 'a-#', 'a#b', 'é#'];
  const names = new Set<string>();
  while (names.size < 5000) {
    const shape = shapes[rnd(shapes.length)] as string;
    names.add(shape.replace(/#/g, () => String(rnd(1000)).padStart(1 + rnd(4), '0')));
  }
  const keyed = pythonSorted([...names]);
  assert.deepEqual(pythonSorted([...names].reverse(), 'agent'), keyed, 'shape groups merged as the keys order them');
  assert.deepEqual(keyed, [...names].sort(compareNatural), 'and as the SFTP fallback sorts');
  // One shape only (f000001.dat … as in bench/listing.ts): code point order is natural order.
  const one = Array.from({ length: 3000 }, (_, i) => `f${String((i * 7919) % 3000).padStart(6, '0')}.dat`);
  assert.deepEqual(pythonSorted(one, 'agent'), pythonSorted(one));
});

let dir = '';
let ops: AgentOps;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rhpc-natural-'));
  for (let i = 1; i <= 12; i++) writeFileSync(join(dir, `step${i}.out`), '');
  for (const d of ['run10', 'run2', 'run1']) mkdirSync(join(dir, d));
  const child = spawn('/bin/sh', ['-c', 'exec python3 -B -u "$0"', join(agentDir, 'agent.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  ops = new AgentOps(await AgentClient.connect(processTransport(child), silentLogger), silentLogger);
});
after(() => {
  ops.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('the agent lists naturally (folders first), pages stay consistent, and agrees with sortEntries', async () => {
  const whole = await ops.list(dir, { natural: true });
  const names = whole.entries.map((e) => e.name);
  assert.deepEqual(names, ['run1', 'run2', 'run10', ...Array.from({ length: 12 }, (_, i) => `step${i + 1}.out`)]);
  const paged: string[] = [];
  for (let offset = 0; offset < whole.total; offset += 4) paged.push(...(await ops.list(dir, { natural: true, offset, limit: 4 })).entries.map((e) => e.name));
  assert.deepEqual(paged, names, 'pages concatenate to the whole listing');
  const sftpOrder = sortEntries([...whole.entries].reverse() as RemoteEntry[], 'name', false, true).map((e) => e.name);
  assert.deepEqual(sftpOrder, names, 'the SFTP fallback sorts the same');
  const desc = (await ops.list(dir, { natural: true, descending: true })).entries.map((e) => e.name);
  assert.deepEqual(desc, ['run10', 'run2', 'run1', ...Array.from({ length: 12 }, (_, i) => `step${12 - i}.out`)]);
  const plain = (await ops.list(dir, {})).entries.map((e) => e.name);
  assert.deepEqual(plain.slice(0, 3), ['run1', 'run10', 'run2'], 'off: code point order');
});

test('the explorer asks for natural order unless remoteHpc.explorer.naturalSort is off', async () => {
  const seen: (boolean | undefined)[] = [];
  const local = new LocalOps();
  const recording = Object.assign(Object.create(local) as LocalOps, {
    list: (path: string, opts: ListOptions = {}) => {
      seen.push(opts.natural);
      return local.list(path, opts);
    },
  });
  setSetting('remoteHpc.roots', { '*': [dir] });
  const explorer = explorerOver(recording as RemoteOps);
  const { tree } = explorer;
  try {
    const [host] = await tree.getChildren();
    const [root] = await tree.getChildren(host);
    await tree.getChildren(root);
    assert.equal(seen.at(-1), true, 'on by default');
    setSetting('remoteHpc.explorer.naturalSort', false);
    await waitUntil('the folder listed again', async () => (await tree.getChildren(root), seen.at(-1) === false), 5000);
  } finally {
    setSetting('remoteHpc.explorer.naturalSort', undefined);
    setSetting('remoteHpc.roots', undefined);
    explorer.dispose();
  }
});
