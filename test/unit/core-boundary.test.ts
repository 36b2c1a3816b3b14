// The lint rule that keeps src/core plain: run the project's own eslint config on deliberately
// bad core files and check each bypass form is reported, and that legitimate imports are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function boundaryErrors(code: string, file = 'src/core/jobs/probe.ts'): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: file });
  return res.messages.filter((m) => m.ruleId === 'local/core-boundary').map((m) => m.message);
}

const BAD: [string, string][] = [
  ['vscode', "import * as vscode from 'vscode';\nvoid vscode;"],
  ['vscode subpath', "import type { X } from 'vscode/foo';\nexport type Y = X;"],
  ['a feature file', "import { hpcUri } from '../../fs/hpcUri';\nvoid hpcUri;"],
  ['a feature folder index', "export * from '../../jobs';"],
  ['a detour through core', "import { a } from '../scheduler/../../explorer/x';\nvoid a;"],
  ['./ then up', "import { a } from './../../webviews/html';\nvoid a;"],
  ['deeper than src', "import { a } from '../../../src/util/logger';\nvoid a;"],
  ['extension.ts', "import { activate } from '../../extension';\nvoid activate;"],
  ['a re-export', "export { a } from '../../preview/x';"],
  ['a type-only import', "import type { A } from '../../hosts/hostService';\nexport type B = A;"],
  ['an import type', "export type B = import('../../hosts/hostService').HostService;"],
  ['a dynamic import', "export const m = () => import('../../util/commands');"],
  ['a computed dynamic import', "const p = '../../util/commands';\nexport const m = () => import(p);"],
  ['require', "const m = require('../../util/commands');\nvoid m;"],
  ['import = require', "import m = require('../../util/commands');\nvoid m;"],
  ['an absolute path', "import { a } from '/work/src/fs/hpcUri';\nvoid a;"],
  ['a src/ path', "import { a } from 'src/fs/hpcUri';\nvoid a;"],
];

for (const [what, code] of BAD) {
  test(`core boundary: importing ${what} from src/core fails lint`, async () => {
    const errors = await boundaryErrors(code);
    assert.equal(errors.length, 1, `expected one boundary error for ${what}, got ${JSON.stringify(errors)}`);
  });
}

test('core boundary: src/shared is held to the same rule', async () => {
  assert.equal((await boundaryErrors("import { a } from '../jobs/tree';\nvoid a;", 'src/shared/probe.ts')).length, 1);
});

test('core boundary: core, shared, node built-ins and packages are allowed', async () => {
  const code = [
    "import { posix } from 'node:path';",
    "import type { Client } from 'ssh2';",
    "import { Emitter } from '../event';",
    "import { isTerminal } from '../scheduler/types';",
    "import { quoteArg } from '../ssh/quote';",
    "import type { NewJobForm } from '../../shared/protocol';",
    "import { JobsModel } from './model';",
    'void posix; void Emitter; void isTerminal; void quoteArg; void JobsModel;',
    'export type T = Client | NewJobForm;',
  ].join('\n');
  assert.deepEqual(await boundaryErrors(code), []);
});

test('core boundary: feature folders may import anything', async () => {
  assert.deepEqual(await boundaryErrors("import * as vscode from 'vscode';\nvoid vscode;", 'src/jobs/probe.ts'), []);
});

// Import cycles: none between files anywhere in src, and none between the folders of src/core
// (each folder is a layer: ssh below agent below remote, and so on).
function importGraph(): Map<string, string[]> {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  const graph = new Map<string, string[]>();
  for (const file of walk('src')) {
    const deps: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const base = resolve(dirname(file), m[1]);
      const target = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
      if (target) deps.push(relative('.', target));
    }
    graph.set(file, deps);
  }
  return graph;
}

