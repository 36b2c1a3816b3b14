/** RemoteOps that records every argv it runs (to count scheduler and lookup commands), the rest passed through. */
import type { RemoteOps } from '../../src/core/remote/types';
import { openRemote } from '../../src/core/remote/openRemote';
import { silentLogger } from '../../src/core/log';
import { connectDirect } from './sandbox';

function countingOps(real: RemoteOps, ran: string[][], at?: number[]): RemoteOps {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'run') return (argv: string[], o?: Parameters<RemoteOps['run']>[1]) => (ran.push(argv), at?.push(Date.now()), target.run(argv, o));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The sandbox's RemoteOps over a direct session, counting its commands into `ran` (and when each started into `at`); `close` ends both. */
export async function sandboxCountingOps(ran: string[][], opts: { port?: number; at?: number[] } = {}): Promise<{ ops: RemoteOps; close(): void }> {
  const conn = await connectDirect(opts.port !== undefined ? { port: opts.port } : {});
  const ops = countingOps(await openRemote(conn.session, silentLogger), ran, opts.at);
  return {
    ops,
    close: () => {
      ops.dispose();
      conn.close();
    },
  };
}
