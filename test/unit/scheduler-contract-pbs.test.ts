/**
 * The Scheduler contract (test/support/schedulerContract.ts) for PBS Pro / OpenPBS and Torque on
 * test/support/fakePbsCluster.ts: a SIMULATOR built from the documented formats, not a real
 * server (none runs here). The jobs' scripts really run on this machine.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runSchedulerContract } from '../support/schedulerContract';
import { FakePbsCluster } from '../support/fakePbsCluster';
import { PbsScheduler } from '../../src/core/scheduler/pbs/pbsScheduler';
import { TorqueScheduler } from '../../src/core/scheduler/torque/torqueScheduler';

const QRERUN = 'qrerun needs operator or manager privilege on a default PBS or Torque server; the simulator refuses it as such a server does';

for (const kind of ['pbs', 'torque'] as const) {
  runSchedulerContract(`${kind} (simulated server)`, async () => {
    const cluster = new FakePbsCluster(kind);
    const dir = join(cluster.home, `rhpc-contract/dir 'q' $(x) ✓`);
    mkdirSync(dir, { recursive: true });
    return {
      scheduler: kind === 'pbs' ? new PbsScheduler(cluster.runner) : new TorqueScheduler(cluster.runner),
      user: cluster.user,
      dir,
      exec: (argv, opts) => cluster.exec(argv, opts),
      commandCount: () => cluster.calls.length,
      taskIndexVar: kind === 'pbs' ? 'PBS_ARRAY_INDEX' : 'PBS_ARRAYID',
      directiveLines: ({ name, time }) => [`#PBS -N ${name}`, `#PBS -l walltime=${time}`],
      validTime: '0:05:00',
      jobNames: kind === 'pbs' ? { plain: 'from-directives', hostile: '-lead_dash+plus.dot' } : { plain: 'from-directives', hostile: "it's\"q\"$(touch${IFS}pwned)`id`|&<>" },
      notApplicable: { requeue: QRERUN },
      close: () => cluster.close(),
    };
  });
}
