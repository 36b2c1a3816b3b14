/**
 * Previews of remote files: image and video custom editors, the image gallery and "Make Video
 * from Images". src/extension.ts calls registerPreviews() once and owns what it returns.
 */
import * as vscode from 'vscode';
import { registerCommand } from '../util/commands';
import { GalleryPanel } from './gallery';
import { registerImagePreviewProvider } from './imagePreview';
import { makeVideoCommand } from './makeVideoCommand';
import { GALLERY_VIEW_TYPE, locationsOfArgs, PreviewServices, type PreviewDeps } from './services';
import { registerVideoPreviewProvider } from './videoPreview';

export type { PreviewDeps } from './services';
;

export function registerPreviews(context: vscode.ExtensionContext, deps: PreviewDeps): vscode.Disposable[] {
  const services = new PreviewServices(context.extensionUri, deps);
  const log = deps.log;
  return [
    services,
    registerImagePreviewProvider(services),
    registerVideoPreviewProvider(services),
    registerCommand(log, 'remoteHpc.openImageGallery', async (arg: unknown, selected: unknown) => {
      const [target] = locationsOfArgs(arg, selected);
      if (!target) throw new Error('Choose a folder in the Remote Explorer to see its images.');
      const ops = await services.ops(target.host);
      const [st] = await ops.stat([target.path]);
      const isDir = st?.type === 'directory' || st?.targetType === 'directory';
      const folder = isDir ? target.path : target.path.slice(0, Math.max(1, target.path.lastIndexOf('/')));
      GalleryPanel.show(services, target.host, folder);
    }),
    registerCommand(log, 'remoteHpc.makeVideo', (arg: unknown, selected: unknown) => makeVideoCommand(services, arg, selected)),
    registerCommand(log, 'remoteHpc.clearPreviewCache', async () => {
      const cache = await services.cache();
      await cache.clear();
      void vscode.window.showInformationMessage('Remote HPC: preview cache cleared.');
    }),
    vscode.window.registerWebviewPanelSerializer(GALLERY_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => GalleryPanel.revive(services, panel, state),
    }),
    { dispose: () => GalleryPanel.disposeAll() },
  ];
}
