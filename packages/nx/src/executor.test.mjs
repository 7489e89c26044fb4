import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const { argsFor } = createRequire(import.meta.url)('./executor.cjs');

test('executor options become the orel command line', () => {
  assert.deepEqual(argsFor('release', {}), ['release', '--plan', 'release.yaml']);
  assert.deepEqual(argsFor('stage', { plan: 'ops/release.yaml', nomock: true, buildId: '42', shard: '2/4', json: true, args: ['--verbose'] }), [
    'stage', '--plan', 'ops/release.yaml', '--nomock', '--build-id', '42', '--shard', '2/4', '--json', '--verbose',
  ]);
  assert.deepEqual(argsFor('merge', { shards: 4, releaseVersion: '1.3.0-rc.1' }), ['merge', '--plan', 'release.yaml', '--release-version', '1.3.0-rc.1', '--shards', '4']);
});
