import * as vscode from 'vscode';
import { JOB_STATES } from '../core/scheduler/types';
import type { JobsSettings } from '../core/jobs/controller';
import { DEFAULT_NOTIFY_STATES } from '../core/jobs/notices';
import { defaultsFor, type HostJobDefaults } from '../core/jobs/submitOptions';

const SECTION = 'remoteHpc.jobs';

export function readJobsSettings(): JobsSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const poll = c.get<number>('pollIntervalSeconds', 30);
  const days = c.get<number>('historyDays', 3);
  const notify = c.get<unknown>('notifyStates', DEFAULT_NOTIFY_STATES);
  return {
    pollIntervalSeconds: Number.isFinite(poll) ? Math.min(3600, Math.max(5, poll)) : 30,
    historyDays: Number.isFinite(days) ? Math.min(365, Math.max(0, Math.floor(days))) : 3,
    notifyStates: Array.isArray(notify) ? notify.filter((s): s is string => typeof s === 'string' && (JOB_STATES as readonly string[]).includes(s)) : [...DEFAULT_NOTIFY_STATES],
  };
}

/** `remoteHpc.jobs.defaults` for one host (`*` overlaid by the host's entry). */
export function hostDefaults(host: string): HostJobDefaults {
  return defaultsFor(vscode.workspace.getConfiguration(SECTION).get<unknown>('defaults', {}), host);
}

export function affectsJobsSettings(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(SECTION);
}
