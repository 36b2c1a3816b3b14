/**
 * The Scheduler contract (test/support/schedulerContract.ts) for Grid Engine, on the sandbox's
 * real sge_qmaster and sge_execd (scripts/sandbox/gridengine.sh), through the sshd on 2230 whose
 * sessions see Grid Engine and not SLURM.
 */
import { sandbox } from '../support/sandbox';
import { sandboxSkip } from '../support/prerequisites';
import { reconnectingSession, sessionRunner } from '../support/schedulerRunner';
import { runSchedulerContract } from '../support/schedulerContract';
import { GridEngineScheduler } from '../../src/core/scheduler/gridengine/gridEngineScheduler';

const skip = sandboxSkip() || (sandbox().gridEngine ? false : 'the sandbox has no Grid Engine cluster (restart it: scripts/sandbox/start.sh)');

runSchedulerContract(
  'gridengine',
  async () => {
    const { session, close } = await reconnectingSession({ port: sandbox().gridEngine?.port as number });
    const runner = sessionRunner(session);
    const home = (await session.exec(['sh', '-c', 'printf %s "$HOME"'])).stdout.toString();
    const dir = `${home}/rhpc-contract-ge-${process.pid}/dir 'q' $(x) ✓`;
    await session.exec(['mkdir', '-p', dir]);
    return {
      scheduler: new GridEngineScheduler(runner),
      user: sandbox().user,
      dir,
      exec: (argv, opts) => session.exec(argv, opts),
      commandCount: () => runner.calls.length,
      taskIndexVar: 'SGE_TASK_ID',
      directiveLines: ({ name, time }) => [`#$ -N ${name}`, `#$ -l h_rt=${time}`],
      validTime: '0:05:00',
      // printable ASCII without spaces or / : @ \ * ?, and none of the quotes a #$ line drops
      jobNames: { plain: 'from-directives', hostile: 'it_$(touch_pwned)`id`|;&<>!~' },
      array: { spec: '1-3', tasks: ['1', '2', '3'] },
      dependencyKind: 'afterany',
      notApplicable: { requeue: 'qmod -rj reruns only jobs submitted rerunnable (qsub -r y) or in a queue with rerun TRUE; the sandbox queue keeps the default' },
      close: async () => {
        await session.exec(['rm', '-rf', dir.replace(/\/[^/]*$/, '')]);
        close();
      },
    };
  },
  { skip },
);
