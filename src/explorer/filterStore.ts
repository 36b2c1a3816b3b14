import * as vscode from 'vscode';
import { SECTION, onDidChangeSettings, setting } from '../config/settings';
import type { Logger } from '../core/log';
import type { PathFilter } from '../core/remote/types';
import { checkFilter, filterEquals, filtersFromSetting, isEmptyFilter, normalizeFilter } from '../core/remote/filterEdit';

const KEY = 'filters';

/**
 * The explorer's path filters, one per host, persisted in the `remoteHpc.filters` setting (so
 * they survive reloads, sync, and can be edited by hand). An invalid hand edit is reported and
 * the previous filter of that host stays in effect.
 */
export class FilterStore implements vscode.Disposable {
  private effective: Record<string, PathFilter>;
  private readonly changed = new vscode.EventEmitter<string[]>();
  /** Hosts whose effective filter changed. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly log: Logger) {
    this.effective = {};
    this.reload(false);
    this.subscription = onDidChangeSettings([KEY], () => this.reload(true));
  }

  get(host: string): PathFilter | undefined {
    return this.effective[host];
  }

  /** Validates, then persists (an empty filter removes the host's entry). Throws on an invalid pattern. */
  async set(host: string, filter: PathFilter): Promise<void> {
    const f = normalizeFilter(filter);
    const problem = checkFilter(f);
    if (problem) throw new Error(`Filter not changed: ${problem}`);
    const config = vscode.workspace.getConfiguration(SECTION);
    const inspected = config.inspect<Record<string, unknown>>(KEY);
    const target = inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const current = { ...((target === vscode.ConfigurationTarget.Workspace ? inspected?.workspaceValue : inspected?.globalValue) ?? {}) };
    if (isEmptyFilter(f)) delete current[host];
    else current[host] = f;
    // Apply now (the configuration event follows and then finds nothing new).
    this.apply(host, f);
    await config.update(KEY, Object.keys(current).length ? current : undefined, target);
  }

  private apply(host: string, f: PathFilter): void {
    if (filterEquals(this.effective[host], f)) return;
    if (isEmptyFilter(f)) delete this.effective[host];
    else this.effective[host] = f;
    this.changed.fire([host]);
  }

  private reload(announce: boolean): void {
    const raw = setting(KEY);
    const next = filtersFromSetting(raw);
    const hosts = new Set([...Object.keys(next), ...Object.keys(this.effective)]);
    const changed: string[] = [];
    for (const host of hosts) {
      const f = next[host];
      if (f) {
        const problem = checkFilter(f);
        if (problem) {
          this.log.warn(`[explorer] remoteHpc.filters for ${host}: ${problem}`);
          if (announce) void vscode.window.showErrorMessage(`remoteHpc.filters for ${host}: ${problem}. The previous filter stays in effect.`);
          continue;
        }
      }
      if (filterEquals(this.effective[host], f)) continue;
      if (f) this.effective[host] = f;
      else delete this.effective[host];
      changed.push(host);
    }
    if (changed.length) this.changed.fire(changed);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
