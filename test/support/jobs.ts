import type { Job } from '../../src/core/scheduler/types';
import { flush } from './wait';

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

/** A fake clock for watcher-driven tests: timers run when `advance` passes their due time. */
export class FakeClock {
  t = 1_000_000;
  private seq = 0;
  readonly timers = new Map<number, { due: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { due: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].due <= end && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].due;
      next[1].fn();
    }
    this.t = end;
    await flush();
  }
}
