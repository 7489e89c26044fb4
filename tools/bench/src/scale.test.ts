import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runScaleBench } from './scale.js';

test('scale benchmark: a real release per size, with its wall time, peak RSS and bytes written measured', async () => {
  const [small, larger] = await runScaleBench([5, 20]);
  assert.deepEqual([small.artifacts, larger.artifacts], [5, 20]);
  for (const p of [small, larger]) {
    assert.ok(p.wallMs > 0 && p.peakRssMb > 20, JSON.stringify(p));
    // Every file is copied to staging and to the release, with its bundle: at least 2 × 1 KiB each.
    assert.ok(p.kbWrittenPerArtifact >= 2, JSON.stringify(p));
  }
  assert.ok(larger.writtenMb > small.writtenMb, 'more artifacts, more bytes written');
});
