/**
 * The agent's operation table (src/core/agent/operations.ts) against agent.py, both ways: the
 * same ops, each handler reading exactly the declared parameters, required ones as p["x"] and
 * optional ones as p.get("x"). The reads are found in the Python source by
 * test/support/agent_param_reads.py (python3's ast), following `p` into helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { OPERATIONS } from '../../src/core/agent/operations';
import { agentSource } from '../../src/core/agent/install';
import type { AgentClient } from '../../src/core/agent/client';

interface Reads {
  required: string[];
  optional: string[];
}
type Side = Record<string, Reads>;

const analyser = join(__dirname, '..', 'support', 'agent_param_reads.py');

function pythonReads(source: string): { ops: Side; problems: string[] } {
  const out = execFileSync('python3', ['-B', analyser], { input: source, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return JSON.parse(out.toString('utf8')) as { ops: Side; problems: string[] };
}

/** The table's parameter names, as known at run time. */
function tableReads(): Side {
  const out: Side = {};
  for (const [op, { params }] of Object.entries(OPERATIONS)) {
    const entries = Object.entries(params as Record<string, { required: boolean }>);
    out[op] = { required: entries.filter(([, p]) => p.required).map(([n]) => n), optional: entries.filter(([, p]) => !p.required).map(([n]) => n) };
  }
  return out;
}

/** Every difference between the table and the handlers, one sentence each (none when they agree). */
function mismatches(table: Side, python: Side): string[] {
  const out: string[] = [];
  for (const op of Object.keys(table)) if (!python[op]) out.push(`${op}: in the table, but agent.py has no handler`);
  for (const op of Object.keys(python)) if (!table[op]) out.push(`${op}: agent.py handles it, but the table has no such op`);
  for (const op of Object.keys(table).filter((o) => python[o])) {
    const kind = (r: Reads) => new Map([...r.required.map((n) => [n, 'required'] as const), ...r.optional.map((n) => [n, 'optional'] as const)]);
    const t = kind(table[op]);
    const p = kind(python[op]);
    for (const [n, k] of t) {
      if (!p.has(n)) out.push(`${op}: the table declares ${n}, which agent.py never reads`);
      else if (p.get(n) !== k) out.push(`${op}: ${n} is ${k} in the table but read as ${p.get(n)} by agent.py`);
    }
    for (const n of p.keys()) if (!t.has(n)) out.push(`${op}: agent.py reads ${n}, which the table does not declare`);
  }
  return out;
}

test('agent operations: every op of the table has a handler in agent.py reading exactly its parameters, and no handler is missing from the table', () => {
  const py = pythonReads(agentSource());
  assert.deepEqual(py.problems, []);
  assert.ok(Object.keys(py.ops).length >= 10, 'the handlers were found');
  assert.deepEqual(mismatches(tableReads(), py.ops), []);
});

test('agent operations: a parameter or op on one side only is reported', () => {
  const source = agentSource();
  const table = tableReads();
  const edit = (from: string, to: string) => {
    assert.ok(source.includes(from), from);
    return pythonReads(source.replace(from, to));
  };
  // A new read in a handler, and one in a helper the handler passes its parameters to.
  const home = 'def op_home(ctx, p, payload):\n';
  assert.deepEqual(mismatches(table, edit(home, `${home}    p.get("colour")\n`).ops), ['home: agent.py reads colour, which the table does not declare']);
  const walk = 'def search_walk(ctx, p):\n';
  assert.deepEqual(mismatches(table, edit(walk, `${walk}    depth = p["depth"]\n`).ops), ['search: agent.py reads depth, which the table does not declare']);
  // A read that became required, a handler without a table entry, a declared parameter nobody reads.
  assert.deepEqual(mismatches(table, edit('p.get("overwrite")', 'p["overwrite"]').ops), ['rename: overwrite is optional in the table but read as required by agent.py']);
  assert.deepEqual(mismatches(table, edit('"run": op_run,', '"run": op_run,\n    "spawn": op_run,').ops), ['spawn: agent.py handles it, but the table has no such op']);
  const fewer = { ...table, follow: { required: ['path'], optional: ['offset', 'interval'] } };
  assert.deepEqual(mismatches(fewer, pythonReads(source).ops), ['follow: the table declares interval, which agent.py never reads']);
  // A use of the parameters that cannot be checked is a problem of its own.
  assert.match(edit(home, `${home}    dict(p)\n`).problems.join('\n'), /op_home line \d+: the parameters are used in a way that cannot be checked/);
});

test('agent operations: misspelt ops and parameters do not compile (checked by tsc in npm run check)', () => {
  const unused = (client: AgentClient) => {
    // @ts-expect-error no such op
    void client.request('lsit', { path: '/' });
    // @ts-expect-error no such parameter
    void client.request('list', { path: '/', hiden: true });
    // @ts-expect-error a required parameter is missing
    void client.request('stat', {});
    // @ts-expect-error a parameter of the wrong type
    void client.request('read', { path: '/', offset: '0' });
    // @ts-expect-error list is not a subscription
    void client.subscribe('list', { path: '/' }, () => undefined);
    void client.subscribe('follow', { path: '/' }, (ev) => {
      // @ts-expect-error follow events carry no `events`
      void ev.events;
    });
  };
  assert.equal(typeof unused, 'function');
});
