/**
 * What `ssh` is asking, from the text it hands SSH_ASKPASS. OpenSSH's wording is stable across
 * versions (readpass.c, sshconnect.c, sshconnect2.c); anything unrecognised is a
 * keyboard-interactive prompt, answered as one.
 */
export type SshQuestion =
  | { kind: 'passphrase'; keyPath: string }
  | { kind: 'password'; user: string; host: string }
  | { kind: 'hostkey'; host: string; port: number; keyType: string; fingerprint: string }
  | { kind: 'confirm'; text: string }
  | { kind: 'prompt'; prompt: string };

const PASSPHRASE = /^Enter passphrase for (?:key )?'?(.+?)'?(?: \(will confirm each use\))?:\s*$/;
const PASSWORD = /^(?:\(([^)]*)\) )?(.+?)@(.+?)'s password:\s*$/;
const HOSTKEY_HOST = /The authenticity of host '([^']+?)(?: \([^)]*\))?' can't be established/;
const HOSTKEY_FP = /^\s*(\S+) key fingerprint is (SHA256:\S+?|MD5:\S+?)\.?\s*$/m;
const YES_NO = /\(yes\/no(?:\/\[fingerprint\])?\)\??\s*$/;

/** `[host]:port` or `host` as ssh prints it. */
function hostPort(s: string): { host: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(s);
  return m ? { host: m[1], port: Number(m[2]) } : { host: s, port: 22 };
}

export function classifyQuestion(text: string): SshQuestion {
  const p = PASSPHRASE.exec(text.trim());
  if (p) return { kind: 'passphrase', keyPath: p[1] };
  const w = PASSWORD.exec(text.trim());
  if (w) return { kind: 'password', user: w[2], host: w[3] };
  if (YES_NO.test(text)) {
    const h = HOSTKEY_HOST.exec(text);
    const f = HOSTKEY_FP.exec(text);
    if (h && f) return { kind: 'hostkey', ...hostPort(h[1]), keyType: f[1], fingerprint: f[2] };
    return { kind: 'confirm', text: text.trim() };
  }
  return { kind: 'prompt', prompt: text };
}
