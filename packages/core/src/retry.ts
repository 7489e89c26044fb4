// Retries with exponential backoff and full jitter that honour a server's
// Retry-After (seconds or HTTP date) or x-ratelimit-reset (epoch seconds).

export interface RetryOptions {
  /** Attempts after the first one. */
  retries?: number;
  /** First backoff in ms; doubles each attempt. */
  baseMs?: number;
  /** Cap on a single wait. */
  maxMs?: number;
  /** Whether an error is worth retrying (default: isTransient). */
  retryable?: (err: unknown) => boolean;
  /** Called before each wait (for progress/logging). */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  /** Injectable sleep for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** HTTP statuses that mean "try again later". */
export function isTransientStatus(status: number | undefined): boolean {
  return status === 408 || status === 429 || (status !== undefined && status >= 500 && status <= 599);
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ECONNABORTED']);

/** Reads an HTTP-ish status from the error shapes our clients throw. */
export function statusOf(err: unknown): number | undefined {
  const e = err as any;
  const s = e?.status ?? e?.statusCode ?? e?.response?.status ?? e?.code;
  return typeof s === 'number' ? s : undefined;
}

export function isTransient(err: unknown): boolean {
  const e = err as any;
  if (isTransientStatus(statusOf(err))) return true;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/** A read cut short by the network (reset, premature close), possibly wrapped in an OrelError: read it again. */
export function isTransientRead(e: unknown): boolean {
  const inner = (e as { cause?: unknown })?.cause;
  const code = (x: unknown) => (x as { code?: unknown })?.code;
  return isTransient(e) || isTransient(inner) || code(e) === 'ERR_STREAM_PREMATURE_CLOSE' || code(inner) === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** Parses Retry-After (delta seconds or HTTP-date) into milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Finds a server-requested wait on an error carrying response headers. */
export function requestedWaitMs(err: unknown, now = Date.now()): number | undefined {
  const e = err as any;
  const headers = e?.headers ?? e?.response?.headers;
  if (!headers) return e?.retryAfterMs;
  const get = (k: string): string | undefined =>
    typeof headers.get === 'function' ? (headers.get(k) ?? undefined) : headers[k] ?? headers[k.toLowerCase()];
  const ra = parseRetryAfter(get('retry-after'), now);
  if (ra !== undefined) return ra;
  const reset = get('x-ratelimit-reset');
  const remaining = get('x-ratelimit-remaining');
  if (reset && remaining === '0') return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 5;
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 30_000;
  const retryable = opts.retryable ?? isTransient;
  const wait = opts.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || !retryable(err)) throw err;
      const backoff = Math.random() * Math.min(max, base * 2 ** attempt);
      const asked = requestedWaitMs(err);
      const ms = Math.min(max, asked !== undefined ? Math.max(asked, backoff / 4) : backoff);
      opts.onRetry?.(err, attempt + 1, ms);
      await wait(ms);
    }
  }
}
