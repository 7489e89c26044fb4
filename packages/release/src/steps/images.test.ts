// The image steps end to end on a real docker-registry, in mock mode: the
// staged image is read from "staging" and everything orel writes goes to the
// sandbox mapping (sign at stage time, promote + verify at release time).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ArtifactRegistry, isOrelError, silentReporter } from '@orel/core';
import { RegistryClient, registryAccess, sandboxMapping, sigTag } from '@orel/oci';
import { keySigner, pushIndex } from '@orel/oci/testing';
import { MemoryJournal } from '@orel/pipeline';
import { registryMissing, startRegistry, type RunningRegistry } from '@orel/registry';
import { newRunState, type ReleaseContext } from '../context.js';
import { promoteImagesStep, signImagesStep, verifyImagesStep, type ImageRecord } from './images.js';

describe('image steps (mock mode on docker-registry)', { skip: registryMissing() }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => reg?.close());

  function context(images: NonNullable<ReleaseContext['rp']['plan']['images']>, signer = keySigner()): ReleaseContext {
    return {
      rp: { plan: { apiVersion: 'orel.dev/v1', release: { name: 'app', version: '1.2.3' }, targets: [], images }, file: '/plan.yaml', dir: '/', vars: { version: '1.2.3' } },
      mode: 'mock',
      workDir: '/tmp',
      stage: 'stage',
      artifacts: new ArtifactRegistry(),
      signer,
      witnesses: [],
      publishers: new Map(),
      registries: registryAccess({ map: sandboxMapping(`${reg.host}`), retry: { baseMs: 5 } }),
      trust: { publicKeyPem: signer.publicKeyPemSync },
      reporter: silentReporter,
      journal: new MemoryJournal(),
      run: newRunState(),
      report: { mode: 'mock', plan: '/plan.yaml', release: { name: 'app', version: '1.2.3' }, stages: [], verified: false, artifacts: [] },
    };
  }

  it('signs at stage time in the sandbox, promotes with tags, verifies; release tags stay put', async () => {
    const client = new RegistryClient(reg.host);
    const idx = await pushIndex(client, 'team/app', 'v1.2.3');
    const spec = { name: 'app', ref: `${reg.host}/team/app:v1.2.3`, signPlatforms: true, promoteTo: ['registry.example/app'], tags: ['v{version}', 'latest'], mutableTags: ['latest'] };
    const ctx = context([spec]);
    assert.equal(await signImagesStep.skip!(context([])), 'the plan lists no images');
    await signImagesStep.run(ctx);
    const rec = (ctx.report.images as ImageRecord[])[0];
    assert.equal(rec.digest, idx.digest);
    assert.deepEqual(rec.signed?.digests, [idx.digest, ...idx.platforms]);
    // Mock mode wrote nothing into the real staging repository.
    assert.equal(await client.getManifest('team/app', sigTag(idx.digest)), undefined);
    assert.ok(await client.getManifest('staging/127.0.0.1-' + reg.host.split(':')[1] + '/team/app', sigTag(idx.digest)));

    // The tag moves in staging after `stage`: release still uses the recorded digest.
    await pushIndex(client, 'team/app', 'v1.2.3');
    ctx.stage = 'release';
    await promoteImagesStep.run(ctx);
    const released = await client.headManifest('release/registry.example/app', 'v1.2.3');
    assert.equal(released?.digest, idx.digest);
    assert.match(await verifyImagesStep.run(ctx) as string, /^[1-9]\d* image signatures and attestations verified$/);

    // A second release of a different build under the same version tag is refused.
    const ctx2 = context([{ ...spec, ref: `${reg.host}/team/app:v1.2.3` }]);
    await signImagesStep.run(ctx2);
    await assert.rejects(promoteImagesStep.run(ctx2), (e: unknown) => isOrelError(e, 'PUBLISH_CONFLICT') && e.message.includes(':v1.2.3'));
  });

  it('release without a staged digest fails with a hint', async () => {
    const ctx = context([{ name: 'x', ref: `${reg.host}/team/x:v1`, promoteTo: ['registry.example/x'] }]);
    await assert.rejects(promoteImagesStep.run(ctx), (e: unknown) => isOrelError(e, 'INTEGRITY'));
  });
});
