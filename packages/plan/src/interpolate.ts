// ${name} (plan variables and built-ins) and ${env:NAME} interpolation in
// plan strings. "$${" writes a literal "${". ${env:NAME:-fallback} gives a
// default when NAME is unset. Pure: the caller decides what a miss means.

export interface Ref {
  kind: 'var' | 'env' | 'malformed';
  /** Variable or environment name (the raw text for malformed references). */
  name: string;
  /** Index of the "${" in the string. */
  index: number;
}

export interface Interpolated {
  value: string;
  /** References that could not be resolved (or could not be parsed). */
  missing: Ref[];
  /** Environment variables the string refers to. */
  envRefs: string[];
}

const TOKEN = /\$\$\{|\$\{([^}]*)(\}|$)/g;
const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const VAR_REF = /^([A-Za-z_][A-Za-z0-9_]*)$/;

export function interpolate(s: string, vars: Record<string, string>, env: NodeJS.ProcessEnv | undefined): Interpolated {
  const missing: Ref[] = [];
  const envRefs: string[] = [];
  const value = s.replace(TOKEN, (m: string, inner: string | undefined, close: string, index: number) => {
    if (m === '$${') return '${';
    const body = (inner ?? '').trim();
    const envM = close ? ENV_REF.exec(body) : null;
    if (envM) {
      envRefs.push(envM[1]);
      if (!env) return m; // env not consulted (secret fields): keep the reference
      const v = env[envM[1]] ?? envM[2];
      if (v === undefined) missing.push({ kind: 'env', name: envM[1], index });
      return v ?? '';
    }
    const varM = close ? VAR_REF.exec(body) : null;
    if (varM) {
      const v = vars[varM[1]];
      if (v === undefined) missing.push({ kind: 'var', name: varM[1], index });
      return v ?? '';
    }
    missing.push({ kind: 'malformed', name: m, index });
    return m;
  });
  return { value, missing, envRefs };
}

/** True when the string refers to at least one ${...}. */
export const hasRefs = (s: string): boolean => /(^|[^$])\$\{/.test(s);
