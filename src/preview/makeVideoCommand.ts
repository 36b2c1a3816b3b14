/**
 * "Make Video from Images…": on a folder (its images) or a multi-selection of images. Quick
 * picks for frame rate, format, order and output path; a cancellable progress notification
 * (with a batch job: queued / running / done, and Cancel cancels the job); the result opens in
 * the video preview.
 */
import * as vscode from 'vscode';
import { CancelledError } from '../core/cancel';
import { makeVideo, type FrameOrder } from '../core/preview/makeVideo';
import type { VideoFormat } from '../core/preview/ffmpeg';
import { basename, dirname, extOf, isImagePath } from '../core/preview/mime';
import { hpcUriOf, locationsOfArgs, VIDEO_PREVIEW_VIEW_TYPE, type HpcLocation, type PreviewServices } from './services';

interface Pick<T> extends vscode.QuickPickItem {
  value: T;
}

async function pick<T>(items: Pick<T>[], title: string, step: number): Promise<T> {
  const chosen = await vscode.window.showQuickPick(items, { title: `Make Video (${step}/4): ${title}`, ignoreFocusOut: true });
  if (!chosen) throw new CancelledError();
  return chosen.value;
}

export async function makeVideoCommand(services: PreviewServices, arg: unknown, selected: unknown): Promise<void> {
  const targets = locationsOfArgs(arg, selected);
  if (targets.length === 0) throw new Error('Choose a folder of images, or several images, in the Remote Explorer.');
  const host = targets[0].host;
  if (targets.some((t) => t.host !== host)) throw new Error('The images must all be on one host.');
  const ops = await services.ops(host);

  let source: { folder: string } | { paths: string[] };
  let folder: string;
  if (targets.length === 1 && !isImagePath(targets[0].path)) {
    const [st] = await ops.stat([targets[0].path]);
    const isDir = st?.type === 'directory' || st?.targetType === 'directory';
    if (!isDir) throw new Error(`${basename(targets[0].path)} is neither a folder nor an image.`);
    folder = targets[0].path;
    source = { folder };
  } else {
    const images = targets.filter((t: HpcLocation) => isImagePath(t.path));
    if (images.length < 2) throw new Error('Select at least two images (or a folder) to make a video.');
    folder = dirname(images[0].path);
    source = { paths: images.map((t) => t.path) };
  }

  const rates: Pick<number | 'custom'>[] = [10, 1, 2, 5, 12, 15, 24, 25, 30, 60].map((n) => ({ label: `${n} fps`, value: n, ...(n === 10 ? { description: 'default' } : {}) }));
  rates.push({ label: 'Other…', value: 'custom' });
  const fps = await pick<number | 'custom'>(
    rates,
    'frame rate',
    1,
  ).then(async (v) => {
    if (v !== 'custom') return v;
    const text = await vscode.window.showInputBox({
      title: 'Make Video (1/4): frames per second',
      value: '10',
      ignoreFocusOut: true,
      validateInput: (s) => (Number(s) > 0 && Number(s) <= 1000 ? undefined : 'A number between 0 and 1000'),
    });
    if (text === undefined) throw new CancelledError();
    return Number(text);
  });
  const format = await pick<VideoFormat>(
    [
      { label: 'MP4 (H.264)', description: 'plays almost everywhere', value: 'mp4' },
      { label: 'WebM (VP9)', description: 'open codec; plays in every browser, code-server included', value: 'webm' },
    ],
    'format',
    2,
  );
  const order = await pick<FrameOrder>(
    [
      { label: 'By name', description: 'frame2 before frame10', value: 'name' },
      { label: 'By modification time', description: 'oldest first', value: 'mtime' },
    ],
    'frame order',
    3,
  );
  const suggested = `${folder === '/' ? '' : folder}/${basename(folder) || 'video'}.${format}`;
  const output = await vscode.window.showInputBox({
    title: 'Make Video (4/4): save as (remote path)',
    value: suggested,
    valueSelection: [suggested.lastIndexOf('/') + 1, suggested.length - format.length - 1],
    ignoreFocusOut: true,
    validateInput: (s) => (!s.startsWith('/') ? 'An absolute path on the remote host' : extOf(s) !== format ? `The name must end in .${format}` : undefined),
  });
  if (output === undefined) throw new CancelledError();
  let overwrite = false;
  const [existing] = await ops.stat([output]);
  if (existing) {
    const answer = await vscode.window.showWarningMessage(`${basename(output)} already exists. Replace it?`, { modal: true }, 'Replace');
    if (answer !== 'Replace') throw new CancelledError();
    overwrite = true;
  }

  // Login node (niced) or a short batch job, as the host's remoteHpc.preview.heavyWork says.
  const runner = await services.runner(host);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Making ${basename(output)}${runner.where === 'batch' ? ' (batch job)' : ''}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      try {
        return await makeVideo({
          ops,
          runner,
          source,
          order,
          fps,
          format,
          output,
          overwrite,
          signal: abort.signal,
          log: services.log,
          onProgress: (p) => {
            const pct = Math.round(p.fraction * 100);
            progress.report({ message: p.message, increment: Math.max(0, pct - reported) });
            reported = Math.max(reported, pct);
          },
        });
      } finally {
        sub.dispose();
      }
    },
  );
  services.log.info(`[video] made ${output} from ${result.frames} frames (${result.where} ffmpeg${result.jobId ? `, batch job ${result.jobId}` : ''})`);
  await vscode.commands.executeCommand('vscode.openWith', hpcUriOf(host, output), VIDEO_PREVIEW_VIEW_TYPE);
}
