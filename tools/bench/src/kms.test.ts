import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKmsBench } from './kms.js';

test('KMS benchmark runs at a tiny size: every artifact signed in both modes', async () => {
  const r = await runKmsBench({ count: 12, latencyMs: 5, concurrency: 4 });
  // 12 serial + 12 parallel AsymmetricSign calls; timings are printed, never asserted.
  assert.equal(r.calls, 24);
  assert.ok(r.orelMs > 0 && r.serialMs > 0 && Number.isFinite(r.speedup));
});
