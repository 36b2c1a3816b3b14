/**
 * For contributors who can download VS Code (CI cannot: it uses code-server, see test/e2e):
 *   node --import tsx test/electron/runTest.ts
 * Downloads a VS Code build with @vscode/test-electron, loads this extension and runs suite.ts in
 * its extension host.
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'suite.js'),
    launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
