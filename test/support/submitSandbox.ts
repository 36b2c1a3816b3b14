/**
 * A "cluster" for submit tests of the jobs adapters: LocalOps over a temp folder, the real
 * HostSchedulers and SlurmScheduler, and a stand-in `sbatch` on PATH (a shell script that logs
 * its arguments, answers `--version` like SLURM 22.05's, refuses `--partition=nosuch` on its command line or in a script on stdin with
 * SLURM 22.05's words, else prints an id as `--parsable` does).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalOps } from './localOps';
import { Uri } from './vscode/fake';
import { PartitionCache } from '../../src/core/jobs/partitions';
import { HostSchedulers } from '../../src/core/jobs/schedulers';
import { silentLogger } from '../../src/core/log';
import type { JobsContext } from '../../src/jobs/context';

export const SUBMITTED_ID = '4242';

export function submitSandbox(script = '#!/bin/bash\nhostname\n') {
  const dir = mkdtempSync(join(tmpdir(), 'rhpc-submit-'));
  const argLog = join(dir, 'sbatch.args');
  writeFileSync(
    join(dir, 'sbatch'),
    [
      '#!/bin/sh',
      // The host's scheduler probe asks for the version, as of the real sbatch.
      'if [ "$1" = --version ]; then echo "slurm 22.05.8"; exit 0; fi',
      `echo "$@" >> '${argLog}'`,
      // The option on the command line, or in the #SBATCH lines of a script given on stdin.
      'script=$(cat)',
      `if printf '%s\\n' "$@" "$script" | grep -q -- '--partition=nosuch'; then echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2; exit 1; fi`,
      `echo ${SUBMITTED_ID}`,
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'sbatch'), 0o755);
  const path = join(dir, 'run.sh');
  writeFileSync(path, script);
  const ops = new LocalOps({ PATH: `${dir}:${process.env.PATH ?? ''}` });
  const remote = { ops: async () => ops, onDidInvalidate: () => ({ dispose: () => undefined }) };
  const state = new Map<string, unknown>();
  const tracked: string[] = [];
  const ctx = {
    log: silentLogger,
    remote,
    hosts: { list: () => [{ alias: 'h', status: 'connected' }], onDidChange: () => ({ dispose: () => undefined }) },
    schedulers: new HostSchedulers(remote, silentLogger),
    controller: { track: async (_h: string, ids: string[]) => void tracked.push(...ids) },
    records: { add: async () => undefined },
    // No partition list: the partition option is typed, as on a cluster without sinfo.
    partitions: new PartitionCache(() => ({})),
    state: { get: (k: string, d?: unknown) => state.get(k) ?? d, update: async (k: string, v: unknown) => void state.set(k, v), keys: () => [...state.keys()] },
    extensionUri: Uri.file(join(__dirname, '..', '..')),
  } as unknown as JobsContext;
  return {
    ctx,
    dir,
    path,
    tracked,
    argv: () => readFileSync(argLog, 'utf8').trim().split('\n'),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}
