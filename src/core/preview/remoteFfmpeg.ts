/**
 * One ffmpeg run on the remote host, shared by Make Video and Convert to WebM: a private work
 * folder beside the output holds the script (optional setup lines, then `exec ffmpeg`, niced on
 * the login node) and ffmpeg's -progress file, which is followed for progress; the script runs
 * through a {@link HeavyRunner} (login node or batch job). ffmpeg writes a hidden temp name that
 * is renamed at the end: a failure or a cancel leaves neither a partial file nor the folder.
 */
import { randomBytes } from 'node:crypto';
import { CancelledError } from '../cancel';
import { silentLogger, type Logger } from '../log';
import type { RemoteOps } from '../remote/types';
import { commandLine } from '../ssh/quote';
import { aboutUserPath } from '../userPath';
import { ProgressParser, type FfmpegProgress } from './ffmpeg';
import { privateRemoteDir, writePrivateFiles, type HeavyRunner, type HeavyStatus } from './heavyWork';
import { basename, dirname, extOf } from './mime';

export class FfmpegMissingError extends Error {
  readonly userMessage: string;
  constructor(what: string, host = 'the remote host', orLocal = true) {
    super(`ffmpeg is needed to ${what}: it is not on ${host} (command -v ffmpeg)${orLocal ? " nor on this machine's PATH" : ''}.`);
    this.name = 'FfmpegMissingError';
    this.userMessage = `To ${what} ffmpeg is needed on ${host} (e.g. "module load ffmpeg" in your shell profile)${orLocal ? ' or on this machine' : ''}.`;
  }
}

export class FfmpegFailedError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegFailedError';
  }
}

const ffmpegOnRemote = new WeakMap<RemoteOps, Promise<string | undefined>>();

/** The remote ffmpeg's path (`command -v`), or undefined. Cached per RemoteOps. */
export function remoteFfmpeg(ops: RemoteOps, program = 'ffmpeg'): Promise<string | undefined> {
  if (program !== 'ffmpeg') return Promise.resolve(program);
  let p = ffmpegOnRemote.get(ops);
  if (!p) {
    p = ops.run(['sh', '-c', 'command -v ffmpeg'], { timeoutMs: 20_000 }).then(
      (r) => (r.code === 0 ? r.stdout.toString('utf8').trim().split('\n')[0] || undefined : undefined),
      () => undefined,
    );
    ffmpegOnRemote.set(ops, p);
  }
  return p;
}

/**
 * The script's last lines: `exec` the program, under nice when it exists (it is POSIX) so the
 * work yields to interactive users; nice execs it in the same process, so the runner's pid
 * still finds it.
 */
function nicedExec(argv: string[], nice: number): string[] {
  const lines: string[] = [];
  if (nice > 0) lines.push(`if command -v nice >/dev/null 2>&1; then exec ${commandLine(['nice', '-n', String(nice), ...argv])}; fi`);
  lines.push(`exec ${commandLine(argv)}`);
  return lines;
}

/** A script that runs `setup` under umask 077 (links, pid files are private), then becomes `argv`. */
export function ffmpegScript(setup: string[], argv: string[], nice: number, what: string): string {
  const lines = ['#!/bin/sh', `# Written by Remote HPC (${what}); removed when it is done.`, 'set -e', 'user_umask=$(umask)', 'umask 077', ...setup, 'umask "$user_umask"', ...nicedExec(argv, nice)];
  return lines.join('\n') + '\n';
}

export interface RemoteFfmpegRun {
  ops: RemoteOps;
  runner: HeavyRunner;
  /** Absolute remote path of the result. */
  output: string;
  overwrite: boolean;
  /** Names the work folder (`.remote-hpc-<what>-XXXXXXXXXX`), the script's comment and the job. */
  what: 'video' | 'convert';
  /** The ffmpeg argv writing `tmpOut`, with `-progress` into `progress`. */
  argv(w: { workDir: string; tmpOut: string; progress: string }): string[];
  /** Script lines run before ffmpeg, in the work folder, under umask 077. */
  setup?(workDir: string): string[];
  onFfmpegProgress?(p: FfmpegProgress): void;
  onStatus?(s: HeavyStatus): void;
  signal?: AbortSignal;
  log?: Logger;
}

export async function runRemoteFfmpeg(o: RemoteFfmpegRun): Promise<void> {
  const { ops } = o;
  const log = o.log ?? silentLogger;
  const cancelled = () => o.signal?.aborted === true;
  const outDir = dirname(o.output);
  const tmpOut = `${outDir}/.${basename(o.output)}.${randomBytes(6).toString('hex')}.partial.${extOf(o.output)}`;
  let follow: { dispose(): void } | undefined;
  let workDir: string | undefined;
  try {
    workDir = await privateRemoteDir(ops, outDir, `.remote-hpc-${o.what}-`);
    const progress = `${workDir}/progress`;
    const argv = o.argv({ workDir, tmpOut, progress });
    const script = ffmpegScript(o.setup?.(workDir) ?? [], argv, o.runner.nice, o.what === 'video' ? 'make video' : 'convert to WebM');
    await writePrivateFiles(ops, workDir, { 'run.sh': script, progress: '' });
    if (cancelled()) throw new CancelledError();
    let encoding = true;
    const parser = new ProgressParser((p) => encoding && o.onFfmpegProgress?.(p));
    follow = ops.follow(progress, { onData: (chunk) => parser.push(chunk), onError: (e) => log.debug(`[ffmpeg] progress: ${e.message}`) });
    const res = await o.runner.run({
      ops,
      script: `${workDir}/run.sh`,
      workDir,
      name: `remote-hpc-${o.what}`,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onStatus ? { onStatus: o.onStatus } : {}),
    });
    // Stop following first: a late progress chunk (even a read already in flight) must not
    // report "encoding" after "done".
    encoding = false;
    follow.dispose();
    follow = undefined;
    if (cancelled()) throw new CancelledError();
    const stderr = res.stderr.toString('utf8').trim();
    if (res.code !== 0) throw new FfmpegFailedError(`ffmpeg failed (exit ${res.code ?? 'signal'}): ${stderr.split('\n').slice(-3).join(' ') || 'no message'}`, stderr);
    const [st] = await ops.stat([tmpOut]);
    if (!st || st.size === 0) throw new FfmpegFailedError('ffmpeg finished but wrote nothing', stderr);
    await ops.rename(tmpOut, o.output, { overwrite: o.overwrite });
  } catch (err) {
    throw cancelled() ? new CancelledError() : aboutUserPath(err, tmpOut, o.output);
  } finally {
    follow?.dispose();
    await ops.remove(tmpOut).catch(() => undefined);
    if (workDir) await ops.remove(workDir, { recursive: true }).catch((e: unknown) => log.warn(`[ffmpeg] could not remove ${workDir}: ${String(e)}`));
  }
}
