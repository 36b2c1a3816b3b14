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
