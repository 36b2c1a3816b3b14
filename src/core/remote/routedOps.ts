/**
 * RemoteOps that stand for several hosts: each call goes to the host `pick` names for its path
 * (a host pool's outputs live on the host that ran the job). Calls without a path go to
 * `pick(undefined)`. No `vscode`.
 */
import type { Disposable } from '../cancel';
import type { RemoteOps } from './types';

/** A Disposable for something that starts asynchronously: disposing before it started disposes it once it has. */
function later(start: Promise<Disposable>): Disposable {
  let disposed = false;
  let d: Disposable | undefined;
  start.then(
    (x) => (disposed ? x.dispose() : (d = x)),
    () => undefined,
  );
  return {
    dispose: () => {
      disposed = true;
      d?.dispose();
    },
  };
}

export function routedOps(pick: (path: string | undefined) => Promise<RemoteOps>): RemoteOps {
  return {
    kind: 'sftp',
    closed: false,
    home: async () => (await pick(undefined)).home(),
    getenv: async (names) => (await pick(undefined)).getenv(names),
    list: async (p, opts) => (await pick(p)).list(p, opts),
    stat: async (paths) => Promise.all(paths.map(async (p) => ((await (await pick(p)).stat([p]))[0] ?? null))),
    readFile: async (p, range) => (await pick(p)).readFile(p, range),
    writeFileAtomic: async (p, data, opts) => (await pick(p)).writeFileAtomic(p, data, opts),
    mkdir: async (p, opts) => (await pick(p)).mkdir(p, opts),
    remove: async (p, opts) => (await pick(p)).remove(p, opts),
    rename: async (from, to, opts) => (await pick(from)).rename(from, to, opts),
    copy: async (from, to, opts) => (await pick(from)).copy(from, to, opts),
    search: async (root, opts) => (await pick(root)).search(root, opts),
    watch: (paths, listener, opts) => later(pick(paths[0]).then((o) => o.watch(paths, listener, opts))),
    run: async (argv, opts) => (await pick(opts?.cwd)).run(argv, opts),
    follow: (p, opts) => later(pick(p).then((o) => o.follow(p, opts))),
    dispose: () => undefined,
  };
}
