/**
 * The value formats of the neutral job model: what `JobSubmitSpec` fields and `*.job.json`
 * files accept (time limits, memory, GPU counts, array expressions, dependencies) and the array
 * task sets a `Job` may carry. Every scheduler takes these and translates them into its own
 * options where its syntax differs (SLURM takes them as they are). Pure.
 */
const TIME = /^(?:\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/i;
const MEM = /^\d+(?:\.\d+)?[KMGT]?B?$/i;
const GPUS = /^(?:[A-Za-z0-9_.-]+:)?\d+$/;
const ARRAY = /^\d+(?:-\d+(?::\d+)?)?(?:,\d+(?:-\d+(?::\d+)?)?)*(?:%\d+)?$/;
const DEPENDENCY = /^(?:singleton|[a-z]+(?::\d+(?:_\d+)?(?:\+\d+)?)+)(?:[,?](?:singleton|[a-z]+(?::\d+(?:_\d+)?(?:\+\d+)?)+))*$/;

/** A `JobSubmitSpec.time`: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED. */
export const isTimeLimit = (s: string): boolean => TIME.test(s);
/** A `JobSubmitSpec.mem`: `500M`, `4G`, `1.5T`, or megabytes. */
export const isMemory = (s: string): boolean => MEM.test(s);
/** A `JobSubmitSpec.gpus` given as text: a count (`2`) or `type:count` (`a100:2`). */
export const isGpuCount = (s: string): boolean => GPUS.test(s);
/** A `JobSubmitSpec.array`: `0-9`, `1,3,5`, `0-15:4`, each optionally `%max` at once. */
export const isArraySpec = (s: string): boolean => ARRAY.test(s);
/** A `JobSubmitSpec.dependency`: `afterok:123`, `afterany:1:2,singleton`. */
export const isDependency = (s: string): boolean => DEPENDENCY.test(s);

/**
 * Is array task `task` in a bracketed set like `[1-3,7%2]` or `[0-15:4]`? A `Job` from
 * accounting has such a set as its `arrayTaskId` while its tasks have not started one by one.
 */
export function taskInSet(set: string, task: string): boolean {
  const n = Number(task);
  if (!/^\d+$/.test(task)) return false;
  const body = set.replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  return body.split(',').some((part) => {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!m) return false;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    return n >= lo && n <= hi && (n - lo) % step === 0;
  });
}

/**
 * Seconds in a duration as schedulers print elapsed times and limits: `M:SS`, `H:MM:SS`,
 * `D-HH:MM:SS`, `D-HH`, `D-HH:MM`; undefined for `UNLIMITED`, empty or anything else.
 */
export function durationSeconds(text: string): number | undefined {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d{1,2}))?(?::(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [d, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
  if (d !== undefined) return d * 86_400 + (a ?? 0) * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (b === undefined) return undefined; // a bare number is minutes to sbatch, never printed as a duration
  return c === undefined ? (a as number) * 60 + b : (a as number) * 3600 + b * 60 + c;
}

/** Seconds printed the way SLURM prints them: `0:05`, `12:34`, `1:02:03`, `2-03:04:05`. */
export function formatDuration(seconds: number): string {
  const t = Math.max(0, Math.floor(seconds));
  const d = Math.floor(t / 86_400);
  const h = Math.floor((t % 86_400) / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  if (d) return `${d}-${p(h)}:${p(m)}:${p(s)}`;
  if (h) return `${h}:${p(m)}:${p(s)}`;
  return `${m}:${p(s)}`;
}

/** A duration as a scheduler printed it (`00:03:01`, `3:01`) in the one format of {@link formatDuration}; other text unchanged. */
export function normaliseDuration(text: string): string {
  const s = durationSeconds(text);
  return s === undefined ? text : formatDuration(s);
}
