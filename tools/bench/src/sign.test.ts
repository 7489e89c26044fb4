import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSignBench, runSignBench } from './sign.js';

test('sign benchmark runs at a tiny size: one certificate, one log entry per artifact, a printed ratio; the Rekor v2 variant when the private stack is installed', async () => {
  const o = { artifacts: 12, baseline: 2, latencyMs: 2, concurrency: 4, cosign: 0, sigstorePython: 0, rekorV2: 6, rekorV2Concurrency: 3 };
  const r = await runSignBench(o);
  assert.equal(r.certificates, 1);
  assert.equal(r.logEntries, 12);
  const text = formatSignBench(r, o);
  assert.match(text, /^speedup: \d+\.\dx/m);
  assert.match(text, /extrapolated to 12/);
  if ('skipped' in r.rekorV2) assert.match(text, /^orel on Rekor v2: skipped \(.*install/m);
  else assert.match(text, /^orel on Rekor v2 .* for 6 artifacts, 3 in flight; .* ceil\(6\/3\) round trips = .*: ratio \d+\.\d\d/m);
});
