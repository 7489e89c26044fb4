// HTTP for Sigstore services (Fulcio, Rekor, TSA): retries on 408/429/5xx and
// network errors with backoff that honours Retry-After (core withRetry); a
// service that stays down becomes SERVICE_UNAVAILABLE naming it and its URL.
import { isTransient, OrelError, redact, withRetry, type RetryOptions } from '@orel/core';

/** An HTTP answer we did not want, with its headers (withRetry reads Retry-After from them). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
    readonly url: string,
  ) {
    super(`HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

export interface ServiceRequest {
  /** Service name for messages ("Fulcio", "Rekor", "timestamp authority"). */
  service: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Statuses handed back to the caller instead of failing (e.g. Rekor's 409). */
  accept?: (status: number) => boolean;
  retry?: RetryOptions;
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
}

const isTimeout = (e: unknown): boolean => (e as Error)?.name === 'TimeoutError' || (e as Error)?.name === 'AbortError';
export const retryableServiceError = (e: unknown): boolean => isTimeout(e) || isTransient(e);

/** Fetches with retries; returns the Response of a 2xx (or accepted) answer. */
export async function serviceFetch(req: ServiceRequest): Promise<Response> {
  let attempts = 0;
  try {
    return await withRetry(
      async () => {
        attempts++;
        const res = await fetch(req.url, {
          method: req.method ?? 'POST',
          headers: req.headers,
          body: req.body,
          signal: AbortSignal.timeout(req.timeoutMs ?? 30_000),
        });
        if (res.ok || req.accept?.(res.status)) return res;
        throw new HttpStatusError(res.status, res.headers, await res.text().catch(() => ''), req.url);
      },
      { retryable: retryableServiceError, ...req.retry },
    );
  } catch (e) {
    throw toServiceError(req, e, attempts);
  }
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.cause?.code) return `${err.message} (${err.cause.code})`;
  return err?.message ?? String(e);
}

function toServiceError(req: ServiceRequest, e: unknown, attempts: number): OrelError {
  if (e instanceof OrelError) return e;
  const what = `${req.service} at ${req.url}`;
  if (retryableServiceError(e)) {
    return new OrelError('SERVICE_UNAVAILABLE', redact(`${what} is unavailable: ${describe(e)} (${attempts} attempt${attempts === 1 ? '' : 's'})`), {
      hint: `nothing was published; check ${req.service}'s status and run the same command again later (finished work is not redone)`,
      cause: e,
    });
  }
  return new OrelError('SIGN_FAILED', redact(`${what} refused the request: ${describe(e)}`), { cause: e });
}

/**
 * Remembers that a service stayed down, so the remaining items of a run fail
 * at once with the same error instead of each waiting through its own retries.
 */
export class OutageBreaker {
  private outage?: OrelError;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.outage) throw this.outage;
    try {
      return await fn();
    } catch (e) {
      if (e instanceof OrelError && e.code === 'SERVICE_UNAVAILABLE') this.outage = e;
      throw e;
    }
  }
}
