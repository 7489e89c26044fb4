import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('publish benchmark runs at a tiny size and prints throughput and peak RSS', () => {
  const script = fileURLToPath(new URL('./publish.ts', import.meta.url));
  // 3 MiB with a 1 MiB threshold: the resumable path, as for the real 2 GiB run.
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--size-mib', '3', '--threshold-mib', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^baseline stream copy: \d+\.\d\d s, \d+\.\d MiB\/s, peak RSS \d+ MB$/m);
  assert.match(r.stdout, /^orel publisher: +\d+\.\d\d s, \d+\.\d MiB\/s, peak RSS \d+ MB$/m);
  assert.match(r.stdout, /^throughput orel\/baseline: \d+\.\d\d /m);
  assert.match(r.stdout, /^peak RSS \d+ MB < 200 MB: ok$/m);
});
