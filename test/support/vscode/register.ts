/**
 * Import first in a unit test of a VS Code adapter: from then on `import 'vscode'` loads the
 * fake in ./fake.ts (the subset of the API the adapters use) instead of failing outside VS Code.
 */
import Module from 'node:module';
import { join } from 'node:path';

const fake = join(__dirname, 'fake.ts');
const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  return request === 'vscode' ? fake : resolve.call(this, request, ...rest);
};
