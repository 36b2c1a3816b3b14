/** Completion notifications with Open Output, Fetch Outputs and Show Details. */
import * as vscode from 'vscode';
import type { FinishedNotice } from '../core/jobs/notices';
import { severityOf } from '../core/jobs/notices';
import { timeLeftText, type TimeLeftWarning } from '../core/jobs/timeLeft';
import { durationText, jobLabel } from '../core/jobs/format';

/** More than this many notices in one batch become a single summary. */
const MAX_SEPARATE = 2;

function showBy(severity: FinishedNotice['severity']) {
  return severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
}

export function showFinishedNotices(notices: FinishedNotice[]): void {
  if (notices.length > MAX_SEPARATE) {
    const host = notices[0]?.host ?? '';
    const jobs = notices.flatMap((n) => n.jobs);
    const counts = new Map<string, number>();
    for (const j of jobs) counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
    const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${n} ${s}`);
    const sev = severityOf(jobs.map((j) => j.state));
    void showBy(sev)(`${jobs.length} jobs ended on ${host}: ${parts.join(', ')}`, 'Show').then((choice) => {
      if (choice) void vscode.commands.executeCommand('remoteHpc.jobs.focus');
    });
    return;
  }
  for (const n of notices) {
    const ref = { host: n.host, id: n.id };
    void showBy(n.severity)(n.message, 'Open Output', 'Fetch Outputs', 'Show Details').then((choice) => {
      if (choice === 'Open Output') void vscode.commands.executeCommand('remoteHpc.jobs.tailOutput', ref);
      else if (choice === 'Fetch Outputs') void vscode.commands.executeCommand('remoteHpc.jobs.fetchOutputs', ref);
      else if (choice === 'Show Details') void vscode.commands.executeCommand('remoteHpc.jobs.showDetails', ref);
    });
  }
}

/**
 * One warning per job about to reach its time limit, with Show Details; an interactive
 * allocation says its session ends. Only an administrator can raise a running job's limit.
 */
export function showTimeLeftWarning(w: TimeLeftWarning): void {
  const { job, host } = w;
  const what = job.name === 'interactive' ? `The interactive session (job ${job.id})` : `Job ${jobLabel(job)}`;
  const limit = job.timeLimit ? ` (limit ${durationText(job.timeLimit)})` : '';
  const message = `${what} on ${host} reaches its time limit in ${timeLeftText(w.leftSeconds)}${limit}. Save what it needs now: the scheduler stops it then; only an administrator can extend a running job (scontrol update JobId=${job.id} TimeLimit=…).`;
  void vscode.window.showWarningMessage(message, 'Show Details').then((choice) => {
    if (choice === 'Show Details') void vscode.commands.executeCommand('remoteHpc.jobs.showDetails', { host, id: job.id });
  });
}
