/** LazyScheduler (one object per host while detection runs) offers every Scheduler method, optional ones included. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyScheduler } from '../../src/core/jobs/lazyScheduler';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';
import type { Scheduler } from '../../src/core/scheduler/types';

test('every method the host scheduler has is on the lazy one, optional ones forwarded or refused plainly', async () => {
  const slurm = new SlurmScheduler({ run: async () => ({ code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }) } as never);
  // SlurmScheduler's own helpers (private in TypeScript, visible at run time) are not Scheduler methods.
  const internal = new Set(['constructor', 'exec', 'rememberPaths']);
  const proto = (o: object) => Object.getOwnPropertyNames(Object.getPrototypeOf(o)).filter((k) => !internal.has(k));
  const lazy = new LazyScheduler(async () => slurm, () => slurm);
  const missing = proto(slurm).filter((k) => typeof (lazy as unknown as Record<string, unknown>)[k] !== 'function');
  assert.deepEqual(missing, [], 'a method the wrapper does not offer switches its feature off on every host');
  const bare = { ...slurm, kind: 'none', usage: undefined, efficiency: undefined, partitions: undefined, interactiveCommand: undefined } as unknown as Scheduler;
  const none = new LazyScheduler(async () => bare, () => bare);
  assert.deepEqual([await none.usage(['1']), await none.efficiency(['1']), await none.partitions()], [[], [], []]);
  assert.throws(() => none.interactiveCommand({} as never, ['bash']), /no interactive sessions/);
});
