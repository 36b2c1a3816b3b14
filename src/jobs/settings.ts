import type * as vscode from 'vscode';
import { JOB_STATES } from '../core/scheduler/types';
import type { JobsSettings } from '../core/jobs/controller';
import { DEFAULT_NOTIFY_STATES } from '../core/jobs/notices';
import { numberSetting, onDidChangeSettings, setting } from '../config/settings';
import { toSortKey, type JobSortKey } from '../core/jobs/sorting';

export function readJobsSettings(): JobsSettings {
  const notify = setting('jobs.notifyStates');
  return {
    pollIntervalSeconds: numberSetting('jobs.pollIntervalSeconds', 5, 3600),
    historyDays: Math.floor(numberSetting('jobs.historyDays', 0, 365)),
    notifyStates: Array.isArray(notify) ? notify.filter((s): s is string => typeof s === 'string' && (JOB_STATES as readonly string[]).includes(s)) : [...DEFAULT_NOTIFY_STATES],
  };
}

/** `remoteHpc.jobs.sortBy`: the order of the Jobs view's rows. */
export function readJobSort(): JobSortKey {
  return toSortKey(setting('jobs.sortBy'));
}

/** Any `remoteHpc.jobs.*` setting changed. */
export function onDidChangeJobsSettings(listener: () => void): vscode.Disposable {
  return onDidChangeSettings(['jobs'], listener);
}

/** `remoteHpc.jobs.timeLeftWarning`: minutes before a running job's limit to warn at (0: off). */
export function readTimeLeftWarning(): number {
  return numberSetting('jobs.timeLeftWarning', 0, 1440);
}
