/** Masks anything that looks like a secret before it is logged. */
const SECRET_PATTERNS: RegExp[] = [
  /((?:password|passphrase|passwd|secret|token|otp)\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi,
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)/g,
];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce(
    (t, re) => t.replace(re, (_m, a: string, b: string) => (b.startsWith('-----END') ? `${a}…${b}` : `${a}***`)),
    text,
  );
}
