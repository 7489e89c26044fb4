// Secrets (tokens, passwords, PINs) are registered once when read; every log
// line and report goes through redact() so they never reach output.

const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  // Bearer tokens and JWTs that were never registered.
  return out
    .replace(/(authorization:\s*(?:bearer|token|basic)\s+)[^\s"']+/gi, '$1***')
    .replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '***');
}
