/**
 * POSIX shell quoting. Every remote command line is built here and nowhere else:
 * each argument becomes one single-quoted word, so spaces, quotes, `$()`, backticks,
 * globs, newlines, leading dashes and Unicode reach the program unchanged.
 */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('A shell argument cannot contain a NUL byte');
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv array into one shell command line, each argument quoted. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('Empty command');
  return argv.map(quoteArg).join(' ');
}

export interface CommandLineOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/** `cd -- <cwd> && env K=V ... argv...` with every piece quoted (`--`: a folder named `-x` is not an option). */
export function commandLineWith(argv: readonly string[], opts: CommandLineOptions = {}): string {
  const parts: string[] = [];
  if (opts.cwd !== undefined) parts.push(`cd -- ${quoteArg(opts.cwd)} &&`);
  const env = Object.entries(opts.env ?? {});
  for (const [k] of env) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`Invalid environment variable name: ${k}`);
  if (env.length > 0) parts.push('env', ...env.map(([k, v]) => quoteArg(`${k}=${v}`)));
  parts.push(commandLine(argv));
  return parts.join(' ');
}
