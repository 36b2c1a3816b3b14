// Runs test suites with the Node test runner (TypeScript through tsx), in one process tree,
// so one summary (`# tests`, `# pass`, `# fail`) covers everything asked for.
// Usage: node scripts/run-tests.mjs [unit] [integration] [e2e] [test/…/x.test.ts …] [-- extra node --test args]
// (a suite name runs its folder; a path to a .test.ts file runs just that file)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const suites = (dash < 0 ? argv : argv.slice(0, dash)).filter(Boolean);
const extra = dash < 0 ? [] : argv.slice(dash + 1);
const wanted = suites.length ? suites : ['unit', 'integration', 'e2e'];

function walk(dir) {
  let out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(walk(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = wanted.flatMap((s) => {
  if (s.endsWith('.test.ts')) {
    if (!existsSync(s)) {
      console.error(`No such test file: ${s}`);
      process.exit(1);
    }
    return [s];
  }
  try {
    return walk(join('test', s)).sort();
  } catch {
    return [];
  }
});
if (files.length === 0) {
  console.error(`No test files in ${wanted.join(', ')}`);
  process.exit(1);
}
// Every file starts at once and waits in test/support/sandboxTurn.mjs for a turn in its lane:
// integration files one at a time, e2e files one at a time in each of two lanes (`e2e-lane: ui`), the
// lanes side by side on the sandbox (a file
// marked `sandbox-turn: exclusive` has the sandbox to itself), unit files in two slots, or one
// beside the sandbox lanes.
const usesSandbox = files.some((f) => !normalize(f).startsWith(join('test', 'unit') + sep));
const unitSlots = process.env.REMOTE_HPC_UNIT_SLOTS ?? (usesSandbox ? '1' : '2');
const concurrency = process.env.TEST_CONCURRENCY ?? String(files.length);
const lockDir = mkdtempSync(join(tmpdir(), 'rhpc-turn-'));
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/support/sandboxTurn.mjs', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec',
    // A file whose tests are done exits even if a failed test left a connection open (it would hold
    // its lane's turn). (No --test-timeout: the runner applies it to whole files, waits included.)
    '--test-force-exit', ...extra, ...files],
  // No Python run by a test (agent.py, thumbs.py) writes __pycache__ into the source tree.
  { stdio: 'inherit', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', REMOTE_HPC_SANDBOX_TURN_LOCK: join(lockDir, 'turn'), REMOTE_HPC_UNIT_SLOTS: unitSlots } },
);
rmSync(lockDir, { recursive: true, force: true });
process.exit(res.status ?? 1);