/** The strongly connected components with more than one node (Tarjan). */
function cycles(graph: Map<string, Set<string> | string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc = stack.splice(stack.indexOf(v));
      if (scc.length > 1) out.push(scc);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('no import cycle between files of src', () => {
  assert.deepEqual(cycles(importGraph()), []);
});

test('no import cycle between the folders of src/core', () => {
  const folderOf = (file: string) => /^src\/core\/([^/]+)\//.exec(file.split(sep).join('/'))?.[1];
  const folders = new Map<string, Set<string>>();
  for (const [file, deps] of importGraph()) {
    const from = folderOf(file);
    if (!from) continue;
    const set = folders.get(from) ?? new Set<string>();
    folders.set(from, set);
    for (const d of deps) {
      const to = folderOf(d);
      if (to && to !== from) set.add(to);
    }
  }
  assert.ok(folders.size >= 5, `expected the core folders, got ${[...folders.keys()]}`);
  assert.deepEqual(cycles(folders), []);
});

const norm = (f: string) => f.split(sep).join('/');
const seamErrors = async (code: string, filePath: string) =>
  ((await eslint.lintText(code, { filePath }))[0]?.messages ?? []).filter((m) => m.ruleId === 'local/scheduler-seam').map((m) => m.message);

const SEAM_BAD: [string, string, string][] = [
  ['a feature', 'src/jobs/probe.ts', "import { a } from '../core/scheduler/slurm/sbatch';\nvoid a;"],
  ['core/jobs', 'src/core/jobs/probe.ts', "import { a } from '../scheduler/slurm/sbatch';\nvoid a;"],
  ['a neutral scheduler file', 'src/core/scheduler/probe.ts', "import { a } from './slurm/fields';\nvoid a;"],
  ['another scheduler', 'src/core/scheduler/pbs/probe.ts', "import { a } from '../slurm/fields';\nvoid a;"],
  ['a family outside it', 'src/core/scheduler/slurm/probe.ts', "import { a } from '../pbsFamily/ids';\nvoid a;"],
  ['a feature using a family', 'src/jobs/probe.ts', "import { a } from '../core/scheduler/pbsFamily/ids';\nvoid a;"],
  ['a detour', 'src/core/scheduler/probe.ts', "import { a } from '../jobs/../scheduler/slurm/fields';\nvoid a;"],
  ['the folder itself', 'src/jobs/probe.ts', "export * from '../core/scheduler/slurm';"],
  ['a type import', 'src/hosts/probe.ts', "export type S = import('../core/scheduler/slurm/slurmScheduler').SlurmScheduler;"],
  ['a dynamic import', 'src/jobs/probe.ts', "export const m = () => import('../core/scheduler/slurm/slurmScheduler');"],
];

for (const [who, file, code] of SEAM_BAD) {
  test(`scheduler seam: ${who} importing a scheduler's folder fails lint`, async () => {
    const errors = await seamErrors(code, file);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0] as string, /Scheduler interface/);
  });
}

test('scheduler seam: the interface and neutral helpers for everyone; a scheduler folder for itself and the factory', async () => {
  assert.deepEqual(await seamErrors("import type { Scheduler } from '../core/scheduler/types';\nimport { taskInSet } from '../core/scheduler/formats';\nvoid taskInSet;\nexport type S = Scheduler;", 'src/jobs/probe.ts'), []);
  assert.deepEqual(await seamErrors("import { taskInSet } from './formats';\nvoid taskInSet;", 'src/core/scheduler/probe.ts'), []);
  assert.deepEqual(await seamErrors("import { checkJobIds } from './fields';\nimport { isTimeLimit } from '../formats';\nvoid checkJobIds; void isTimeLimit;", 'src/core/scheduler/slurm/probe.ts'), []);
  assert.deepEqual(await seamErrors("import { SlurmScheduler } from '../scheduler/slurm/slurmScheduler';\nvoid SlurmScheduler;", 'src/core/jobs/schedulers.ts'), []);
  for (const member of ['pbs', 'torque']) assert.deepEqual(await seamErrors("import { checkNeutralIds } from '../pbsFamily/ids';\nvoid checkNeutralIds;", `src/core/scheduler/${member}/probe.ts`), []);
});

test('scheduler seam: only the factory imports a scheduler folder today', () => {
  const importers = [...importGraph()].filter(([file, deps]) => !/^src\/core\/scheduler\/slurm\//.test(norm(file)) && deps.some((d) => /^src\/core\/scheduler\/slurm\//.test(norm(d))));
  assert.deepEqual(importers.map(([f]) => norm(f)), ['src/core/jobs/schedulers.ts']);
});
