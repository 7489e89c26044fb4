import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isOrelError } from '@orel/core';
import { startGcsServer, type GcsServer } from '@orel/gcs-server';
import { createGcsPublisher } from './gcs.js';
import { compareSemver, parseSemver, planMarkerWrites, readMarkers, writeMarkers } from './markers.js';

const FILES = ['stable.txt', 'latest.txt', 'latest-{major}.{minor}.txt'];
const plan = (version: string, current: Record<string, string>, prerelease = /-/.test(version)) =>
  planMarkerWrites({ files: FILES, version, prerelease, current: new Map(Object.entries(current)) });
const written = (p: ReturnType<typeof planMarkerWrites>) => Object.fromEntries(p.writes.map((w) => [w.file, w.content]));

describe('version markers', () => {
  test('semver precedence', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0'];
    for (let i = 1; i < order.length; i++) {
      assert.ok(compareSemver(parseSemver(order[i - 1])!, parseSemver(order[i])!) < 0, `${order[i - 1]} < ${order[i]}`);
    }
    assert.equal(compareSemver(parseSemver('v1.2.3')!, parseSemver('1.2.3+build.5')!), 0);
    assert.equal(parseSemver('1.2'), undefined);
  });

  test('first release writes every marker', () => {
    assert.deepEqual(written(plan('1.31.0', {})), { 'stable.txt': 'v1.31.0', 'latest.txt': 'v1.31.0', 'latest-1.31.txt': 'v1.31.0' });
  });

  test('an older patch never moves latest.txt or stable.txt backwards, only its own minor line', () => {
    const p = plan('1.30.9', { 'stable.txt': 'v1.31.2', 'latest.txt': 'v1.31.2\n', 'latest-1.30.txt': 'v1.30.8' });
    assert.deepEqual(written(p), { 'latest-1.30.txt': 'v1.30.9' });
    assert.deepEqual(p.skipped.map((s) => s.file).sort(), ['latest.txt', 'stable.txt']);
    // Nor does an older patch within the same minor line.
    assert.deepEqual(written(plan('1.31.1', { 'stable.txt': 'v1.31.2', 'latest.txt': 'v1.31.2', 'latest-1.31.txt': 'v1.31.2' })), {});
  });

  test('pre-releases move latest markers, never stable.txt; a release outranks its rc', () => {
    const rc = plan('1.32.0-rc.1', { 'stable.txt': 'v1.31.2', 'latest.txt': 'v1.31.2' });
    assert.deepEqual(written(rc), { 'latest.txt': 'v1.32.0-rc.1', 'latest-1.32.txt': 'v1.32.0-rc.1' });
    assert.match(rc.skipped[0].reason, /pre-release/);
    const ga = plan('1.32.0', { 'stable.txt': 'v1.31.2', 'latest.txt': 'v1.32.0-rc.1', 'latest-1.32.txt': 'v1.32.0-rc.1' });
    assert.deepEqual(written(ga), { 'stable.txt': 'v1.32.0', 'latest.txt': 'v1.32.0', 'latest-1.32.txt': 'v1.32.0' });
    // An rc after its release changes nothing.
    assert.deepEqual(written(plan('1.32.0-rc.2', { 'latest.txt': 'v1.32.0', 'latest-1.32.txt': 'v1.32.0' })), {});
  });

  test('a re-run writes nothing; a marker that holds no version is repaired', () => {
    assert.deepEqual(written(plan('1.31.0', { 'stable.txt': 'v1.31.0', 'latest.txt': 'v1.31.0', 'latest-1.31.txt': 'v1.31.0' })), {});
    assert.deepEqual(written(plan('1.31.0', { 'stable.txt': 'v1.31.0', 'latest.txt': '<html>', 'latest-1.31.txt': 'v1.31.0' })), { 'latest.txt': 'v1.31.0' });
  });

  test('a version that is not semver is a plan error', () => {
    assert.throws(() => plan('1.31', {}), (e) => isOrelError(e, 'PLAN_INVALID'));
  });

  describe('on GCS', () => {
    let srv: GcsServer;
    before(async () => (srv = await startGcsServer({ buckets: ['dl-k8s'] })));
    after(() => srv.close());

    test('write, then an older release leaves newer markers alone', async () => {
      const p = createGcsPublisher({ name: 'dl', url: 'gs://dl-k8s/release', endpoint: srv.url }, { retry: { retries: 0 } });
      const run = async (version: string) => {
        const files = ['stable.txt', 'latest.txt', `latest-${version.split('.').slice(0, 2).join('.')}.txt`];
        const current = await readMarkers(p, files);
        return writeMarkers(p, planMarkerWrites({ files: FILES, version, prerelease: false, current }).writes);
      };
      assert.deepEqual((await run('1.31.2')).map((r) => r.status), ['created', 'created', 'created']);
      const gen = srv.objects('dl-k8s').get('release/latest.txt')!.generation;
      assert.deepEqual((await run('1.30.9')).map((r) => r.location), ['gs://dl-k8s/release/latest-1.30.txt']);
      assert.equal((await srv.readObject('dl-k8s', 'release/latest.txt')).toString(), 'v1.31.2');
      assert.equal(srv.objects('dl-k8s').get('release/latest.txt')!.generation, gen);
      assert.deepEqual((await run('1.31.3')).map((r) => r.status), ['replaced', 'replaced', 'replaced']);
      const stable = srv.objects('dl-k8s').get('release/stable.txt')!;
      assert.equal((await srv.readObject('dl-k8s', 'release/stable.txt')).toString(), 'v1.31.3');
      assert.equal(stable.cacheControl, 'no-cache, max-age=0');
      assert.equal(stable.contentType, 'text/plain; charset=utf-8');
    });
  });
});
