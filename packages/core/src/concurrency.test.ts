import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { mapLimit, mapLimitSettled } from './concurrency.js';

/** Tracks how many calls are in flight at once. */
function gauge(): { enter: () => void; leave: () => void; max: () => number } {
  let now = 0;
  let max = 0;
  return {
    enter: () => void (max = Math.max(max, ++now)),
    leave: () => void now--,
    max: () => max,
  };
}

test('mapLimit never has more than `concurrency` calls in flight and keeps input order', async () => {
  const g = gauge();
  const items = Array.from({ length: 20 }, (_, i) => i);
  const out = await mapLimit(items, 3, async (n, i) => {
    g.enter();
    await delay((n * 7) % 5); // finish out of order
    g.leave();
    return n * 10 + i;
  });
  assert.equal(g.max(), 3);
  assert.deepEqual(out, items.map((n) => n * 11));
});

test('mapLimit treats a bound below 1 as 1', async () => {
  const g = gauge();
  await mapLimit([1, 2, 3], 0, async () => {
    g.enter();
    await delay(1);
    g.leave();
  });
  assert.equal(g.max(), 1);
});

test('mapLimit rethrows the first failure only after every item has settled', async () => {
  const started: number[] = [];
  const finished: number[] = [];
  const p = mapLimit([0, 1, 2, 3, 4, 5, 6, 7], 2, async (n) => {
    started.push(n);
    await delay(n === 7 ? 20 : 1);
    if (n === 2 || n === 5) throw new Error(`item ${n} failed`);
    finished.push(n);
    return n;
  });
  await assert.rejects(p, /item 2 failed/);
  assert.deepEqual([...started].sort(), [0, 1, 2, 3, 4, 5, 6, 7], 'items after a failure still ran');
  assert.ok(finished.includes(7), 'the slow last item finished before the rejection: nothing left running');
});

test('mapLimitSettled reports every outcome in order', async () => {
  const res = await mapLimitSettled(['a', 'b', 'c'], 2, async (s) => {
    if (s === 'b') throw new Error('b broke');
    return s.toUpperCase();
  });
  assert.deepEqual(
    res.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    ['A', 'b broke', 'C'],
  );
});
