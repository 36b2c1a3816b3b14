/**
 * ConnectionGate: a preview brought back by a reload waits for its host instead of connecting —
 * "offline" until the host is connected (saying when a connection is being made), then the work
 * starts once, whatever the host does later; the Connect button runs the usual Connect command.
 */
import '../support/vscode/register';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { HostStatus } from '../../src/core/ssh/pool';
import type { OfflineInfo } from '../../src/shared/protocol';
import { ConnectionGate } from '../../src/preview/connectionGate';

function fakeHosts(initial: HostStatus) {
  let status = initial;
  const listeners = new Set<(host: string, s: HostStatus) => void>();
  return {
    hostStatus: () => status,
    onHostStatus: (l: (host: string, s: HostStatus) => void) => {
      listeners.add(l);
      return new vscode.Disposable(() => listeners.delete(l));
    },
    set(host: string, s: HostStatus) {
      if (host === 'hpc') status = s;
      for (const l of [...listeners]) l(host, s);
    },
    listeners,
  };
}

test('a disconnected host: offline, then connecting, then the work starts once when it connects', () => {
  const hosts = fakeHosts('disconnected');
  const seen: (OfflineInfo | 'start')[] = [];
  const gate = new ConnectionGate(hosts, 'hpc', { offline: (i) => seen.push(i), start: () => seen.push('start') });
  assert.deepEqual(gate.offline, { host: 'hpc', connecting: false });
  hosts.set('other', 'connected'); // another host: nothing
  hosts.set('hpc', 'connecting');
  hosts.set('hpc', 'connected');
  hosts.set('hpc', 'disconnected'); // after the start, the gate is done
  hosts.set('hpc', 'connected');
  assert.deepEqual(seen, [{ host: 'hpc', connecting: false }, { host: 'hpc', connecting: true }, 'start']);
  assert.equal(gate.offline, undefined);
  assert.equal(hosts.listeners.size, 0, 'no listener left once started');
  gate.dispose();
});

test('a connected host starts at once, without listening; Connect runs remoteHpc.connect for the host', async () => {
  const hosts = fakeHosts('connected');
  let started = 0;
  const gate = new ConnectionGate(hosts, 'hpc', { offline: () => assert.fail('not offline'), start: () => started++ });
  assert.equal(started, 1);
  assert.equal(hosts.listeners.size, 0);
  const calls: unknown[] = [];
  const d = vscode.commands.registerCommand('remoteHpc.connect', (alias: unknown) => void calls.push(alias));
  try {
    await gate.connect();
  } finally {
    d.dispose();
  }
  assert.deepEqual(calls, ['hpc']);
});
