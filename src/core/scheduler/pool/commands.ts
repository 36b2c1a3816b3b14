/**
 * The remote side of a pool job, as commands: argv arrays whose shell text is constant and whose
 * data (folders, job ids, the job's own argv) are positional arguments, so nothing the user wrote
 * is ever parsed by a shell. A job's folder is relative to the login's $HOME
 * (`.remote-hpc/pool/<run>/<job>/<attempt>`): `pid`, `start`, `end` (epoch seconds with
 * nanoseconds), `rc`, `cancelled`, `stdout`, `stderr` and `work/` (its copied files, its cwd).
 * The job runs in its own session (`setsid`), detached from the login, so it outlives the
 * connection and VS Code; cancelling kills its process group.
 */
import { ParseError, type SchedulerCommand } from '../command';

/** Where a run's folders live on a host, under $HOME. */
const POOL_ROOT = '.remote-hpc/pool';

/** Runs the job: records times, pid and exit code; a TERM to the group ends the job, not the record. */
const JOB_SCRIPT = `d=$PWD/$1 RHPC_POOL_JOB=$2 RHPC_POOL_REPEAT=$3
shift 3
export RHPC_POOL_JOB RHPC_POOL_REPEAT
cd -- "$d/work" || exit 1
exec </dev/null >"$d/stdout" 2>"$d/stderr"
date +%s.%N >"$d/start"
echo $$ >"$d/pid.tmp" && mv -f -- "$d/pid.tmp" "$d/pid"
trap : TERM INT HUP
"$@" &
c=$!
wait "$c"; r=$?
while kill -0 "$c" 2>/dev/null; do wait "$c"; r=$?; done
date +%s.%N >"$d/end"
echo "$r" >"$d/rc.tmp" && mv -f -- "$d/rc.tmp" "$d/rc"`;

/** Starts JOB_SCRIPT in a new session and prints its pid once it wrote it. */
const LAUNCH_SCRIPT = `job=$1 d=$2
shift 2
cd || exit 1
[ -e "$d/pid" ] && { echo "already launched" >&2; exit 3; }
mkdir -p -- "$d/work" || exit 1
setsid bash -c "$job" rhpc-pool-job "$d" "$@" </dev/null >/dev/null 2>&1 &
i=0
while [ ! -s "$d/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
[ -s "$d/pid" ] || { echo "the job did not start" >&2; exit 4; }
cat -- "$d/pid"`;

/** One line per folder: folder, pid, start, end, rc, alive (1/0), cancelled (1/0); then $HOME. */
const STATUS_SCRIPT = `cd || exit 1
for d in "$@"; do
  p= s= e= r= a=0 k=0
  [ -r "$d/pid" ] && read -r p <"$d/pid"
  [ -r "$d/start" ] && read -r s <"$d/start"
  [ -r "$d/end" ] && read -r e <"$d/end"
  [ -r "$d/rc" ] && read -r r <"$d/rc"
  [ -e "$d/cancelled" ] && k=1
  case $p in ''|*[!0-9]*) ;; *) kill -0 "$p" 2>/dev/null && a=1 ;; esac
  printf 'job\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$d" "$p" "$s" "$e" "$r" "$a" "$k"
done
printf 'home\\t%s\\n' "$HOME"`;

const CANCEL_SCRIPT = `cd || exit 1
d=$1
: >"$d/cancelled" || exit 1
read -r p <"$d/pid" 2>/dev/null || exit 0
case $p in ''|*[!0-9]*) exit 1 ;; esac
kill -TERM -- "-$p" 2>/dev/null || true`;

const COPY_SCRIPT = `cd || exit 1
mkdir -p -- "$1/work" && cat >"$1/work/$2"`;

/** A run id or job folder we made: letters, digits, `-`, `.`, `/` under POOL_ROOT. */
const FOLDER = /^\.remote-hpc\/pool\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function checkFolder(dir: string): string {
  if (!FOLDER.test(dir) || dir.split('/').includes('..')) throw new Error(`Not a pool job folder: ${dir}`);
  return dir;
}

