/**
 * Grid Engine job ids: a job number (`123`), an array task `123.4` (qsub -terse prints an array
 * as `123.1-3:1`). Features see the neutral ids of `Job.id` (`123`, `123_4`); qdel, qhold and
 * qrls take `123` for a whole job or array and `123.4` for one task.
 */
import { SpecError } from '../command';

const NEUTRAL = /^(\d+)(?:_(\d+))?$/;

export interface GeId {
  job: string;
  task?: string;
}

/** Refuses anything but neutral ids (`123`, `123_4`) before it reaches a command line. */
export function parseNeutralIds(ids: readonly string[]): GeId[] {
  if (ids.length === 0) throw new SpecError('No job ids given');
  return ids.map((id) => {
    const m = NEUTRAL.exec(id);
    if (!m) throw new SpecError(`Not a job id: ${JSON.stringify(id)}`);
    return m[2] === undefined ? { job: m[1] as string } : { job: m[1] as string, task: m[2] };
  });
}

/** `123` / `123.4` for the job action commands. */
export function nativeId(id: GeId): string {
  return id.task === undefined ? id.job : `${id.job}.${id.task}`;
}

export function neutralId(job: string, task?: string): string {
  return task === undefined ? job : `${job}_${task}`;
}

/** What `qsub -terse` prints: `123`, or `123.1-3:1` for an array. */
export function parseTerseId(stdout: string): { job: string; array: boolean } | undefined {
  const last = stdout.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  const m = /^(\d+)(\.\d+-\d+:\d+)?$/.exec(last);
  return m ? { job: m[1] as string, array: m[2] !== undefined } : undefined;
}
