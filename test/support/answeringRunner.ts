import type { CommandRunner } from '../../src/core/scheduler/command';

/** What an answering runner returns for one command. */
export interface CommandAnswer {
  code?: number;
  stdout?: string;
  stderr?: string;
}

/**
 * A runner for unit tests: each command gets the answer of the first key its argv (joined by
 * spaces) starts with, else what `unanswered` returns (or throws); every argv is recorded.
 */
export function answeringRunner(answers: Record<string, CommandAnswer>, unanswered: (line: string) => CommandAnswer): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run: async (argv) => {
      calls.push(argv);
      const line = argv.join(' ');
      const key = Object.keys(answers).find((k) => line.startsWith(k));
      const a = key ? answers[key]! : unanswered(line);
      return { code: a.code ?? 0, stdout: Buffer.from(a.stdout ?? ''), stderr: Buffer.from(a.stderr ?? '') };
    },
  };
}