export function jobFolder(runId: string, jobIndex: number, attempt: number): string {
  return checkFolder(`${POOL_ROOT}/${runId}/${jobIndex}/${attempt}`);
}

export interface LaunchInput {
  dir: string;
  jobId: string;
  repeatIndex: number;
  argv: readonly string[];
}

/** Starts a job detached; parses its pid. */
export function launchCommand(l: LaunchInput): SchedulerCommand<number> {
  return {
    argv: ['bash', '-c', LAUNCH_SCRIPT, 'rhpc-pool-launch', JOB_SCRIPT, checkFolder(l.dir), l.jobId, String(l.repeatIndex), ...l.argv],
    parse: (stdout) => {
      const t = stdout.trim();
      if (!/^\d+$/.test(t)) throw new ParseError('expected the pid of the job', t);
      return Number(t);
    },
  };
}

/** Copies one file (its bytes on stdin) into the job's working folder as `name`. */
export function copyCommand(dir: string, name: string): Pick<SchedulerCommand<void>, 'argv' | 'parse'> {
  if (name === '' || name === '.' || name === '..' || /[/\0]/.test(name)) throw new Error(`Not a file name: ${name}`);
  return { argv: ['bash', '-c', COPY_SCRIPT, 'rhpc-pool-copy', checkFolder(dir), name], parse: () => undefined };
}

export function cancelCommand(dir: string): SchedulerCommand<void> {
  return { argv: ['bash', '-c', CANCEL_SCRIPT, 'rhpc-pool-cancel', checkFolder(dir)], parse: () => undefined };
}

/** What a host says about one job folder. */
export interface AttemptStatus {
  dir: string;
  pid?: number;
  /** Epoch milliseconds. */
  startedAt?: number;
  endedAt?: number;
  exitCode?: number;
  alive: boolean;
  cancelled: boolean;
}

export interface HostStatus {
  home: string;
  attempts: Map<string, AttemptStatus>;
}

/** One command for every folder on a host. */
export function statusCommand(dirs: readonly string[]): SchedulerCommand<HostStatus> {
  return {
    argv: ['bash', '-c', STATUS_SCRIPT, 'rhpc-pool-status', ...dirs.map(checkFolder)],
    parse: (stdout) => parseStatus(stdout, dirs),
  };
}

const MAX_STATUS_BYTES = 1 << 20;

export function parseStatus(stdout: string, dirs: readonly string[]): HostStatus {
  if (stdout.length > MAX_STATUS_BYTES) throw new ParseError('status output too large');
  const asked = new Set(dirs);
  const attempts = new Map<string, AttemptStatus>();
  let home: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f[0] === 'home' && f.length === 2) {
      home = f[1];
      continue;
    }
    if (f[0] !== 'job' || f.length !== 8 || !asked.has(f[1] as string)) throw new ParseError('unexpected status line', line);
    const [, dir, pid, start, end, rc, alive, cancelled] = f as [string, string, string, string, string, string, string, string];
    const num = (s: string, re: RegExp) => (s === '' ? undefined : re.test(s) ? Number(s) : undefined);
    const ms = (s: string) => {
      const v = num(s, /^\d+(\.\d+)?$/);
      return v === undefined ? undefined : Math.round(v * 1000);
    };
    const st: AttemptStatus = { dir, alive: alive === '1', cancelled: cancelled === '1' };
    const p = num(pid, /^\d+$/);
    if (p !== undefined) st.pid = p;
    const s = ms(start);
    if (s !== undefined) st.startedAt = s;
    const e = ms(end);
    if (e !== undefined) st.endedAt = e;
    const r = num(rc, /^\d+$/);
    if (r !== undefined) st.exitCode = r;
    attempts.set(dir, st);
  }
  if (home === undefined || !home.startsWith('/')) throw new ParseError('no home folder in the status output');
  return { home, attempts };
}
