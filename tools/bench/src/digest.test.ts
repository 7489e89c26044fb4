import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('digest benchmark runs at a tiny size and prints a ratio', (t) => {
  if (spawnSync('openssl', ['version']).status !== 0) return t.skip('openssl not installed');
  const script = fileURLToPath(new URL('./digest.ts', import.meta.url));
  // Started without --conditions on purpose: the script re-runs itself under "development".
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--size-mib', '8', '--runs', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^files: 68 \(8 MiB, mixed\)/m);
  assert.match(r.stdout, /^ratio orel\/limit: \d+\.\d\d /m);
});
