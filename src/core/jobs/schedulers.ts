/**
 * The one place that picks a scheduler implementation (and so the only importer of a scheduler's
 * folder, enforced by eslint): one SLURM scheduler per host, running its commands through the
 * host's current RemoteOps (so a reconnect is picked up without rebuilding anything), plus the
 * remote user name and home directory, looked up once per host, and the names of other uids (who
 * cancelled a job), one batched lookup for those not asked before. No `vscode`.
 */
import type { Logger } from '../log';
import type { RemoteOpsProvider } from '../remote/types';
import type { CommandRunner } from '../scheduler/command';
import { SlurmScheduler, slurmScriptFormat } from '../scheduler/slurm/slurmScheduler';
import type { BatchScriptFormat, Scheduler } from '../scheduler/types';
import { UserNameCache } from './userNames';

export class HostSchedulers {
  private readonly schedulers = new Map<string, SlurmScheduler>();
  private readonly users = new Map<string, Promise<string>>();
  private readonly homes = new Map<string, Promise<string>>();
  private readonly names = new Map<string, UserNameCache>();

  constructor(
    private readonly remote: RemoteOpsProvider,
    private readonly log: Logger,
  ) {}

  /** The runner of `host`: every command asks the provider for the current ops. */
  runner(host: string): CommandRunner {
    return { run: async (argv, opts) => (await this.remote.ops(host)).run(argv, opts) };
  }

  scheduler(host: string): Scheduler {
    let s = this.schedulers.get(host);
    if (!s) {
      s = new SlurmScheduler(this.runner(host), { log: this.log });
      this.schedulers.set(host, s);
    }
    return s;
  }

  /**
   * How batch scripts carry options on `host`; without a host (a local job file previewed
   * before one is picked), the default scheduler's.
   */
  scriptFormat(host?: string): BatchScriptFormat {
    return host === undefined ? slurmScriptFormat : this.scheduler(host);
  }

  /** The login name on `host` (`id -un`, else $USER). Cached; a failure is not. */
  user(host: string): Promise<string> {
    return this.cached(this.users, host, async () => {
      const ops = await this.remote.ops(host);
      const res = await ops.run(['id', '-un'], { timeoutMs: 20_000 });
      const name = res.stdout.toString('utf8').trim();
      if (res.code === 0 && /^[^\s,]+$/.test(name) && !name.startsWith('-')) return name;
      const env = await ops.getenv(['USER', 'LOGNAME']);
      const fallback = env.USER ?? env.LOGNAME;
      if (!fallback) throw new Error(`Could not tell the user name on ${host}`);
      return fallback;
    });
  }

  home(host: string): Promise<string> {
    return this.cached(this.homes, host, async () => (await this.remote.ops(host)).home());
  }

  /**
   * Uid → user name on `host` for every uid known so far, after looking up those of `uids` not
   * asked before (one `getent passwd` for all of them); an unknown uid is left out.
   */
  userNames(host: string, uids: Iterable<string>): Promise<Map<string, string>> {
    let cache = this.names.get(host);
    if (!cache) {
      cache = new UserNameCache(this.runner(host), (e) => this.log.warn(`${host}: user names not looked up: ${e.message}`));
      this.names.set(host, cache);
    }
    return cache.resolve(uids);
  }

  /** Drops cached lookups of a host (e.g. after it disconnected). */
  forget(host: string): void {
    this.users.delete(host);
    this.homes.delete(host);
    this.names.delete(host);
  }

  private cached(map: Map<string, Promise<string>>, host: string, fn: () => Promise<string>): Promise<string> {
    let p = map.get(host);
    if (!p) {
      p = fn();
      map.set(host, p);
      p.catch(() => {
        if (map.get(host) === p) map.delete(host);
      });
    }
    return p;
  }
}
