/**
 * File-operation errors, independent of where they came from: SFTP status codes (ssh2 puts the
 * number in `err.code`), errno names from the Python agent (`ENOENT`, …) or Node's own fs errors.
 * `classifyRemoteError` gives a neutral code; the VS Code layer maps that to FileSystemError.
 */

export type RemoteErrorCode =
  | 'not-found'
  | 'exists'
  | 'no-permission'
  | 'not-a-directory'
  | 'is-a-directory'
  | 'not-empty'
  | 'no-space'
  | 'loop'
  | 'unavailable'
  | 'unknown';

/** SFTP status codes (draft-ietf-secsh-filexfer-02 and the v5/v6 extensions some servers send). */
export const SFTP_STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
  INVALID_HANDLE: 9,
  NO_SUCH_PATH: 10,
  FILE_ALREADY_EXISTS: 11,
  WRITE_PROTECT: 12,
  NO_MEDIA: 13,
  NO_SPACE_ON_FILESYSTEM: 14,
  QUOTA_EXCEEDED: 15,
  LOCK_CONFLICT: 17,
  DIR_NOT_EMPTY: 18,
  NOT_A_DIRECTORY: 19,
  INVALID_FILENAME: 20,
  LINK_LOOP: 21,
  FILE_IS_A_DIRECTORY: 24,
} as const;

const BY_SFTP_STATUS: Record<number, RemoteErrorCode> = {
  [SFTP_STATUS.NO_SUCH_FILE]: 'not-found',
  [SFTP_STATUS.NO_SUCH_PATH]: 'not-found',
  [SFTP_STATUS.PERMISSION_DENIED]: 'no-permission',
  [SFTP_STATUS.WRITE_PROTECT]: 'no-permission',
  [SFTP_STATUS.NO_CONNECTION]: 'unavailable',
  [SFTP_STATUS.CONNECTION_LOST]: 'unavailable',
  [SFTP_STATUS.NO_MEDIA]: 'unavailable',
  [SFTP_STATUS.FILE_ALREADY_EXISTS]: 'exists',
  [SFTP_STATUS.NO_SPACE_ON_FILESYSTEM]: 'no-space',
  [SFTP_STATUS.QUOTA_EXCEEDED]: 'no-space',
  [SFTP_STATUS.DIR_NOT_EMPTY]: 'not-empty',
  [SFTP_STATUS.NOT_A_DIRECTORY]: 'not-a-directory',
  [SFTP_STATUS.LINK_LOOP]: 'loop',
  [SFTP_STATUS.FILE_IS_A_DIRECTORY]: 'is-a-directory',
};

const BY_ERRNO: Record<string, RemoteErrorCode> = {
  ENOENT: 'not-found',
  EACCES: 'no-permission',
  EPERM: 'no-permission',
  EROFS: 'no-permission',
  EEXIST: 'exists',
  ENOTDIR: 'not-a-directory',
  EISDIR: 'is-a-directory',
  ENOTEMPTY: 'not-empty',
  ENOSPC: 'no-space',
  EDQUOT: 'no-space',
  ELOOP: 'loop',
  ECONNRESET: 'unavailable',
  EPIPE: 'unavailable',
  ETIMEDOUT: 'unavailable',
  ENOTCONN: 'unavailable',
  ESTALE: 'unavailable',
  // EIO is the catch-all of the agent and of SFTP FAILURE: the message decides.
};

/** Message fragments for errors that carry neither a status nor an errno (OpenSSH sftp-server, shell tools). */
const BY_MESSAGE: [RegExp, RemoteErrorCode][] = [
  [/no such file|not found|does not exist/i, 'not-found'],
  [/permission denied|operation not permitted|read-only file system/i, 'no-permission'],
  [/file exists|already exists/i, 'exists'],
  [/not a directory/i, 'not-a-directory'],
  [/is a directory/i, 'is-a-directory'],
  [/directory not empty/i, 'not-empty'],
  [/no space left|quota exceeded/i, 'no-space'],
  [/too many (levels of )?symbolic links/i, 'loop'],
  [/not connected|connection (lost|closed|reset)|no response from server|channel (open )?fail/i, 'unavailable'],
];

/**
 * An error a RemoteOps implementation may throw when it already knows the neutral code.
 * `classifyRemoteError` returns its code as-is.
 */
export class RemoteFsError extends Error {
  constructor(
    readonly code: RemoteErrorCode,
    readonly path: string | undefined,
    message?: string,
    opts?: { cause?: unknown },
  ) {
    super(message ?? `${describeCode(code)}${path ? `: ${path}` : ''}`, opts);
    this.name = 'RemoteFsError';
  }
}

const RemoteErrorCodes = new Set<string>([
  'not-found',
  'exists',
  'no-permission',
  'not-a-directory',
  'is-a-directory',
  'not-empty',
  'no-space',
  'loop',
  'unavailable',
  'unknown',
]);

/** The neutral code of anything a remote file operation threw. */
export function classifyRemoteError(err: unknown): RemoteErrorCode {
  if (err instanceof RemoteFsError) return err.code;
  if (err === null || typeof err !== 'object') return typeof err === 'string' ? fromMessage(err) : 'unknown';
  const e = err as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown; level?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && RemoteErrorCodes.has(e.code) && e.name === 'RemoteFsError') return e.code as RemoteErrorCode;
  if (typeof e.code === 'number' && e.code in BY_SFTP_STATUS) return BY_SFTP_STATUS[e.code];
  for (const v of [e.code, e.errno]) {
    if (typeof v === 'string') {
      const name = v.toUpperCase();
      if (name in BY_ERRNO) return BY_ERRNO[name];
    }
  }
  // ssh2 connection-level errors: the session is gone, not the file.
  if (typeof e.level === 'string' && e.level.startsWith('client-')) return 'unavailable';
  if (e.name === 'SshError') return 'unavailable';
  const byMessage = typeof e.message === 'string' ? fromMessage(e.message) : 'unknown';
  if (byMessage !== 'unknown') return byMessage;
  return e.cause !== undefined && e.cause !== err ? classifyRemoteError(e.cause) : 'unknown';
}

function fromMessage(message: string): RemoteErrorCode {
  for (const [re, code] of BY_MESSAGE) if (re.test(message)) return code;
  return 'unknown';
}

export function describeCode(code: RemoteErrorCode): string {
  switch (code) {
    case 'not-found':
      return 'No such file or folder';
    case 'exists':
      return 'Already exists';
    case 'no-permission':
      return 'Permission denied';
    case 'not-a-directory':
      return 'Not a folder';
    case 'is-a-directory':
      return 'Is a folder';
    case 'not-empty':
      return 'Folder not empty';
    case 'no-space':
      return 'No space left (or quota exceeded)';
    case 'loop':
      return 'Too many levels of symbolic links';
    case 'unavailable':
      return 'Host unavailable';
    case 'unknown':
      return 'Remote operation failed';
  }
}
