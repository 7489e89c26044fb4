import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTufRepo, serveTufRepo } from '@orel/sandbox';
import { isOrelError } from '@orel/core';
import { loadTrustedRoot, publicGoodTrustedRoot } from './trust-roots.js';
import { readTufTarget } from './tuf-trust.js';

describe('trust from a TUF repository (@sigstore/tuf)', () => {
  let dir: string;
  const root = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orel-tuf-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a private mirror plus its root.json: the target is fetched, verified and cached; offline it comes from the cache, saying how old it is', async () => {
    const repo = buildTufRepo({ 'trusted_root.json': Buffer.from(JSON.stringify(root)) });
    await writeFile(join(dir, 'root.json'), repo.rootJson);
    const served = await serveTufRepo(repo);
    const cacheDir = join(dir, 'cache');
    try {
      const spec = { mirror: served.url, root: join(dir, 'root.json') };
      const loaded = await loadTrustedRoot(undefined, { tuf: spec, tufOptions: { cacheDir } });
      assert.deepEqual(loaded.json, root);
      assert.match(loaded.source, /trusted_root\.json from TUF repository http:\/\/127\.0\.0\.1:\d+ \(refreshed now\)/);
      assert.ok(loaded.file?.startsWith(cacheDir), 'a private root is a file users pass');
      assert.equal(await readTufTarget(spec, 'signing_config.v0.2.json', { cacheDir }), undefined, 'a missing target is undefined, not an error');
    } finally {
      await served.close();
    }
    const offline = await loadTrustedRoot(undefined, { tuf: { mirror: served.url }, tufOptions: { cacheDir, offline: true } });
    assert.deepEqual(offline.json, root);
    assert.match(offline.source, /TUF cache of .* \(offline; \d+ s old\)/);
  });

  it('refuses a target whose bytes the repository did not sign, and a mirror that is down, naming the mirror', async () => {
    const repo = buildTufRepo({ 'trusted_root.json': Buffer.from(JSON.stringify(root)) });
    await writeFile(join(dir, 'root2.json'), repo.rootJson);
    repo.files.set('targets/trusted_root.json', Buffer.from(JSON.stringify({ ...root, tlogs: [{ baseUrl: 'https://evil' }] })));
    const served = await serveTufRepo(repo);
    const spec = { mirror: served.url, root: join(dir, 'root2.json') };
    try {
      await assert.rejects(loadTrustedRoot(undefined, { tuf: spec, tufOptions: { cacheDir: join(dir, 'c2') } }), (e) => isOrelError(e, 'SERVICE_UNAVAILABLE') && e.message.includes(served.url));
    } finally {
      await served.close();
    }
    await assert.rejects(loadTrustedRoot(undefined, { tuf: spec, tufOptions: { cacheDir: join(dir, 'c3'), timeoutMs: 2000 } }), (e) => isOrelError(e, 'SERVICE_UNAVAILABLE') && /cannot update Sigstore trust/.test(e.message));
  });

  it('public-good offline with an empty cache is the embedded seed, and says so', async () => {
    const loaded = await loadTrustedRoot(undefined, { tufOptions: { cacheDir: join(dir, 'empty'), offline: true } });
    assert.deepEqual(loaded.json, publicGoodTrustedRoot());
    assert.match(loaded.source, /embedded seed, offline with no TUF cache; newest key from \d{4}-\d\d-\d\d/);
    assert.equal(loaded.file, undefined);
  });
});
