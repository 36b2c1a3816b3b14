/**
 * Nagle on vs off (README: "an exec round trip drops from ~52 ms to ~7 ms"): the median time of
 * one `exec true` on a warm ssh2 session to the sandbox, with the socket's Nagle algorithm left
 * on (the OS default) and turned off with setNoDelay, as src/core/ssh/connect.ts does.
 *
 *   node --import tsx bench/nagle.ts [--n 30]
 *
 * Prints a table; writes bench/results/nagle.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDirect, repoRoot } from '../test/support/sandbox';

const i = process.argv.indexOf('--n');
const N = i >= 0 ? Number(process.argv[i + 1]) : 30;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;

async function roundTrips(noDelay: boolean): Promise<number[]> {
  const conn = await connectDirect({ noDelay });
  try {
    await conn.session.exec(['true']); // warm up
    const out: number[] = [];
    for (let k = 0; k < N; k++) {
      const t0 = performance.now();
      const r = await conn.session.exec(['true']);
      out.push(performance.now() - t0);
      if (r.code !== 0) throw new Error(`exec true failed: ${r.stderr.toString()}`);
    }
    return out;
  } finally {
    conn.close();
  }
}

async function main(): Promise<void> {
  const rows: { nagle: string; median: number; min: number; max: number }[] = [];
  // Interleaved, twice each, so load on the machine hits both alike.
  const on: number[] = [];
  const off: number[] = [];
  for (let round = 0; round < 2; round++) {
    on.push(...(await roundTrips(false)));
    off.push(...(await roundTrips(true)));
  }
  for (const [nagle, xs] of [['on (OS default)', on], ['off (setNoDelay, what Remote HPC does)', off]] as const) {
    rows.push({ nagle, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  }
  console.log(`exec round trip on a warm session, ${2 * N} runs each (ms)\n`);
  console.log('| Nagle | median | min | max |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.nagle} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} | ${r.max.toFixed(1)} |`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'nagle.json'), JSON.stringify({ n: 2 * N, rows }, null, 2));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
