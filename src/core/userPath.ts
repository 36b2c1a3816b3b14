/** Failures of work on temp files, told about the user's own path (temp names are internal details). */

/**
 * Runs `fn`, which works on `tmp`, a temp file standing in for the user's `path`; a failure is
 * told about `path` (see aboutUserPath).
 */
export async function onUserPath<T>(tmp: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw aboutUserPath(err, tmp, path);
  }
}

/**
 * A failure of work on the temp file `tmp`, told about the user's `path` instead: the temp's name
 * is an internal detail, and "open .remote-hpc-….tmp: Permission denied" reads as if some other
 * file were the problem. Rewrites the message and the path fields (Node's `path`/`dest`, ours) in
 * place, so codes and classes stay as they were.
 */
export function aboutUserPath(err: unknown, tmp: string, path: string): unknown {
  if (typeof err === 'string') return reword(err, tmp, path);
  if (!(err instanceof Error)) return err;
  err.message = reword(err.message, tmp, path);
  const fields = err as unknown as Record<string, unknown>;
  for (const k of ['path', 'dest']) if (fields[k] === tmp) fields[k] = path;
  return err;
}

/** The last segment of a remote or local (also Windows) path. */
const lastSegment = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

function reword(text: string, tmp: string, path: string): string {
  const tmpBase = lastSegment(tmp);
  let out = text.split(tmp).join(path);
  if (tmpBase) out = out.split(tmpBase).join(lastSegment(path));
  // A rename of the temp onto the file ("rename 'f' -> 'f'" now) names the file once.
  return out.replace(/(['"])([^'"]*)\1 -> \1\2\1/g, '$1$2$1');
}
