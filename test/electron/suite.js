// Runs inside VS Code's extension host (plain CommonJS: no transpiler there).
// Checks that the extension activates and registers every command it contributes.
const assert = require('node:assert/strict');
const vscode = require('vscode');

exports.run = async function run() {
  const ext = vscode.extensions.getExtension('remote-hpc.remote-hpc');
  assert.ok(ext, 'extension not found');
  await ext.activate();
  const registered = new Set(await vscode.commands.getCommands(true));
  const contributed = ext.packageJSON.contributes.commands.map((c) => c.command);
  const missing = contributed.filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  console.log(`Remote HPC activated; ${contributed.length} commands registered`);
};
