import type { Job } from '../../src/core/scheduler/types';

/** A job record with sensible defaults, for tests of the jobs UI. */
export function job(over: Partial<Job> = {}): Job {
  return {
    id: '100',
    name: 'train',
    user: 'alice',
    state: 'RUNNING',
    rawState: over.state ?? 'RUNNING',
    partition: 'debug',
    elapsed: '0:05',
    timeLimit: '1:00:00',
    reason: '',
    nodes: 'c1',
    workDir: '/home/alice/run',
    comment: '',
    tags: [],
    ...over,
  };
}

/** An array task `parent_index`. */
export function task(parent: string, index: string, over: Partial<Job> = {}): Job {
  return job({ id: `${parent}_${index}`, arrayJobId: parent, arrayTaskId: index, name: 'sweep', ...over });
}
