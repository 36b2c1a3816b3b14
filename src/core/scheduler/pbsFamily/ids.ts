/**
 * PBS-family job ids (PBS Pro / OpenPBS and Torque print the same forms): `123.server`, an
 * array `123[].server`, a subjob `123[4].server`. Features see the neutral ids of `Job.id`
 * (`123`, `123_4`); the commands get the native form back (`123[]` for an array, whose plain
 * `123` the server does not know), the server suffix left to the default server.
 */
import { SpecError } from '../command';

const NATIVE = /^(\d+)(?:\[(\d*)\])?(?:\.(\S+))?$/;
const NEUTRAL = /^(\d+)(?:_(\d+))?$/;

export interface NativeId {
  seq: string;
  /** Set for an array (`''`) or a subjob (`'4'`). */
  index?: string;
  server?: string;
}

export function parseNativeId(raw: string): NativeId | undefined {
  const m = NATIVE.exec(raw.trim());
  if (!m) return undefined;
  return { seq: m[1] as string, ...(m[2] !== undefined ? { index: m[2] } : {}), ...(m[3] !== undefined ? { server: m[3] } : {}) };
}

/** `123[4].server` → `123_4`; `123[].server` and `123.server` → `123`. */
export function neutralId(id: NativeId): string {
  return id.index ? `${id.seq}_${id.index}` : id.seq;
}

/** Refuses anything but neutral ids (`123`, `123_4`) before it reaches a command line. */
export function checkNeutralIds(ids: readonly string[]): string[] {
  if (ids.length === 0) throw new SpecError('No job ids given');
  for (const id of ids) if (!NEUTRAL.test(id)) throw new SpecError(`Not a job id: ${JSON.stringify(id)}`);
  return [...ids];
}

/** The native id of a neutral one: `123_4` → `123[4]`, an array's `123` → `123[]` (when `arrays` knows it is one). */
export function nativeId(id: string, arrays: ReadonlySet<string>): string {
  const m = NEUTRAL.exec(id);
  if (!m) throw new SpecError(`Not a job id: ${JSON.stringify(id)}`);
  if (m[2] !== undefined) return `${m[1]}[${m[2]}]`;
  return arrays.has(id) ? `${id}[]` : id;
}

export function checkUserName(user: string): string {
  if (!user || user.startsWith('-') || /[\s,]/.test(user)) throw new SpecError(`Not a user name: ${JSON.stringify(user)}`);
  return user;
}
