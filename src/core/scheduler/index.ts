export * from './types';
export { runCommand, ParseError, SchedulerError, classifyFailure, type CommandRunner, type SchedulerCommand, type SchedulerErrorKind } from './command';
export { SlurmScheduler, type SlurmSchedulerOptions } from './slurm/slurmScheduler';
export { SpecError } from './slurm/sbatch';
export { expandOutputPattern } from './slurm/outputPattern';
export * from './jobSpec';
export { JobWatcher, systemClock, type Clock, type WatcherOptions, type WatcherEvents, type WatchedScheduler } from './watcher';
export { groupByArray, type JobGroup } from './group';
export { tailJobOutput, whenJobFinished, type Followable, type TailOptions, type TailEndReason } from './tail';
