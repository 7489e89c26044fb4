// Signing into Rekor v2 (the sandbox's rekor-tiles API) with a TSA timestamp,
// checked by @sigstore/verify directly: hashedrekord 0.0.2, checkpoint and
// inclusion proof, time from the timestamp. (Real rekor-tiles: e2e
// private-sigstore; cosign and sigstore-python: e2e interop-keyless.)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { isOrelError, type RetryOptions } from '@orel/core';
import { startSandboxSigstore, type SandboxSigstore } from '@orel/sandbox';
import { createKeylessSigner, createKeylessWitnesses, rekorV2Request } from './index.js';
import { buildMessageBundle, serializeBundle } from './outputs-bundle.js';

const IDENTITY = 'release-bot@example.com';
const ISSUER = 'https://issuer.example.com';
const fastRetry: RetryOptions = { retries: 3, baseMs: 5, maxMs: 20 };
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

let dir: string;
let sb: SandboxSigstore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orel-rekor-v2-'));
  sb = await startSandboxSigstore({ dir: join(dir, 'sandbox'), identity: IDENTITY, issuer: ISSUER });
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

async function signV2(blob: Buffer) {
  const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken(), retry: fastRetry });
  const witnesses = createKeylessWitnesses({ rekor: sb.rekorV2Url, rekorVersion: 2, tsa: sb.tsaUrl, retry: fastRetry });
  const digest = sha256(blob);
  const result = await signer.signDigest(digest, 'sha256');
  return JSON.parse(serializeBundle(await buildMessageBundle({ digest, algorithm: 'sha256', result, witnesses })).toString());
}

describe('Rekor v2 witness', () => {
  it('logs hashedrekord 0.0.2 with a checkpoint and inclusion proof and no integrated time; with the timestamp, @sigstore/verify accepts it, and refuses another blob', async () => {
    const before = sb.stats();
    const blob = Buffer.from('released by rekor v2\n');
    const bundle = await signV2(blob);
    assert.equal(sb.stats().rekorV2Entries - before.rekorV2Entries, 1);
    const [entry] = bundle.verificationMaterial.tlogEntries;
    assert.deepEqual(entry.kindVersion, { kind: 'hashedrekord', version: '0.0.2' });
    assert.equal(entry.inclusionPromise, undefined, 'v2 gives no promise');
    assert.ok(!entry.integratedTime || entry.integratedTime === '0');
    assert.match(entry.inclusionProof.checkpoint.envelope, /^rekor-v2\.orel-sandbox\.invalid\n\d+\n/);
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(sb.trustedRoot)));
    const policy = { subjectAlternativeName: IDENTITY, extensions: { issuer: ISSUER } };
    verifier.verify(toSignedEntity(bundleFromJSON(bundle), blob), policy);
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(bundle), Buffer.from('another blob\n')), policy));
    // Without its timestamp, a v2 entry proves no time: refused.
    const untimed = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, timestampVerificationData: { rfc3161Timestamps: [] } } };
    assert.throws(() => verifier.verify(toSignedEntity(bundleFromJSON(untimed), blob), policy));
  });

  it('retries a busy log (503 twice) and then logs the entry once', async () => {
    sb.setFaults({ rekor: { status: 503, times: 2 } });
    const before = sb.stats();
    await signV2(Buffer.from('busy log\n'));
    assert.equal(sb.stats().rekorV2Entries - before.rekorV2Entries, 1);
    sb.setFaults({});
  });

  it('needs a timestamp authority, and logs a DSSE envelope as hashedrekord over its PAE', () => {
    assert.throws(() => createKeylessWitnesses({ rekor: sb.rekorV2Url, rekorVersion: 2 }), (e) => isOrelError(e, 'USAGE') && /records no time/.test(e.message));
    const envelope = { payloadType: 'application/vnd.in-toto+json', payload: Buffer.from('{"_type":"statement"}'), signatures: [{ keyid: '', sig: Buffer.from('sig') }] };
    const req = rekorV2Request({ $case: 'dsseEnvelope', dsseEnvelope: envelope }, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    assert.equal(req.spec?.$case, 'hashedRekordRequestV002');
    if (req.spec?.$case !== 'hashedRekordRequestV002') return;
    assert.deepEqual(Buffer.from(req.spec.hashedRekordRequestV002.digest), sha256(dsse.preAuthEncoding(envelope.payloadType, envelope.payload)));
    assert.equal(req.spec.hashedRekordRequestV002.signature?.verifier?.verifier?.$case, 'publicKey');
  });
});
