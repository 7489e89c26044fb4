import { OrelError, isTransientStatus } from '@orel/core';

/** A registry answered with an unexpected status; carries status and headers for withRetry. */
export class RegistryHttpError extends OrelError {
  readonly status: number;
  readonly headers: Headers;
  constructor(status: number, headers: Headers, message: string) {
    super(isTransientStatus(status) ? 'SERVICE_UNAVAILABLE' : 'PUBLISH_FAILED', message, {
      hint:
        status === 401 || status === 403
          ? 'check the registry credentials (docker login, or OREL_REGISTRY_USERNAME/OREL_REGISTRY_PASSWORD)'
          : isTransientStatus(status)
            ? 'the registry stayed unavailable after retries; re-run later (finished work is kept)'
            : undefined,
    });
    this.status = status;
    this.headers = headers;
  }
}

/** Summarises a registry's JSON error body ({errors:[{code,message}]}) for messages. */
export async function errorSummary(res: Response): Promise<string> {
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text);
      if (Array.isArray(j?.errors)) return j.errors.map((e: any) => `${e.code}: ${e.message}`).join('; ');
    } catch {
      /* not JSON */
    }
    return text.slice(0, 200);
  } catch {
    return '';
  }
}
