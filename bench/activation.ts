/**
 * Activation of the extension, as VS Code measures it, in code-server (test/e2e/harness.ts):
 * the Remote HPC view is opened (what activates the extension), then "Developer: Show Running
 * Extensions" is read: its row for Remote HPC shows VS Code's own figure (code loading + the
 * activate() call) and whether activation was on startup or by an event. Side by side with the
 * Git extension built into VS Code, measured the same way in the same window.
 *
 * No network: the sandbox's ssh config is set but no host is connected; the extension host's
 * TCP connections are counted after activation (code-server's own loopback links excluded by
 * their port) — they must be zero.
 *
 * The extension is built first as shipped (`node esbuild.mjs --production`, what `npm run package` packs).
 * Each rep is two starts: the first after install (no code cache yet: src/entry.ts compiles
 * dist/main.js and writes the cache) and a later one (its user data seeded with what the first
 * left, as on every start after the first).
 *
 *   node --import tsx bench/activation.ts [--reps 3]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { openView, repoRoot, runCommand, withWorkbench, eventually } from '../test/e2e/harness';
import { sandbox } from '../test/support/sandbox';
import { median, table } from './remote-support';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

/** Pids of the extension host processes under code-server (`--type=extensionHost`). */
function extensionHostPids(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args=']).toString();
  return out
    .split('\n')
    .filter((l) => /extensionHost/.test(l) && /code-server|bootstrap-fork/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** TCP connections of a process (its socket fds matched in /proc/net/tcp*) other than to code-server's port. */
function outsideConnections(pid: number, serverPort: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9])) continue;
      const ports = [f[1], f[2]].map((a) => parseInt(a.split(':')[1], 16));
      if (!ports.includes(serverPort)) out.push(`${f[1]} -> ${f[2]}`);
    }
  }
  return out;
}

interface Row {
  id: string;
  ms: number;
  text: string;
}

/** The folder holding the extension's code cache under a user-data dir, once it has a cache file in it. */
function codeCacheDir(userDataDir: string): string | undefined {
  const walk = (dir: string): string | undefined => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name === 'code-cache' && readdirSync(p).some((f) => f.endsWith('.bin'))) return p;
      const found = walk(p);
      if (found) return found;
    }
    return undefined;
  };
  return walk(userDataDir);
}

/**
 * One fresh code-server start. `seed`: user data from an earlier start. `keepCacheIn`: wait for the
 * code cache this start writes and copy it there (as a user-data tree) for a later start.
 */
async function once(seed?: string, keepCacheIn?: string): Promise<{ rows: Row[]; connections: string[] }> {
  const d = sandbox();
  let result: { rows: Row[]; connections: string[] } = { rows: [], connections: [] };
  await withWorkbench(
    { name: 'activation', extensionDevelopmentPath: repoRoot(), userDataSeed: seed, settings: { 'remoteHpc.sshConfigFile': d.sshConfig, 'remoteHpc.knownHostsFile': d.knownHosts } },
    async ({ page, server }) => {
      await openView(page, 'Hosts');
      await runCommand(page, 'Developer: Show Running Extensions');
      // One row per running extension: its name, then the activation time ("123 ms" / "123ms").
      const rows = await eventually(
        'Remote HPC in Running Extensions',
        async () =>
          page.locator('.runtime-extensions-editor .monaco-list-row').evaluateAll((els) =>
            els.map((el) => ({
              name: el.querySelector('.name')?.textContent ?? '',
              id: el.querySelector('.extension-id, .identifier')?.textContent ?? '',
              time: el.querySelector('.activationTime, .activation-time')?.textContent ?? '',
              text: (el as unknown as { innerText: string }).innerText,
            })),
          ),
        (r) => {
          if (process.env.ACTIVATION_DEBUG) process.stderr.write(JSON.stringify(r) + '\n');
          return r.some((x) => /Remote HPC/.test(x.name) && /\d/.test(x.time));
        },
      );
      const pick = (re: RegExp) => rows.find((r) => re.test(r.name));
      const out: Row[] = [];
      for (const [id, re] of [
        ['Remote HPC', /Remote HPC/],
        ['Git (built in)', /^Git$/],
      ] as const) {
        const r = pick(re);
        const m = r ? /([\d.]+)\s*ms/.exec(r.time) : null;
        if (r && m) out.push({ id, ms: Number(m[1]), text: r.text.replace(/\s+/g, ' ').trim() });
      }
      const connections = extensionHostPids().flatMap((pid) => outsideConnections(pid, server.port));
      result = { rows: out, connections };
      if (keepCacheIn) {
        const dir = await eventually('the code cache written after activation', async () => codeCacheDir(server.userDataDir), (x) => x !== undefined, 30_000);
        cpSync(dir!, join(keepCacheIn, relative(server.userDataDir, dir!)), { recursive: true });
      }
    },
  );
  return result;
}

async function main(): Promise<void> {
  const reps = Number(arg('reps', '3'));
  execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: repoRoot(), stdio: 'ignore' });
  const samples = new Map<string, number[]>();
  const notes = new Map<string, string>();
  let connections = 0;
  for (let i = 0; i < reps; i++) {
    const seed = mkdtempSync(join(tmpdir(), 'rhpc-activation-'));
    try {
      for (const [start, r] of [['first start', await once(undefined, seed)], ['later start', await once(seed)]] as const) {
        for (const row of r.rows) {
          const id = `${row.id}, ${start}`;
          samples.set(id, [...(samples.get(id) ?? []), row.ms]);
          notes.set(id, row.text);
        }
        connections += r.connections.length;
        process.stderr.write(`  run ${i + 1}, ${start}: ${r.rows.map((x) => `${x.id} ${x.ms} ms`).join(', ')}; extension host TCP links outside code-server: ${r.connections.length}\n`);
        if (!r.rows.some((x) => x.id === 'Remote HPC')) throw new Error('Remote HPC did not show in Running Extensions');
      }
    } finally {
      rmSync(seed, { recursive: true, force: true });
    }
  }
  console.log(`\nActivation as VS Code reports it (Developer: Show Running Extensions; code loading + activate(); median of ${reps} pairs of fresh code-server starts:`);
  console.log(`the first start after install, with no code cache, and a later one with the cache the first wrote):\n`);
  console.log(table(['extension', 'activation ms', 'runs', 'row as shown (last run)'], [...samples].map(([id, xs]) => [id, median(xs), xs.join(' / '), (notes.get(id) ?? '').slice(0, 90)])));
  console.log(`\nExtension host TCP connections outside code-server after activation (all runs): ${connections}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
