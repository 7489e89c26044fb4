import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrelError } from './errors.js';
import { isTransient, parseRetryAfter, requestedWaitMs, withRetry } from './retry.js';

/** An error shaped like the HTTP clients' (status + response headers). */
function httpError(status: number, headers: Record<string, string> | Headers = {}): Error {
  return Object.assign(new Error(`HTTP ${status}`), { status, headers });
}

/** Records the waits instead of sleeping. */
function fakeSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

/** fn that fails with the given errors in turn, then returns 'ok'. */
function failing(...errors: unknown[]): { calls: () => number; fn: () => Promise<string> } {
  let n = 0;
  return {
    calls: () => n,
    fn: async () => {
      const e = errors[n++];
      if (e !== undefined) throw e;
      return 'ok';
    },
  };
}

test('Retry-After in seconds is honoured exactly (jitter never shortens it)', async () => {
  const { waits, sleep } = fakeSleep();
  const f = failing(httpError(429, { 'retry-after': '7' }), httpError(503, { 'retry-after': '2' }));
  assert.equal(await withRetry(f.fn, { sleep }), 'ok');
  assert.equal(f.calls(), 3);
  assert.deepEqual(waits, [7000, 2000]);
});

test('Retry-After as an HTTP date is honoured (Headers object with get())', async () => {
  const { waits, sleep } = fakeSleep();
  const at = new Date(Date.now() + 5000).toUTCString(); // whole seconds: 4-5 s from now
  const f = failing(httpError(503, new Headers({ 'Retry-After': at })));
  assert.equal(await withRetry(f.fn, { sleep }), 'ok');
  assert.equal(waits.length, 1);
  assert.ok(waits[0]! > 3500 && waits[0]! <= 5000, `waited ${waits[0]} ms`);
});

test('a server-requested wait is still capped by maxMs', async () => {
  const { waits, sleep } = fakeSleep();
  const f = failing(httpError(429, { 'retry-after': '3600' }));
  await withRetry(f.fn, { sleep, maxMs: 10_000 });
  assert.deepEqual(waits, [10_000]);
});

test('x-ratelimit-reset is honoured when the remaining quota is 0', () => {
  const now = 1_700_000_000_000;
  const e = httpError(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 30) });
  assert.equal(requestedWaitMs(e, now), 30_000);
  const notExhausted = httpError(403, { 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': String(now / 1000 + 30) });
  assert.equal(requestedWaitMs(notExhausted, now), undefined);
});

test('parseRetryAfter: seconds, dates, past dates and garbage', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('errors that are not transient are thrown at once, without waiting', async () => {
  for (const e of [httpError(404), httpError(412), new OrelError('PUBLISH_CONFLICT', 'different bytes'), new TypeError('bug')]) {
    const { waits, sleep } = fakeSleep();
    const f = failing(e);
    await assert.rejects(withRetry(f.fn, { sleep }), (got) => got === e);
    assert.equal(f.calls(), 1, String(e));
    assert.deepEqual(waits, []);
  }
});

test('transient network errors and 5xx are retried; the last error surfaces after the retries', async () => {
  assert.ok(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' })));
  assert.ok(isTransient({ cause: { code: 'UND_ERR_SOCKET' } }));
  assert.ok(isTransient(httpError(500)) && isTransient(httpError(408)));
  const { waits, sleep } = fakeSleep();
  const last = httpError(502);
  const f = failing(httpError(500), httpError(503), last);
  const retries: number[] = [];
  await assert.rejects(withRetry(f.fn, { sleep, retries: 2, onRetry: (_e, n) => retries.push(n) }), (got) => got === last);
  assert.equal(f.calls(), 3);
  assert.equal(waits.length, 2);
  assert.deepEqual(retries, [1, 2]);
});

test('backoff grows exponentially and never exceeds maxMs', async (t) => {
  t.mock.method(Math, 'random', () => 0.999); // the top of the jitter range
  const { waits, sleep } = fakeSleep();
  const f = failing(...Array.from({ length: 20 }, () => httpError(503)));
  await assert.rejects(withRetry(f.fn, { sleep, retries: 8, baseMs: 100, maxMs: 1000 }));
  assert.equal(waits.length, 8);
  waits.forEach((w, i) => {
    const cap = Math.min(1000, 100 * 2 ** i);
    assert.ok(w <= cap && w > cap * 0.99, `wait ${i} = ${w}, cap ${cap}`);
  });
  t.mock.method(Math, 'random', () => 0);
  const low = fakeSleep();
  await assert.rejects(withRetry(failing(httpError(503), httpError(503)).fn, { sleep: low.sleep, retries: 1 }));
  assert.deepEqual(low.waits, [0], 'full jitter may retry at once');
});

test('a custom retryable predicate decides', async () => {
  const { waits, sleep } = fakeSleep();
  const conflict = Object.assign(new Error('409'), { status: 409 });
  const f = failing(conflict);
  assert.equal(await withRetry(f.fn, { sleep, retryable: (e) => (e as { status?: number }).status === 409 }), 'ok');
  assert.equal(waits.length, 1);
});
