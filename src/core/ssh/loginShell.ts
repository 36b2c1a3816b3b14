import type { PtyOptions, RemoteChannel } from './channel';
import type { Session } from './session';

/**
 * The user's login shell, started in `cwd` by the exec request itself: the folder travels as one
 * quoted argument of `sh -c`, never as keystrokes. Typed into a live pty, a name holding Ctrl-U or
 * Ctrl-C is acted on by the line discipline and readline before any quoting applies.
 * A folder that cannot be entered (deleted, no permission) opens the shell in home with a notice;
 * the name itself is never echoed back to the terminal (it may hold escape sequences).
 */
function loginShellArgv(cwd: string): string[] {
  const script =
    'cd -- "$1" 2>/dev/null || { echo "Remote HPC: cannot enter that folder; starting in your home folder." >&2; cd; }; ' +
    'exec "${SHELL:-/bin/sh}" -l';
  return ['/bin/sh', '-c', script, 'remote-hpc-shell', cwd];
}

/** An interactive login shell on a pty: in `cwd` when given, else where the login puts it. */
export function openLoginShell(session: Session, pty: PtyOptions, cwd?: string): Promise<RemoteChannel> {
  return cwd === undefined ? session.shell(pty) : session.spawn(loginShellArgv(cwd), { pty });
}
