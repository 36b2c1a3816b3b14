/**
 * e2e-lane: ui (watches no job of its own in the Jobs view; see test/support/sandboxTurn.mjs).
 * Smoke test of the e2e harness: a throwaway extension (generated into a temp
 * dir) is loaded into code-server and driven from headless Chromium:
 * palette command + notification, settings.json, input box, tree view, webview.
 *
 * Needs: bash scripts/e2e/install.sh (Node 24 + code-server in .cache/e2e, Debian chromium).
 * Run:   node --import tsx --test test/e2e/smoke.e2e.test.ts
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import {
  answerInputBox,
  openView,
  runCommand,
  screenshot,
  treeItem,
  waitForNotification,
  webviewFrame,
  withWorkbench,
} from './harness.js';
import { e2eToolchainSkip } from '../support/prerequisites';

const EXTENSION_JS = `const vscode = require('vscode');
exports.activate = (context) => {
  context.subscriptions.push(
    vscode.commands.registerCommand('e2eSmoke.hello', () => {
      void vscode.window.showInformationMessage('Hello from e2e');
    }),
    vscode.commands.registerCommand('e2eSmoke.greet', () => {
      const who = vscode.workspace.getConfiguration('e2eSmoke').get('who');
      void vscode.window.showInformationMessage('Greetings from ' + who);
    }),
    vscode.commands.registerCommand('e2eSmoke.ask', async () => {
      const name = await vscode.window.showInputBox({ prompt: 'Your name?' });
      void vscode.window.showInformationMessage('You typed ' + name);
    }),
    vscode.commands.registerCommand('e2eSmoke.webview', () => {
      const panel = vscode.window.createWebviewPanel('e2eSmoke', 'Smoke Webview', vscode.ViewColumn.One, {});
      panel.webview.html = '<!DOCTYPE html><html><body><h1 id="greeting">Webview says hi</h1></body></html>';
    }),
    vscode.window.registerTreeDataProvider('e2eSmoke.view', {
      getChildren: () => ['Smoke item A', 'Smoke item B'],
      getTreeItem: (label) => new vscode.TreeItem(label),
    }),
  );
};
exports.deactivate = () => {};
`;

const PACKAGE_JSON = {
  name: 'e2e-smoke',
  displayName: 'E2E Smoke',
  publisher: 'remote-hpc-test',
  version: '0.0.1',
  engines: { vscode: '^1.90.0' },
  main: './extension.js',
  activationEvents: [],
  contributes: {
    commands: [
      { command: 'e2eSmoke.hello', title: 'Hello', category: 'E2E Smoke' },
      { command: 'e2eSmoke.greet', title: 'Greet', category: 'E2E Smoke' },
      { command: 'e2eSmoke.ask', title: 'Ask', category: 'E2E Smoke' },
      { command: 'e2eSmoke.webview', title: 'Open Webview', category: 'E2E Smoke' },
    ],
    configuration: {
      title: 'E2E Smoke',
      properties: { 'e2eSmoke.who': { type: 'string', default: 'defaults' } },
    },
    views: { explorer: [{ id: 'e2eSmoke.view', name: 'Smoke View' }] },
  },
};

let extDir = '';

before(() => {
  extDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rhpc-e2e-smoke-ext-'));
  fs.writeFileSync(path.join(extDir, 'package.json'), JSON.stringify(PACKAGE_JSON, null, 2));
  fs.writeFileSync(path.join(extDir, 'extension.js'), EXTENSION_JS);
});

after(() => {
  if (extDir) fs.rmSync(extDir, { recursive: true, force: true });
});

test('e2e harness smoke: command, settings, input box, tree view, webview', { skip: e2eToolchainSkip(), timeout: 180_000 }, async () => {
  await withWorkbench(
    { name: 'smoke', extensionDevelopmentPath: extDir, settings: { 'e2eSmoke.who': 'settings.json' } },
    async ({ page, server }) => {
      assert.equal(server.extensionId, 'remote-hpc-test.e2e-smoke');

      await runCommand(page, 'E2E Smoke: Hello');
      const toast = await waitForNotification(page, /Hello from e2e/);
      assert.match((await toast.textContent()) ?? '', /Hello from e2e/);
      const shot = await screenshot(page, 'smoke-hello');
      assert.ok(fs.statSync(shot).size > 1000);

      await runCommand(page, 'E2E Smoke: Greet');
      await waitForNotification(page, 'Greetings from settings.json');

      await runCommand(page, 'E2E Smoke: Ask');
      await answerInputBox(page, 'Ada');
      await waitForNotification(page, 'You typed Ada');

      await openView(page, 'Smoke View');
      await treeItem(page, 'Smoke item B').waitFor({ state: 'visible', timeout: 20_000 });

      await runCommand(page, 'E2E Smoke: Open Webview');
      const frame = await webviewFrame(page);
      assert.equal(await frame.locator('#greeting').textContent(), 'Webview says hi');
      const byContent = await webviewFrame(page, { selector: '#greeting' });
      assert.equal(await byContent.locator('h1').textContent(), 'Webview says hi');
      await screenshot(page, 'smoke-webview');
    },
  );
});
