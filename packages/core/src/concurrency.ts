import pLimit from 'p-limit';

export { pLimit };

/** Default bound for parallel I/O when the plan does not say. */
export const DEFAULT_CONCURRENCY = 8;

/**
 * Maps over items with at most `concurrency` calls in flight, keeping input
 * order in the result. Every item runs even if one fails; the first error is
 * rethrown after all settle, so no work is left running in the background.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const limit = pLimit(Math.max(1, concurrency));
  const settled = await Promise.allSettled(items.map((item, i) => limit(() => fn(item, i))));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
}

/** Like mapLimit, but collects every failure instead of throwing the first. */
export async function mapLimitSettled<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const limit = pLimit(Math.max(1, concurrency));
  return Promise.allSettled(items.map((item, i) => limit(() => fn(item, i))));
}
