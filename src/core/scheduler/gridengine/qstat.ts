/**
 * What qstat prints, parsed (recorded samples in test/fixtures/gridengine):
 *
 * - `qstat -xml -g d -r -u USER`: one `<job_list>` per job or array task (`-g d` lists every
 *   task on its own, `<tasks>` its index), its state letters, times (local `YYYY-MM-DDTHH:MM:SS`),
 *   queue, slots, `-r` requests (`<hard_request name="h_rt">300</hard_request>`) and
 *   `<predecessor_jobs>`. No working folder, environment or output paths: those come from
 * - `qstat -j IDS -xml`: the full job objects (`JB_cwd`, `JB_env_list`, `JB_stdout_path_list`…);
 * - `qstat -j ID` (text): `key: value` lines, what the Details tab shows.
 */
import { ParseError } from '../command';
import { child, children, childText, parseXml, type XmlElement } from './xml';

export interface QueueEntry {
  job: string;
  task?: string;
  name: string;
  owner: string;
  /** The state letters (`qw`, `hqw`, `r`, `Eqw`, `dr`). */
  state: string;
  submitTime?: string;
  startTime?: string;
  /** `all.q@node1` while running; empty while pending. */
  queue: string;
  slots: number;
  /** `-r`: the hard requests (`h_rt` → `300`, `h_vmem` → `1G`) and the hard queue request. */
  requests: Record<string, string>;
  hardQueue?: string;
  predecessors: string[];
}

function rootOf(stdout: string, name: string): XmlElement {
  const root = parseXml(stdout);
  if (root.name !== name) throw new ParseError(`expected <${name}>`, `<${root.name}>`);
  return root;
}

/** `qstat -xml -g d -r`: running jobs sit under `<queue_info>`, pending ones under `<job_info>`. */
export function parseQstatList(stdout: string): QueueEntry[] {
  const root = rootOf(stdout, 'job_info');
  const lists = [...children(root, 'queue_info'), ...children(root, 'job_info')].flatMap((sec) => [
    ...children(sec, 'job_list'),
    // with -f, running jobs nest inside their queue's <Queue-List>
    ...children(sec, 'Queue-List').flatMap((q) => children(q, 'job_list')),
  ]);
  return lists.map((el) => {
    const job = childText(el, 'JB_job_number');
    if (!job || !/^\d+$/.test(job)) throw new ParseError('a job_list without a job number', JSON.stringify(el).slice(0, 300));
    const task = childText(el, 'tasks');
    const requests: Record<string, string> = {};
    for (const r of children(el, 'hard_request')) if (r.attrs.name) requests[r.attrs.name] = r.text.trim();
    const hardQueue = childText(el, 'hard_req_queue');
    return {
      job,
      ...(task && /^\d+$/.test(task) ? { task } : {}),
      name: child(el, 'full_job_name')?.text ?? child(el, 'JB_name')?.text ?? '',
      owner: childText(el, 'JB_owner') ?? '',
      state: childText(el, 'state') ?? '',
      ...optional('submitTime', childText(el, 'JB_submission_time')),
      ...optional('startTime', childText(el, 'JAT_start_time')),
      queue: childText(el, 'queue_name') ?? '',
      slots: Number(childText(el, 'slots') ?? '1') || 1,
      requests,
      ...(hardQueue ? { hardQueue } : {}),
      predecessors: children(el, 'predecessor_jobs').map((p) => p.text.trim()).filter(Boolean),
    };
  });
}

function optional<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v ? { [key]: v } : {}) as { [P in K]?: string };
}

/** What `qstat -j … -xml` adds to a queue entry: the same for every task of the job. */
export interface JobInfo {
  job: string;
  name: string;
  owner: string;
  cwd: string;
  account: string;
  env: Record<string, string>;
  /** `-o` / `-e` as given (pseudo variables unexpanded); absent: the default. */
  stdoutPath?: string;
  stderrPath?: string;
  /** `-j y`. */
  merge: boolean;
  /** `-b y` / script from stdin: `STDIN`. */
  scriptFile: string;
  requests: Record<string, string>;
  predecessors: string[];
  /** Epoch seconds. */
  submitTime?: number;
}

function pathOf(list: XmlElement | undefined): string | undefined {
  const p = child(child(list, 'path_list'), 'PN_path');
  return p === undefined || p.text === '' ? undefined : p.text;
}

/** `qstat -j IDS -xml`: `<detailed_job_info><djob_info><element>…` per job. */
export function parseQstatJobs(stdout: string): JobInfo[] {
  if (stdout.trim() === '') return [];
  const root = rootOf(stdout, 'detailed_job_info');
  return children(child(root, 'djob_info'), 'element').map((el) => {
    const job = childText(el, 'JB_job_number');
    if (!job || !/^\d+$/.test(job)) throw new ParseError('a job without JB_job_number', JSON.stringify(el).slice(0, 300));
    const env: Record<string, string> = {};
    for (const v of child(el, 'JB_env_list')?.children ?? []) {
      const name = childText(v, 'VA_variable');
      if (name) env[name] = child(v, 'VA_value')?.text ?? '';
    }
    const requests: Record<string, string> = {};
    for (const r of child(el, 'JB_hard_resource_list')?.children ?? []) {
      const name = childText(r, 'CE_name');
      if (name) requests[name] = childText(r, 'CE_stringval') ?? '';
    }
    const predecessors = (child(el, 'JB_jid_predecessor_list')?.children ?? []).map((p) => childText(p, 'JRE_job_number') ?? '').filter(Boolean);
    const submit = Number(childText(el, 'JB_submission_time'));
    const stdoutPath = pathOf(child(el, 'JB_stdout_path_list'));
    const stderrPath = pathOf(child(el, 'JB_stderr_path_list'));
    return {
      job,
      name: child(el, 'JB_job_name')?.text ?? '',
      owner: childText(el, 'JB_owner') ?? '',
      cwd: child(el, 'JB_cwd')?.text ?? env.__SGE_PREFIX__O_HOME ?? '',
      account: childText(el, 'JB_account') ?? '',
      env,
      ...(stdoutPath !== undefined ? { stdoutPath } : {}),
      ...(stderrPath !== undefined ? { stderrPath } : {}),
      merge: childText(el, 'JB_merge_stderr') === 'true',
      scriptFile: child(el, 'JB_script_file')?.text ?? '',
      requests,
      predecessors,
      ...(submit > 0 ? { submitTime: submit } : {}),
    };
  });
}

/**
 * `qstat -j ID` text: a `====` rule, then `key:   value` lines (keys may hold spaces: `hard
 * resource_list`, `scheduling info`); a line without a key continues the one before.
 */
export function parseQstatJobText(stdout: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let last: string | undefined;
  for (const line of stdout.split('\n')) {
    if (/^=+\s*$/.test(line) || line.trim() === '') continue;
    const m = /^([A-Za-z_][\w .-]*?):\s+(.*)$/.exec(line) ?? /^([A-Za-z_][\w .-]*?):$/.exec(line);
    if (m && !/^\s/.test(line)) {
      last = m[1] as string;
      fields[last] = (m[2] ?? '').trimEnd();
    } else if (last !== undefined) fields[last] += `\n${line.trim()}`;
  }
  if (fields.job_number === undefined) throw new ParseError('expected job_number:', stdout.slice(0, 300));
  return fields;
}
