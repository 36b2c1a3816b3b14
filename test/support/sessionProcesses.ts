/**
 * The processes of one SSH session on the sandbox "login node", read from /proc over another
 * session (`probe`): for bench/footprint.ts and the footprint test.
 */
import type { Session } from '../../src/core/ssh/session';

export interface SessionProcess {
  pid: number;
  comm: string;
  rssKiB: number;
  hwmKiB: number;
  ticks: number;
}

/**
 * The processes of the SSH connection `pid` runs under: walking up from `pid`, the topmost sshd
 * of the chain is the listener; its child on the chain is the connection's own sshd, and the
 * session is that process and everything below it.
 */
const SUBTREE_PY = `
import os, sys, json
def stat(p):
    s = open("/proc/%d/stat" % p).read()
    rest = s[s.rindex(")") + 2:].split()
    return s[s.index("(") + 1:s.rindex(")")], int(rest[1]), int(rest[11]) + int(rest[12])
procs = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            procs[int(d)] = stat(int(d))
        except Exception:
            pass
chain, p = [], int(sys.argv[1])
while p in procs and p > 1:
    chain.append(p)
    p = procs[p][1]
sshd = [i for i, q in enumerate(chain) if procs[q][0].startswith("sshd")]
root = chain[sshd[-1] - 1] if sshd and sshd[-1] > 0 else chain[-1]
kids = {}
for q, (_, pp, _) in procs.items():
    kids.setdefault(pp, []).append(q)
out, todo = [], [root]
while todo:
    q = todo.pop()
    todo.extend(kids.get(q, []))
    try:
        st = open("/proc/%d/status" % q).read()
    except Exception:
        continue
    kib = lambda k: int(([l.split()[1] for l in st.splitlines() if l.startswith(k + ":")] or [0])[0])
    out.append({"pid": q, "comm": procs[q][0], "rssKiB": kib("VmRSS"), "hwmKiB": kib("VmHWM"), "ticks": procs[q][2]})
print(json.dumps({"hz": os.sysconf("SC_CLK_TCK"), "procs": out}))
`;

export async function sessionProcesses(probe: Session, pid: number): Promise<{ hz: number; procs: SessionProcess[] }> {
  const r = await probe.exec(['python3', '-c', SUBTREE_PY, String(pid)]);
  if (r.code !== 0) throw new Error(`process walk failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as { hz: number; procs: SessionProcess[] };
}

