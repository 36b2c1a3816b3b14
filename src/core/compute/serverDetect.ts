/**
 * Servers a job announces in its output: Jupyter / JupyterLab (the URL with its token),
 * TensorBoard, code-server, a Dask dashboard, and a generic "listening on host:port" (Flask,
 * uvicorn, `python -m http.server`, Streamlit…). Pure: text in, servers out, in order of
 * appearance, one per port (the best line wins: a URL with a token over one without).
 */

type ServerKind = 'jupyter' | 'tensorboard' | 'code-server' | 'dask' | 'http';

export interface DetectedServer {
  kind: ServerKind;
  /** What to call it in a notification ("Jupyter Lab", "TensorBoard"). */
  label: string;
  /** The host the server printed (a node name, an address, `0.0.0.0`, `localhost`). */
  host: string;
  port: number;
  /** Path and query to open (`/lab?token=…`); `/` when none. */
  path: string;
  /** The server printed a loopback address only: the login node cannot reach it. */
  loopbackOnly: boolean;
}

// eslint-disable-next-line no-control-regex -- terminal colour codes are what is removed
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const HOST = String.raw`(\[[0-9a-fA-F:]+\]|[A-Za-z0-9][A-Za-z0-9._-]*)`;
const URL_RE = new RegExp(String.raw`https?://(?:\(([^)\s]+) or [^)\s]+\)|${HOST}):(\d{1,5})(/[^\s'"<>)\]]*)?`, 'g');

function isLoopback(host: string): boolean {
  return /^(localhost|127(?:\.\d+){3}|\[::1\]|::1)$/i.test(host);
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** What kind of server a line with a URL comes from. */
function kindOf(line: string, path: string, port: number): { kind: ServerKind; label: string } | undefined {
  if (/\btoken=/.test(path) || /Jupyter|ServerApp|NotebookApp|jupyterhub/i.test(line)) {
    return { kind: 'jupyter', label: /\/lab\b/.test(path) || /JupyterLab|ServerApp/.test(line) ? 'Jupyter Lab' : 'Jupyter Notebook' };
  }
  if (/TensorBoard/i.test(line)) return { kind: 'tensorboard', label: 'TensorBoard' };
  if (/code-server|HTTP server listening/i.test(line)) return { kind: 'code-server', label: 'code-server' };
  if (/dashboard/i.test(line) || (port === 8787 && /\/status\b/.test(path))) return { kind: 'dask', label: 'Dask dashboard' };
  if (/\b(listening|running|serving|available|started|Network URL|Local URL|server at|ready)\b/i.test(line)) return { kind: 'http', label: 'Web server' };
  return undefined;
}

/** Lines that name a port without a URL. */
const BARE: RegExp[] = [
  // Python's http.server: "Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ..." (the URL form is caught too).
  new RegExp(String.raw`Serving HTTP on ${HOST} port (\d{1,5})`, 'i'),
  // "listening on 0.0.0.0:5000", "Listening at: http://…" is a URL; "listening on port 8080".
  new RegExp(String.raw`\blistening (?:on|at):? (?:(?:tcp|http)s?://)?${HOST}:(\d{1,5})\b`, 'i'),
  /\blistening on port (\d{1,5})\b/i,
];

function fromBare(line: string): DetectedServer | undefined {
  for (const re of BARE) {
    const m = re.exec(line);
    if (!m) continue;
    const host = m.length > 2 ? (m[1] as string) : '0.0.0.0';
    const port = Number(m[m.length - 1]);
    if (!isPort(port)) return undefined;
    return { kind: 'http', label: 'Web server', host, port, path: '/', loopbackOnly: isLoopback(host) };
  }
  return undefined;
}

function rank(s: DetectedServer): number {
  return (s.path.includes('token=') ? 4 : 0) + (s.loopbackOnly ? 0 : 2) + (s.kind !== 'http' ? 1 : 0);
}

export function detectServers(text: string): DetectedServer[] {
  const byPort = new Map<number, DetectedServer>();
  /** Ports printed with a reachable address somewhere: a loopback-only mention is not the whole story. */
  const reachable = new Set<number>();
  const add = (s: DetectedServer) => {
    if (!s.loopbackOnly) reachable.add(s.port);
    const had = byPort.get(s.port);
    if (!had || rank(s) > rank(had)) byPort.set(s.port, had ? { ...s, ...(had.kind !== 'http' && s.kind === 'http' ? { kind: had.kind, label: had.label } : {}) } : s);
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(ANSI, '').trimEnd();
    if (line.length > 4000) continue;
    let found = false;
    for (const m of line.matchAll(URL_RE)) {
      const host = (m[1] ?? m[2]) as string;
      const port = Number(m[3]);
      const path = m[4] ?? '/';
      if (!isPort(port)) continue;
      const kind = kindOf(line, path, port);
      if (!kind) continue;
      found = true;
      add({ ...kind, host, port, path, loopbackOnly: isLoopback(host) });
    }
    if (!found) {
      const bare = fromBare(line);
      if (bare) add(bare);
    }
  }
  return [...byPort.values()].map((s) => (s.loopbackOnly && reachable.has(s.port) ? { ...s, loopbackOnly: false } : s));
}
