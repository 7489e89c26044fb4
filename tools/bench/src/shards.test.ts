import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runShardBench } from './shards.js';

test('shard benchmark: one process against shards at once plus merge, each a real CLI run', async () => {
  const r = await runShardBench(20, [1, 2]);
  assert.equal(r.artifacts, 20);
  assert.ok(r.oneProcessMs > 0);
  assert.deepEqual(r.points.map((p) => p.shards), [1, 2]);
  for (const p of r.points) assert.ok(p.stageMs > 0 && p.mergeMs > 0, JSON.stringify(p));
});
