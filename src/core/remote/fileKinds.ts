/** What a remote file is, from its name and first bytes: drives context values and the open confirmations. */
import { formatSize } from './format';

const IMAGE_EXT = new Set(['png', 'jpg', 'jpeg', 'gif', 'bmp', 'webp', 'svg', 'ico', 'tif', 'tiff', 'avif']);
const VIDEO_EXT = new Set(['mp4', 'm4v', 'webm', 'mov', 'avi', 'mkv', 'ogv', 'mpg', 'mpeg']);
const TEXT_EXT = new Set([
  'txt', 'md', 'rst', 'log', 'out', 'err', 'csv', 'tsv', 'json', 'jsonl', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'xml', 'html', 'css',
  'sh', 'bash', 'zsh', 'csh', 'tcsh', 'ksh', 'fish', 'sbatch', 'slurm', 'pbs', 'job', 'py', 'pyx', 'r', 'jl', 'm', 'c', 'h', 'cc', 'cpp', 'cxx',
  'hpp', 'hh', 'f', 'f77', 'f90', 'f95', 'f03', 'f08', 'for', 'cu', 'cuh', 'cl', 'java', 'scala', 'kt', 'go', 'rs', 'js', 'mjs', 'cjs', 'ts',
  'lua', 'pl', 'pm', 'rb', 'tex', 'bib', 'cmake', 'mk', 'make', 'in', 'am', 'ac', 'patch', 'diff', 'sql', 'nml', 'namelist', 'inp',
]);
const TEXT_NAMES = new Set(['makefile', 'dockerfile', 'readme', 'license', 'cmakelists.txt', 'jenkinsfile', '.bashrc', '.bash_profile', '.profile', '.cshrc', '.tcshrc', '.zshrc', '.slycatrc']);

export type FileKind = 'image' | 'video' | 'file';

/** Lower-case extension without the dot ('' when none; a leading-dot name has none). */
export function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

export function fileKind(name: string): FileKind {
  const ext = extensionOf(name);
  if (IMAGE_EXT.has(ext)) return 'image';
  if (VIDEO_EXT.has(ext)) return 'video';
  return 'file';
}

const SCRIPT_EXT = /\.(sh|sbatch|slurm|job|bash)$/i;
const JOB_FILE = /\.job\.json$/i;

/** Looks like a batch script by its name (what the menus offer "Submit Job" on). */
export function isBatchScriptPath(path: string): boolean {
  return SCRIPT_EXT.test(path);
}

/** A Kotta-style `*.job.json` job description. */
export function isJobFilePath(path: string): boolean {
  return JOB_FILE.test(path);
}

/**
 * The Remote Explorer's context value of an entry: `folder`, or the file kind with what jobs can
 * be made of it as a suffix (`file.script`, `file.jobFile`). Menus match these: custom tree items
 * get no resourceExtname/resourceFilename in code-server.
 */
export function entryContextValue(path: string, folder: boolean): string {
  if (folder) return 'folder';
  const kind = fileKind(path);
  if (kind !== 'file') return kind;
  if (isJobFilePath(path)) return 'file.jobFile';
  return isBatchScriptPath(path) ? 'file.script' : 'file';
}

/** A name that is text for sure (no need to sniff its bytes before opening it in an editor). */
export function isKnownText(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  return TEXT_NAMES.has(base) || TEXT_EXT.has(extensionOf(base));
}

/** Bytes to read to decide whether a file is binary. */
export const SNIFF_BYTES = 8000;

/**
 * Git's heuristic: a NUL byte in the first 8000 bytes means binary, except for UTF-16/32 text
 * announced by a byte-order mark (its NULs are part of the encoding).
 */
export function looksBinary(head: Uint8Array): boolean {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return false;
  const n = Math.min(head.length, SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (head[i] === 0) return true;
  return false;
}

/** The one question asked before a file is opened in full, or undefined when none is needed. */
export interface OpenQuestion {
  message: string;
  detail: string;
  open: string;
}

/**
 * What to ask before opening a file that is large, binary or both: one modal, never two in a
 * row (issue 15). thresholdBytes 0 = no size limit.
 */
export function openQuestion(f: { name: string; host: string; size: number; binary: boolean; thresholdBytes: number }): OpenQuestion | undefined {
  const large = f.thresholdBytes > 0 && f.size > f.thresholdBytes;
  const size = formatSize(f.size);
  const limit = `threshold: ${formatSize(f.thresholdBytes)}, setting remoteHpc.largeFileThresholdMB`;
  if (large && f.binary) {
    return {
      message: `${f.name} is ${size} and looks like a binary file. Open it in the text editor anyway?`,
      detail: `Opening reads the whole file from ${f.host} (${limit}). Download it to use a local tool instead.`,
      open: 'Open Anyway',
    };
  }
  if (large) return { message: `${f.name} is ${size}. Open it anyway?`, detail: `Opening reads the whole file from ${f.host} (${limit}).`, open: 'Open' };
  if (f.binary) return { message: `${f.name} looks like a binary file. Open it in the text editor anyway?`, detail: `${size} on ${f.host}. Download it to use a local tool instead.`, open: 'Open Anyway' };
  return undefined;
}
