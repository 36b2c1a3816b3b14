/** Uid → user name on a host: one batched `getent passwd` for the uids not asked before. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGetentPasswd, UserNameCache } from '../../src/core/jobs/userNames';
import type { CommandRunner } from '../../src/core/scheduler/command';

/** A runner whose `getent passwd` knows these users; it records every argv. */
function fakeGetent(passwd: Record<string, string>, opts: { fail?: boolean } = {}) {
  const calls: string[][] = [];
  const runner: CommandRunner = {
    async run(argv) {
      calls.push(argv);
      await new Promise((r) => setTimeout(r, 5));
      if (opts.fail) throw new Error('channel closed');
      const keys = argv.slice(2);
      const lines = keys.filter((k) => passwd[k]).map((k) => `${passwd[k]}:x:${k}:${k}:Some One,,,:/home/${passwd[k]}:/bin/bash\n`);
      return { code: lines.length === keys.length ? 0 : 2, stdout: Buffer.from(lines.join('')), stderr: Buffer.alloc(0) };
    },
  };
  return { runner, calls };
}

test('getent passwd lines: uid → name', () => {
  assert.deepEqual([...parseGetentPasswd('hpcuser:x:1001:1001:Remote HPC sandbox user:/home/hpcuser:/bin/bash\nroot:x:0:0:root:/root:/bin/bash\n\ngarbage\n')], [
    ['1001', 'hpcuser'],
    ['0', 'root'],
  ]);
});

test('one command for every uid asked at once, as argv; answers (unknown ones too) kept; nothing else reaches the command line', async () => {
  const { runner, calls } = fakeGetent({ '1001': 'hpcuser', '0': 'root' });
  const cache = new UserNameCache(runner);
  const [a, b] = await Promise.all([cache.resolve(['1001', '4242', '1001']), cache.resolve(['0', '1001', '$(id)', '-s'])]);
  assert.deepEqual(calls, [
    ['getent', 'passwd', '1001', '4242'],
    ['getent', 'passwd', '0'],
  ]);
  assert.deepEqual([...a], [['1001', 'hpcuser']], 'an unknown uid is left out (shown as it is)');
  assert.deepEqual([...b].sort(), [['0', 'root'], ['1001', 'hpcuser']]);
  await cache.resolve(['4242', '0', '1001']);
  assert.equal(calls.length, 2, 'known and unknown uids are not asked again');
});

test('a failed lookup is not remembered: the uids are asked again later', async () => {
  let fail = true;
  const calls: string[][] = [];
  const good = fakeGetent({ '1001': 'hpcuser' });
  const runner: CommandRunner = {
    async run(argv, o) {
      calls.push(argv);
      if (fail) throw new Error('channel closed');
      return good.runner.run(argv, o);
    },
  };
  const errors: string[] = [];
  const cache = new UserNameCache(runner, (e) => errors.push(e.message));
  assert.deepEqual([...(await cache.resolve(['1001']))], []);
  assert.deepEqual(errors, ['channel closed']);
  fail = false;
  assert.deepEqual([...(await cache.resolve(['1001']))], [['1001', 'hpcuser']]);
  assert.equal(calls.length, 2);
});
