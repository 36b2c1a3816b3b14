/** The repository's TypeScript sources, for tests that check a rule across every file. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';


/** Every `.ts` file below `dir`, recursively. */
export function tsSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsSources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
