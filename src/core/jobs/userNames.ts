/**
 * User names of numeric uids on one host (schedulers name who cancelled a job by uid): one
 * `getent passwd <uid> <uid>…` for every uid not asked before, however many ask at once, and
 * the answers kept — a uid getent does not know too (it is shown as it is). No `vscode`.
 */
import type { CommandRunner } from '../scheduler/command';

/** At most this many uids in one command line. */
const MAX_PER_COMMAND = 200;

/** `name:x:uid:…` lines → uid → name (malformed lines skipped). */
export function parseGetentPasswd(stdout: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !names.has(uid)) names.set(uid, name);
  }
  return names;
}

export class UserNameCache {
  /** uid → name, or null when getent does not know it. */
  private readonly known = new Map<string, string | null>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly onError: (e: Error) => void = () => undefined,
  ) {}

  /** The names known so far (unknown uids left out). */
  names(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [uid, name] of this.known) if (name !== null) out.set(uid, name);
    return out;
  }

  /**
   * Looks up the uids not known yet (one command) and resolves with every name known then. A
   * failed command (connection lost, no getent) leaves those uids to be asked again later.
   */
  async resolve(uids: Iterable<string>): Promise<Map<string, string>> {
    const wanted = [...new Set(uids)].filter((u) => /^\d+$/.test(u));
    const waits = wanted.map((u) => this.inFlight.get(u)).filter((p): p is Promise<void> => p !== undefined);
    const ask = wanted.filter((u) => !this.known.has(u) && !this.inFlight.has(u));
    for (let i = 0; i < ask.length; i += MAX_PER_COMMAND) {
      const batch = ask.slice(i, i + MAX_PER_COMMAND);
      const p = this.lookUp(batch).finally(() => {
        for (const u of batch) if (this.inFlight.get(u) === p) this.inFlight.delete(u);
      });
      for (const u of batch) this.inFlight.set(u, p);
      waits.push(p);
    }
    await Promise.all(waits);
    return this.names();
  }

  private async lookUp(uids: string[]): Promise<void> {
    try {
      const res = await this.runner.run(['getent', 'passwd', ...uids], { timeoutMs: 20_000 });
      // getent exits 2 when some key is not found, and still prints the others.
      if (res.code !== 0 && res.code !== 2) throw new Error(`getent passwd exited with ${res.code}: ${res.stderr.toString('utf8').trim().slice(0, 200)}`);
      const found = parseGetentPasswd(res.stdout.toString('utf8'));
      for (const u of uids) this.known.set(u, found.get(u) ?? null);
    } catch (e) {
      this.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
