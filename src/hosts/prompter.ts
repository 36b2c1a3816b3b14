import * as vscode from 'vscode';
import type { AuthPrompter, HostKeyQuestion, SecretStore } from '../core/ssh/auth';
import { hostKeyQuestionText } from '../core/ssh/knownHosts';

/** Answers the core's authentication questions with VS Code input boxes and dialogs. */
export class VsCodePrompter implements AuthPrompter {
  /** `retry` (the last answer was refused, n of max) leads the prompt, so asking again never looks like the first time. */
  async password(host: string, user: string, retry?: string): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: `Remote HPC: ${user}@${host}`,
      prompt: retry ?? `Password for ${user}@${host}`,
      password: true,
      ignoreFocusOut: true,
    });
  }

  async passphrase(keyPath: string): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: 'Remote HPC: key passphrase',
      prompt: `Passphrase for ${keyPath}`,
      password: true,
      ignoreFocusOut: true,
    });
  }

  /** One input box per server prompt, in order; the echo flag decides whether input is masked. */
  async keyboardInteractive(host: string, name: string, instructions: string, prompts: { prompt: string; echo: boolean }[], retry?: string): Promise<string[] | undefined> {
    const answers: string[] = [];
    for (const [i, p] of prompts.entries()) {
      const answer = await vscode.window.showInputBox({
        title: `Remote HPC: ${name || host}${prompts.length > 1 ? ` (${i + 1}/${prompts.length})` : ''}`,
        prompt: [i === 0 ? retry : undefined, instructions, p.prompt].filter(Boolean).join(' — ').trim(),
        password: !p.echo,
        ignoreFocusOut: true,
      });
      if (answer === undefined) return undefined;
      answers.push(answer);
    }
    return answers;
  }

  async confirmHostKey(info: HostKeyQuestion): Promise<boolean> {
    const q = hostKeyQuestionText(info);
    const choice = await vscode.window.showWarningMessage(q.message, { modal: true, detail: q.detail }, q.accept);
    return choice === q.accept;
  }
}

/** Opt-in remembered passwords live in SecretStorage (the OS keychain), never in settings. */
export class VsCodeSecretStore implements SecretStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly enabled: () => boolean,
  ) {}
  async get(key: string): Promise<string | undefined> {
    return this.enabled() ? this.secrets.get(`remoteHpc:${key}`) : undefined;
  }
  async set(key: string, value: string): Promise<void> {
    if (this.enabled()) await this.secrets.store(`remoteHpc:${key}`, value);
  }
  async delete(key: string): Promise<void> {
    await this.secrets.delete(`remoteHpc:${key}`);
  }
}

