// End to end against Debian's docker-registry on 127.0.0.1: push, sign,
// promote, verify; plus an independent check of the `.sig` layout with plain
// fetch and openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOrelError } from '@orel/core';
import { registryMissing, startAuthProxy, startFaultProxy, startRegistry, type FaultProxy, type RunningRegistry } from '@orel/registry';
import { RegistryClient } from './client.js';
import { ANN_SIGNATURE, COSIGN_SIMPLESIGNING, DSSE_ENVELOPE, OCI_INDEX, OCI_MANIFEST, SIGSTORE_BUNDLE, attTag, sigTag } from './media.js';
import { attachAttestation } from './attest.js';
import { verifyImageAttestations } from './verify-attestations.js';
import { inTotoStatement, signDsseBundle } from '@orel/sign';
import { promoteImage } from './promote.js';
import { resolveImage } from './resolve.js';
import { signImage } from './sign.js';
import { keySigner, pushImage, pushIndex } from './testing.js';
import { verifyImage } from './verify.js';

const skip = registryMissing();

describe('images against docker-registry', { skip }, () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  const signer = keySigner();
  const tmp = mkdtempSync(join(tmpdir(), 'orel-oci-'));

  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.url);
    client = new RegistryClient(reg.host, { retry: { baseMs: 5, maxMs: 50 } });
  });
  after(async () => {
    await proxy?.close();
    await reg?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('resolves a tag once, signs by digest, and the .sig layout checks out with fetch + openssl', async () => {
    const pushed = await pushImage(client, 'staging/app', 'v1');
    const img = await resolveImage(client, `${reg.host}/staging/app:v1`);
    assert.equal(img.digest, pushed.digest);
    assert.equal(img.mediaType, OCI_MANIFEST);

    const r = await signImage({ client, repo: 'staging/app', digest: img.digest, signer });
    assert.equal(r.signature, 'added');
    assert.equal(r.bundle?.status, 'added');

    // Independent reading: plain fetch with the OCI Accept header.
    const res = await fetch(`${reg.url}/v2/staging/app/manifests/${sigTag(img.digest)}`, { headers: { accept: OCI_MANIFEST } });
    assert.equal(res.status, 200);
    const sig = await res.json() as any;
    assert.equal(sig.mediaType, OCI_MANIFEST);
    assert.equal(sig.layers.length, 1);
    const layer = sig.layers[0];
    assert.equal(layer.mediaType, COSIGN_SIMPLESIGNING);
    const payload = Buffer.from(await (await fetch(`${reg.url}/v2/staging/app/blobs/${layer.digest}`)).arrayBuffer());
    assert.equal(
      payload.toString(),
      `{"critical":{"identity":{"docker-reference":"${reg.host}/staging/app"},"image":{"docker-manifest-digest":"${img.digest}"},"type":"cosign container image signature"},"optional":null}`,
    );
    writeFileSync(join(tmp, 'payload'), payload);
    writeFileSync(join(tmp, 'sig.der'), Buffer.from(layer.annotations[ANN_SIGNATURE], 'base64'));
    writeFileSync(join(tmp, 'pub.pem'), signer.publicKeyPemSync);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(tmp, 'pub.pem'), '-signature', join(tmp, 'sig.der'), join(tmp, 'payload')]).toString();
    assert.match(out, /Verified OK/);

    // The bundle referrer sits in the fallback index (2.8 has no referrers API).
    const idx = await (await fetch(`${reg.url}/v2/staging/app/manifests/${img.digest.replace(':', '-')}`, { headers: { accept: OCI_INDEX } })).json() as any;
    assert.equal(idx.mediaType, OCI_INDEX);
    assert.equal(idx.manifests.length, 1);
    assert.equal(idx.manifests[0].artifactType, SIGSTORE_BUNDLE);

    // Re-running adds nothing.
    const again = await signImage({ client, repo: 'staging/app', digest: img.digest, signer });
    assert.equal(again.signature, 'exists');
    assert.equal(again.bundle?.status, 'exists');
    assert.equal(again.sigManifestDigest, r.sigManifestDigest);

    // Another signer appends a layer and keeps ours.
    const other = keySigner();
    const third = await signImage({ client, repo: 'staging/app', digest: img.digest, signer: other, bundle: false });
    assert.equal(third.signature, 'added');
    const merged = await client.getManifest('staging/app', sigTag(img.digest));
    assert.equal(JSON.parse(merged!.bytes.toString()).layers.length, 2);

    const v = await verifyImage({ client, repo: 'staging/app', ref: 'v1', publicKeyPem: signer.publicKeyPemSync, expectedDigest: img.digest });
    assert.ok(v.checks.some((c) => c.ok && c.source === 'sig-tag'));
    assert.ok(v.checks.some((c) => c.ok && c.source === 'referrer'));
  });

  it('signs a two-platform index, promotes it with signatures, refuses a moved tag, re-runs idempotently', async () => {
    const idx = await pushIndex(client, 'staging/multi', 'v2');
    const img = await resolveImage(client, `${reg.host}/staging/multi:v2`);
    assert.equal(img.digest, idx.digest);
    assert.deepEqual(img.platforms.map((p) => p.digest), idx.platforms);
    for (const d of [img.digest, ...idx.platforms]) await signImage({ client, repo: 'staging/multi', digest: d, signer });

    const from = { client, repo: 'staging/multi' };
    const to = { client, repo: 'release/multi' };
    const p1 = await promoteImage({ from, to, digest: img.digest, tags: ['v2.0.0', 'latest'], mutableTags: ['latest'] });
    assert.equal(p1.tags['v2.0.0'], 'created');
    assert.ok(p1.blobs.mounted > 0, 'same registry: blobs are mounted');
    assert.equal(p1.signatures.layersAdded, 3);
    assert.equal(p1.signatures.referrersAdded, 3);

    const v = await verifyImage({ client, repo: 'release/multi', ref: 'v2.0.0', publicKeyPem: signer.publicKeyPemSync, platforms: true });
    assert.equal(v.digest, img.digest);
    assert.equal(new Set(v.checks.filter((c) => c.ok).map((c) => c.digest)).size, 3);

    const p2 = await promoteImage({ from, to, digest: img.digest, tags: ['v2.0.0', 'latest'], mutableTags: ['latest'] });
    assert.deepEqual(p2.tags, { 'v2.0.0': 'exists', latest: 'exists' });
    assert.equal(p2.manifests.copied, 0);
    assert.equal(p2.signatures.layersAdded, 0);
    assert.equal(p2.signatures.referrersAdded, 0);
    const sig = await client.getManifest('release/multi', sigTag(img.digest));
    assert.equal(JSON.parse(sig!.bytes.toString()).layers.length, 1);
    const fallback = await client.getFallbackIndex('release/multi', img.digest);
    assert.equal(fallback!.index.manifests.length, 1);

    // A different image under an immutable tag is refused; "latest" may move.
    const other = await pushImage(client, 'staging/multi', 'other');
    await assert.rejects(
      promoteImage({ from, to, digest: other.digest, tags: ['v2.0.0', 'latest'], mutableTags: ['latest'] }),
      (e: unknown) => isOrelError(e, 'PUBLISH_CONFLICT') && e.message.includes('release/multi:v2.0.0') && e.message.includes(img.digest) && e.message.includes(other.digest),
    );
    assert.equal((await client.headManifest('release/multi', 'latest'))?.digest, img.digest, 'nothing changed after the refusal');
    const moved = await promoteImage({ from, to, digest: other.digest, tags: ['latest'], mutableTags: ['latest'] });
    assert.equal(moved.tags.latest, 'moved');
  });

  it('attaches an attestation as a referrer and an .att layer once, promotes both, and verifies only the attached type', async () => {
    const pushed = await pushIndex(client, 'staging/att', 'v1');
    const statement = Buffer.from(JSON.stringify(inTotoStatement('https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3' }, [{ name: `${reg.host}/staging/att`, digest: pushed.digest }])));
    const bundle = await signDsseBundle({ payload: statement, signer, what: 'a test attestation' });
    const attach = () => attachAttestation({ client, repo: 'staging/att', digest: pushed.digest, bundle, predicateType: 'https://spdx.dev/Document' });
    assert.deepEqual(await attach(), { referrer: 'added', att: 'added' });
    assert.deepEqual(await attach(), { referrer: 'exists', att: 'exists' }, 'a re-run adds nothing');
    const att = JSON.parse((await client.getManifest('staging/att', attTag(pushed.digest)))!.bytes.toString('utf8'));
    assert.equal(att.layers.length, 1);
    assert.equal(att.layers[0].mediaType, DSSE_ENVELOPE);
    assert.equal(att.layers[0].annotations.predicateType, 'https://spdx.dev/Document');

    await promoteImage({ from: { client, repo: 'staging/att' }, to: { client, repo: 'release/att' }, digest: pushed.digest });
    const types = (t: string) => verifyImageAttestations({ client, repo: 'release/att', ref: pushed.digest, publicKeyPem: signer.publicKeyPemSync, types: [t] });
    const ok = await types('https://spdx.dev/Document');
    assert.deepEqual(ok.checks.filter((c) => c.ok).map((c) => c.source).sort(), ['att-tag', 'referrer']);
    await assert.rejects(types('https://slsa.dev/provenance/v1'), (e: unknown) => isOrelError(e, 'VERIFY_FAILED') && /no https:\/\/slsa\.dev\/provenance\/v1 attestation/.test(e.message));
    // Attestation referrers are not signatures: the image itself is unsigned.
    await assert.rejects(verifyImage({ client, repo: 'release/att', ref: pushed.digest, publicKeyPem: signer.publicKeyPemSync }), (e: unknown) => isOrelError(e, 'VERIFY_FAILED'));
  });

  it('verification fails with the wrong key and for an unsigned image', async () => {
    const pushed = await pushImage(client, 'staging/bad', 'v1');
    await signImage({ client, repo: 'staging/bad', digest: pushed.digest, signer, bundle: false });
    await assert.rejects(
      verifyImage({ client, repo: 'staging/bad', ref: 'v1', publicKeyPem: keySigner().publicKeyPemSync }),
      (e: unknown) => isOrelError(e, 'VERIFY_FAILED') && /does not verify/.test(e.message),
    );
    const unsigned = await pushImage(client, 'staging/bad', 'v2');
    await assert.rejects(verifyImage({ client, repo: 'staging/bad', ref: 'v2', publicKeyPem: signer.publicKeyPemSync }), (e: unknown) =>
      isOrelError(e, 'VERIFY_FAILED') && e.message.includes(unsigned.digest),
    );
  });

  it('copies across registries through a proxy that answers 503 first, with chunked uploads', async () => {
    const pushed = await pushImage(client, 'staging/retry', 'v1');
    await signImage({ client, repo: 'staging/retry', digest: pushed.digest, signer });
    const viaProxy = new RegistryClient(proxy.host, { retry: { baseMs: 5, maxMs: 50 }, chunkSize: 16 });
    proxy.failNext(3);
    const r = await promoteImage({ from: { client, repo: 'staging/retry' }, to: { client: viaProxy, repo: 'release/retry' }, digest: pushed.digest, tags: ['v1.0.0'] });
    assert.equal(proxy.faults, 3);
    assert.ok(r.blobs.copied > 0, 'different base URLs: blobs are streamed, not mounted');
    assert.ok(proxy.log.some((l) => l.startsWith('PATCH ')), 'chunked upload used');
    const v = await verifyImage({ client, repo: 'release/retry', ref: 'v1.0.0', publicKeyPem: signer.publicKeyPemSync });
    assert.equal(v.digest, pushed.digest);
  });

  it('authenticates with a bearer token from the challenge, using basic credentials', async () => {
    const auth = await startAuthProxy(reg.url, { username: 'robot', password: 's3cret-pw' });
    try {
      const anon = new RegistryClient(auth.host, { credentials: undefined, retry: { retries: 0 } });
      await assert.rejects(pushImage(anon, 'private/app', 'v1'), (e: unknown) => isOrelError(e) && /401/.test(e.message));
      const c = new RegistryClient(auth.host, { credentials: { username: 'robot', password: 's3cret-pw' } });
      const pushed = await pushImage(c, 'private/app', 'v1');
      await signImage({ client: c, repo: 'private/app', digest: pushed.digest, signer });
      const v = await verifyImage({ client: c, repo: 'private/app', ref: 'v1', publicKeyPem: signer.publicKeyPemSync });
      assert.equal(v.digest, pushed.digest);
      assert.ok(auth.scopes.includes('repository:private/app:pull,push'));
    } finally {
      await auth.close();
    }
  });

  it('gives up with SERVICE_UNAVAILABLE when the registry stays down', async () => {
    const c = new RegistryClient(proxy.host, { retry: { retries: 2, baseMs: 1, maxMs: 5 } });
    proxy.failNext(10);
    await assert.rejects(c.getManifest('staging/app', 'v1'), (e: unknown) => isOrelError(e, 'SERVICE_UNAVAILABLE'));
    proxy.failNext(0);
  });
});
