/**
 * What we know about jobs submitted from a `*.job.json` (declared outputs, work dir, the file),
 * kept in global state so Fetch Outputs still finds them after a restart.
 */

export interface JobRecord {
  host: string;
  id: string;
  name?: string;
  workdir: string;
  outputs: string[];
  /** The job file, as a URI string (file: or hpc:). */
  specUri?: string;
  submittedAt: number;
}

/** The part of VS Code's Memento the records use (structurally; no `vscode` here). */
export interface StateStore {
  get<T>(key: string, defaultValue: T): T;
  update(key: string, value: unknown): PromiseLike<void>;
}

const KEY = 'remoteHpc.jobs.records';
const MAX = 500;

export class JobRecords {
  constructor(private readonly state: StateStore) {}

  private all(): JobRecord[] {
    const v = this.state.get<unknown>(KEY, []);
    return Array.isArray(v) ? (v.filter((r) => r && typeof r === 'object' && typeof (r as JobRecord).id === 'string') as JobRecord[]) : [];
  }

  get(host: string, id: string): JobRecord | undefined {
    const parent = /^(\d+)_/.exec(id)?.[1];
    return this.all().find((r) => r.host === host && (r.id === id || r.id === parent));
  }

  async add(rec: JobRecord): Promise<void> {
    const rest = this.all().filter((r) => !(r.host === rec.host && r.id === rec.id));
    await this.state.update(KEY, [rec, ...rest].slice(0, MAX));
  }
}
