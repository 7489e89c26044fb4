import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSignBench, runSignBench } from './sign.js';

test('sign benchmark runs at a tiny size: one certificate, one log entry per artifact, a printed ratio', async () => {
  const o = { artifacts: 12, baseline: 2, latencyMs: 2, concurrency: 4, cosign: 0, sigstorePython: 0 };
  const r = await runSignBench(o);
  assert.equal(r.certificates, 1);
  assert.equal(r.logEntries, 12);
  assert.match(formatSignBench(r, o), /^speedup: \d+\.\dx/m);
  assert.match(formatSignBench(r, o), /extrapolated to 12/);
});
