// Loaded with --import into every test file's process by scripts/run-tests.mjs. The sandbox
// cluster is one shared machine (fixed ports, one SLURM node, process counts checked per user),
// so files under test/integration and test/e2e take turns on it: each holds an exclusive lock for
// its whole run. Unit files never wait, so they run beside whichever sandbox file has its turn.
//
// The lock is flock(1) held by a child `flock … cat` whose stdin is our pipe: however this
// process ends (even SIGKILL on a test timeout), the pipe closes, cat exits and the turn passes.
import { spawn } from 'node:child_process';
import { relative, sep } from 'node:path';

const file = process.argv[1] ? relative(process.cwd(), process.argv[1]) : '';
const needsSandbox = ['integration', 'e2e'].some((dir) => file.startsWith(`test${sep}${dir}${sep}`));
const lockFile = process.env.REMOTE_HPC_SANDBOX_TURN_LOCK;

if (needsSandbox && lockFile) {
  const holder = spawn('flock', [lockFile, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const started = Date.now();
  await new Promise((resolve, reject) => {
    holder.once('error', (e) => reject(new Error(`cannot take the sandbox turn (flock ${lockFile}): ${e.message}`)));
    holder.once('exit', (code) => reject(new Error(`flock ${lockFile} exited (${code}) before the sandbox turn was taken`)));
    holder.stdout.once('data', resolve);
  });
  holder.removeAllListeners('exit');
  holder.stdout.destroy();
  // Neither the child nor its pipe keeps this process alive; the pipe closes when it exits.
  holder.unref();
  holder.stdin.unref();
  const waited = Date.now() - started;
  if (waited > 1000) process.stderr.write(`[sandbox turn] ${file} waited ${(waited / 1000).toFixed(1)} s for the sandbox\n`);
}
