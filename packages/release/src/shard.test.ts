import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OrelError } from '@orel/core';
import { mergeProblems, ownedBy, parseShard, shardManifestName, shardOf, type ShardManifest } from './shard.js';

const names = Array.from({ length: 2000 }, (_, i) => `app-${i}.tar.gz`);

describe('shards', () => {
  test('parseShard takes I/N and refuses anything else, naming the value', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4, partition: 'hash' });
    assert.deepEqual(parseShard('1/1', 'root'), { index: 1, count: 1, partition: 'root' });
    for (const bad of ['0/4', '5/4', '2', '2/0', 'a/b', '1/257', '-1/2', '1.5/2']) {
      assert.throws(() => parseShard(bad), (e: unknown) => e instanceof OrelError && e.code === 'USAGE' && e.message.includes(JSON.stringify(bad)), bad);
    }
  });

  test('shardOf: every name in exactly one shard, independent of order, the same in every run, roughly balanced', () => {
    for (const n of [1, 2, 4, 7]) {
      const counts = new Array<number>(n).fill(0);
      for (const name of names) counts[shardOf(name, n) - 1]++;
      assert.equal(counts.reduce((a, b) => a + b, 0), names.length);
      for (const c of counts) assert.ok(c > (names.length / n) * 0.8 && c < (names.length / n) * 1.2, `N=${n}: ${counts.join(', ')}`);
      // Order does not matter: the assignment depends on the name alone.
      const reversed = [...names].reverse().map((x) => [x, shardOf(x, n)] as const);
      for (const [x, s] of reversed) assert.equal(s, shardOf(x, n));
    }
    // Pinned: shards staged by two versions of orel must agree on who owns what.
    assert.deepEqual(['hello-linux-amd64', 'SHA256SUMS', 'a'].map((x) => shardOf(x, 7)), [3, 4, 3]);
    assert.equal(ownedBy(undefined, 'x'), true);
    assert.equal(ownedBy({ index: 1, count: 3, partition: 'root' }, 'x'), true);
    assert.equal(ownedBy({ index: shardOf('x', 3), count: 3, partition: 'hash' }, 'x'), true);
    assert.equal(shardManifestName({ index: 2, count: 4 }), 'orel-stage-manifest.shard-2-of-4.json');
  });

  const want = { name: 'hello', version: '1.2.0', buildId: 'b1', count: 3 };
  const file = (name: string, extra: Record<string, unknown> = {}) => ({ name, kind: 'binary' as const, size: 1, sha256: 'a'.repeat(64), sha512: 'b'.repeat(128), staged: [], ...extra });
  /** A shard manifest holding the given names' files of shard `index`. */
  const shard = (index: number, over: Partial<ShardManifest> = {}): ShardManifest => ({
    apiVersion: 'orel.dev/v1',
    kind: 'StageManifest',
    release: { name: 'hello', version: '1.2.0', buildId: 'b1' },
    createdAt: '2026-12-01T00:00:00Z',
    verified: true,
    artifacts: names.filter((n) => shardOf(n, 3) === index).slice(0, 5).map((n) => file(n)),
    shard: { index, count: 3, partition: 'hash' },
    ...over,
  });

  test('mergeProblems: three good shards merge', () => {
    assert.deepEqual(mergeProblems(want, [shard(1), shard(2), shard(3)]), []);
  });

  test('mergeProblems names the missing, foreign, unverified and overlapping shard', () => {
    assert.match(mergeProblems(want, [shard(1), undefined, shard(3)]).join('\n'), /shard 2\/3 has not been staged.*orel stage --shard 2\/3/);
    assert.match(mergeProblems(want, [shard(1), shard(2, { release: { name: 'hello', version: '1.2.0', buildId: 'b0' } }), shard(3)]).join('\n'), /shard 2\/3 is from build b0, not b1/);
    assert.match(mergeProblems(want, [shard(1), shard(2, { release: { name: 'hello', version: '1.1.0', buildId: 'b1' } }), shard(3)]).join('\n'), /shard 2\/3 is a stage of hello 1\.1\.0/);
    assert.match(mergeProblems(want, [shard(1), shard(2), shard(3, { verified: false })]).join('\n'), /shard 3\/3 did not pass its verification/);
    assert.match(mergeProblems(want, [shard(1), shard(2, { shard: { index: 2, count: 4, partition: 'hash' } }), shard(3)]).join('\n'), /shard 2\/3's manifest says it is shard 2\/4/);
    assert.match(mergeProblems(want, [shard(1), shard(2, { shard: undefined as unknown as ShardManifest['shard'] }), shard(3)]).join('\n'), /shard 2\/3's manifest does not say which shard it is/);
    const stolen = shard(1).artifacts[0];
    const overlap = mergeProblems(want, [shard(1), shard(2), shard(3, { artifacts: [...shard(3).artifacts, stolen] })]);
    assert.ok(overlap.some((p) => p.includes(`${stolen.name} is staged by both shard 1/3 and shard 3/3`)), overlap.join('\n'));
    assert.ok(overlap.some((p) => p.includes(`${stolen.name} belongs to shard 1/3, not shard 3/3`)), overlap.join('\n'));
  });

  for (const [what, name, kind] of [['public key', 'cosign.pub', 'public-key'], ["shared certificate (a CA-certified key's crt.pem)", 'crt.pem', 'certificate']] as const) {
    test(`mergeProblems: the same ${what} from every shard is no overlap; different bytes are`, () => {
      const pub = (sha: string) => file(name, { kind, sha256: sha.repeat(64) });
      const withKey = (i: number, sha: string) => shard(i, { artifacts: [...shard(i).artifacts, pub(sha)] });
      assert.deepEqual(mergeProblems(want, [withKey(1, 'c'), withKey(2, 'c'), withKey(3, 'c')]), []);
      assert.match(mergeProblems(want, [withKey(1, 'c'), withKey(2, 'd'), withKey(3, 'c')]).join('\n'), new RegExp(`${name.replace('.', '\\.')} is staged by both shard 1/3 and shard 2/3`));
    });
  }

  test('a root shard (its own build output) may hold any name; overlaps between root shards still refuse', () => {
    const root = (i: number, list: string[]) => shard(i, { artifacts: list.map((n) => file(n)), shard: { index: i, count: 3, partition: 'root' } });
    assert.deepEqual(mergeProblems(want, [root(1, ['linux-a', 'linux-b']), root(2, ['darwin-a']), root(3, [])]), []);
    assert.match(mergeProblems(want, [root(1, ['x']), root(2, ['x']), root(3, [])]).join('\n'), /x is staged by both shard 1\/3 and shard 2\/3/);
  });
});
