/** The Scheduler contract (test/support/schedulerContract.ts) for SLURM, on the sandbox's real SLURM. */
import { sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { runSchedulerContract } from '../support/schedulerContract';
import { SlurmScheduler } from '../../src/core/scheduler/slurm/slurmScheduler';

runSchedulerContract(
  'slurm',
  async () => {
    const { session, close } = await reconnectingSession();
    const runner = sessionRunner(session);
    const home = (await session.exec(['sh', '-c', 'printf %s "$HOME"'])).stdout.toString();
    const dir = `${home}/rhpc-contract-${process.pid}/dir 'q' $(x) ✓`;
    await session.exec(['mkdir', '-p', dir]);
    return {
      scheduler: new SlurmScheduler(runner),
      user: sandbox().user,
      dir,
      exec: (argv, opts) => session.exec(argv, opts),
      commandCount: () => runner.calls.length,
      taskIndexVar: 'SLURM_ARRAY_TASK_ID',
      directiveLines: ({ name, time }) => [`#SBATCH --job-name="${name}"`, `#SBATCH -t ${time}`],
      validTime: '0:05:00',
      close: async () => {
        await session.exec(['rm', '-rf', dir.replace(/\/[^/]*$/, '')]);
        close();
      },
    };
  },
  { skip: sandboxSkip() },
);
