import type { OfflineInfo, ProgressInfo } from '../../src/shared/protocol';
/** Tiny DOM helpers: elements built from data, text always set as text (never as HTML). */

type Attrs = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: (Node | string | undefined)[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: (Node | string | undefined)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== undefined) el.append(c);
  return el;
}

/** Shows an info or error message in `box` and hides the given content elements. */
export function showMessage(box: HTMLElement, text: string, isError: boolean, hide: HTMLElement[]): void {
  box.replaceChildren(icon(isError ? 'error' : 'info'), text);
  box.className = `message${isError ? ' error' : ''}`;
  box.hidden = false;
  for (const el of hide) el.hidden = true;
}

/**
 * "Connect to <host> to show <what>." with a Connect button (needs vscode-button imported), in
 * `box`, the `hide` elements hidden: a preview brought back by a reload waits for its host.
 */
export function showOffline(box: HTMLElement, info: OfflineInfo, what: string, hide: HTMLElement[], connect: () => Promise<unknown>): void {
  const button = h('vscode-button', { icon: 'plug', 'data-testid': 'connect', disabled: info.connecting }, info.connecting ? `Connecting to ${info.host}…` : `Connect to ${info.host}`);
  const enable = (on: boolean) => ((button as HTMLElement & { disabled: boolean }).disabled = !on);
  button.addEventListener('click', () => {
    enable(false);
    // A refused or cancelled login leaves the button usable again (the host says so too).
    void connect().catch(() => undefined).finally(() => enable(true));
  });
  box.replaceChildren(icon('plug'), h('p', {}, `Connect to ${info.host} to show ${what}.`), button);
  box.className = 'message offline';
  box.hidden = false;
  for (const el of hide) el.hidden = true;
}

/** Hides the offline state once the content is on its way. */
export function leaveOffline(box: HTMLElement): void {
  if (box.classList.contains('offline')) box.hidden = true;
}

/** Drives a vscode-progress-bar from a host progress message; returns false once progress is over. */
export function updateProgressBar(bar: HTMLElement, p: ProgressInfo): boolean {
  bar.hidden = p.done === true;
  if (p.done) return false;
  const el = bar as HTMLElement & { indeterminate: boolean; value?: number; max: number };
  if (p.fraction !== undefined) {
    el.indeterminate = false;
    el.max = 100;
    el.value = Math.round(p.fraction * 100);
  } else el.indeterminate = true;
  return true;
}

export function icon(name: string, label?: string): HTMLElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': label ? undefined : 'true', 'aria-label': label, role: label ? 'img' : undefined });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function debounce<A extends unknown[]>(ms: number, fn: (...a: A) => void): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    if (t !== undefined) clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}
