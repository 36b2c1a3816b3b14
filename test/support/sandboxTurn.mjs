// Loaded with --import into every test file's process by scripts/run-tests.mjs, which starts all
// files at once: each waits here, before its tests load, for a turn in its lane.
//   - integration files one at a time, and e2e files one at a time in each of two lanes, the three
//     lanes side by side: the sandbox cluster is one machine (fixed ports, one SLURM node), and each
//     lane's jobs, folders and agents are its own. An e2e file whose header says `e2e-lane: ui`
//     (explorer, previews, hosts: no job of its own watched in the Jobs view) takes the `e2e-ui`
//     lane; the others (jobs, pools, tasks, cluster settings) share the `e2e` lane, so no two of
//     them watch the same user's queue from two windows at once;
//   - a sandbox file whose header says `sandbox-turn: exclusive` disturbs or counts what the whole
//     sandbox runs (restarts sshd, rotates its host key, counts every agent or ffmpeg of the user):
//     it has the sandbox to itself. It takes a gate first, and files of every lane give way to
//     a taken gate (holdLane), so it waits only for the files running when it asked;
//   - one whose header says `sandbox-turn: fault-cluster` works only on the fault cluster
//     (scripts/sandbox/faults-cluster.sh: its own controller and sshd) and stops its controller:
//     such files take turns in a lane of their own, beside all the others;
//   - e2e files first wait for code-server's install (npm test runs it in the background);
//   - unit files in $REMOTE_HPC_UNIT_SLOTS slots (2 by default, 1 beside the sandbox lanes).
//
// A turn is flock(1) held by a child `flock … cat` whose stdin is our pipe: however this process
// ends (even SIGKILL on a test timeout), the pipe closes, cat exits and the turn passes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const file = process.argv[1] ? relative(process.cwd(), process.argv[1]) : '';
const lane = ['unit', 'integration', 'e2e'].find((dir) => file.startsWith(`test${sep}${dir}${sep}`));
const base = process.env.REMOTE_HPC_SANDBOX_TURN_LOCK;

/**
 * Holds `lockFile` until this process ends or the returned release() is called; resolves once
 * held (undefined: busy, with `nowait`).
 */
async function hold(lockFile, nowait = false) {
  const holder = spawn('flock', [...(nowait ? ['-n'] : []), lockFile, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const held = await new Promise((done, fail) => {
    holder.once('error', (e) => fail(new Error(`cannot take a test turn (flock ${lockFile}): ${e.message}`)));
    holder.once('exit', (code) => (nowait && code === 1 ? done(false) : fail(new Error(`flock ${lockFile} exited (${code}) before the turn was taken`))));
    holder.stdout.once('data', () => done(true));
  });
  if (!held) return undefined;
  holder.removeAllListeners('exit');
  holder.stdout.destroy();
  // Neither the child nor its pipe keeps this process alive; the pipe closes when it exits.
  holder.unref();
  holder.stdin.unref();
  // Released once the holder is gone (the lock with it): the caller may block its loop next.
  const release = () =>
    new Promise((gone) => {
      holder.ref();
      holder.once('exit', gone);
      holder.stdin.destroy();
    });
  return { release };
}

/** Waits while an exclusive file holds (or waits for) the sandbox: its gate. */
const waitGate = (gate) => spawnSync('flock', ['--shared', gate, 'true'], { stdio: 'ignore' });
/** True when no exclusive file holds the gate (it takes the gate before it waits for the lanes). */
const gateFree = (gate) => spawnSync('flock', ['-n', '--shared', gate, 'true'], { stdio: 'ignore' }).status === 0;

/**
 * A lane's turn that gives way to exclusive files: flock is not first come first served, so an
 * exclusive file waiting for a busy lane would otherwise wait for as long as other files keep
 * taking it (it did, for 13 minutes, while holding the jobs lane idle). Once an exclusive file has
 * the gate, a file that gets a lane lets it go again and waits until the exclusive one is done.
 */
async function holdLane(lockFile, gate) {
  for (;;) {
    waitGate(gate);
    const turn = await hold(lockFile);
    if (gateFree(gate)) return;
    await turn.release();
  }
}

/** One of `n` slots: a free one if there is, else wait for one of them. */
async function holdSlot(prefix, n) {
  for (let i = 0; i < n; i++) if (await hold(`${prefix}.${i}`, true)) return;
  await hold(`${prefix}.${process.pid % n}`);
}

if (lane && base) {
  const started = Date.now();
  let what;
  if (lane === 'unit') {
    await holdSlot(`${base}.unit`, Math.max(1, Number(process.env.REMOTE_HPC_UNIT_SLOTS ?? 2)));
    what = 'a unit slot';
  } else {
    if (lane === 'e2e') {
      // Before any turn, so a file waiting for the install holds up nobody.
      const install = join(resolve(process.env.E2E_CACHE_DIR ?? join(process.cwd(), '.cache', 'e2e')), '.install.lock');
      if (existsSync(install)) spawnSync('flock', ['--shared', install, 'true'], { stdio: 'ignore' });
    }
    const header = readFileSync(process.argv[1], 'utf8').slice(0, 4000);
    const exclusive = /sandbox-turn: exclusive/.test(header);
    const own = /sandbox-turn: fault-cluster/.test(header) ? 'fault-cluster' : lane === 'e2e' && /e2e-lane: ui/.test(header) ? 'e2e-ui' : lane;
    const gate = `${base}.exclusive`;
    if (exclusive) {
      // The gate first (one exclusive file at a time), then the lanes, always in this order.
      await hold(gate);
      for (const l of ['e2e', 'e2e-ui', 'integration']) await hold(`${base}.${l}`);
    } else {
      await holdLane(`${base}.${own}`, gate);
    }
    what = exclusive ? 'the whole sandbox' : `the ${own} turn`;
  }
  const waited = Date.now() - started;
  if (waited > 1000) process.stderr.write(`[test turn] ${file} waited ${(waited / 1000).toFixed(1)} s for ${what}\n`);
}
