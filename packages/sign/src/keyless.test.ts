// Keyless signing against the loopback Sigstore sandbox (real HTTP), with
// bundles checked by @sigstore/verify directly (not orel's verify code) and
// the .sig/.cert layout checked by openssl.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { isOrelError, type Artifact, type RetryOptions } from '@orel/core';
import { startSandboxSigstore, type SandboxSigstore } from '@orel/sandbox';
import { createKeylessSigner, createKeylessWitnesses, RekorLogWitness, rekorV2Request } from './index.js';
import { buildMessageBundle, serializeBundle } from './outputs-bundle.js';
import { signArtifacts } from './outputs.js';

const IDENTITY = 'release-bot@example.com';
const ISSUER = 'https://issuer.example.com';
const fastRetry: RetryOptions = { retries: 3, baseMs: 5, maxMs: 20 };
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

let dir: string;
let sb: SandboxSigstore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orel-keyless-'));
  sb = await startSandboxSigstore({ dir: join(dir, 'sandbox'), identity: IDENTITY, issuer: ISSUER });
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

const newSigner = (retry = fastRetry) => createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken(), retry });

function verifyWithSigstore(bundleJson: unknown, digestOrData: Buffer, san: string): void {
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(sb.trustedRoot)));
  verifier.verify(toSignedEntity(bundleFromJSON(bundleJson), digestOrData), { subjectAlternativeName: san, extensions: { issuer: ISSUER } });
}

describe('keyless signer', () => {
  it('signs a run with one certificate; @sigstore/verify accepts the identity and rejects another', async () => {
    const before = sb.stats();
    const signer = await newSigner();
    const witnesses = createKeylessWitnesses({ rekor: sb.rekorUrl, retry: fastRetry });
    const blobs = Array.from({ length: 12 }, (_, i) => Buffer.from(`artifact ${i}\n`));
    const bundles = await Promise.all(
      blobs.map(async (blob) => {
        const digest = sha256(blob);
        const result = await signer.signDigest(digest, 'sha256');
        return JSON.parse(serializeBundle(await buildMessageBundle({ digest, algorithm: 'sha256', result, witnesses })).toString());
      }),
    );
    assert.equal(sb.stats().fulcio - before.fulcio, 1, 'one Fulcio request for the whole run');
    assert.equal(signer.certificateRequests, 1);
    const certs = new Set(bundles.map((b) => b.verificationMaterial.certificate.rawBytes));
    assert.equal(certs.size, 1, 'every artifact carries the same certificate');
    assert.equal(bundles[0].mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    bundles.forEach((b, i) => verifyWithSigstore(b, blobs[i], IDENTITY));
    assert.throws(() => verifyWithSigstore(bundles[0], blobs[0], 'someone-else@example.com'), /identity/);
    assert.throws(() => verifyWithSigstore(bundles[0], blobs[1], IDENTITY), 'another artifact does not verify');
  });

  it('renews the certificate (same key) only when it is about to expire', async () => {
    let clock = Date.now();
    // A token fetch happens "now": the fake clock snaps back to real time, so a fresh certificate looks fresh.
    const token = async () => ((clock = Date.now()), sb.mintToken());
    const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token, now: () => clock, retry: fastRetry });
    const first = await signer.certificatePem();
    await signer.signDigest(sha256('a'), 'sha256');
    assert.equal(signer.certificateRequests, 1);
    clock += 9 * 60_000; // the sandbox's certificates live 10 minutes
    await Promise.all([signer.signDigest(sha256('b'), 'sha256'), signer.signDigest(sha256('c'), 'sha256')]);
    assert.equal(signer.certificateRequests, 2, 'concurrent signers share one renewal');
    const second = await signer.certificatePem();
    assert.notEqual(second, first);
    assert.ok(new X509Certificate(second).publicKey.equals(new X509Certificate(first).publicKey), 'same ephemeral key');
  });

  it('rides out Rekor answering 503 (then 429 with Retry-After) and recovers', async () => {
    const waits: number[] = [];
    const retry: RetryOptions = { ...fastRetry, retries: 4, maxMs: 10_000, sleep: async (ms) => void waits.push(ms) };
    const signer = await newSigner();
    const [rekor] = createKeylessWitnesses({ rekor: sb.rekorUrl, retry });
    const blob = Buffer.from('flaky rekor');
    const result = await signer.signDigest(sha256(blob), 'sha256');
    sb.setFaults({ rekor: { status: 503, times: 2 } });
    const bundle = await buildMessageBundle({ digest: sha256(blob), algorithm: 'sha256', result, witnesses: [rekor] });
    verifyWithSigstore(JSON.parse(serializeBundle(bundle).toString()), blob, IDENTITY);
    assert.equal(waits.length, 2);

    sb.setFaults({ rekor: { status: 429, times: 1, retryAfter: 3 } });
    waits.length = 0;
    const blob2 = Buffer.from('rate limited');
    const r2 = await signer.signDigest(sha256(blob2), 'sha256');
    await buildMessageBundle({ digest: sha256(blob2), algorithm: 'sha256', result: r2, witnesses: [rekor] });
    assert.ok(waits[0] >= 3000, `waited ${waits[0]} ms, Retry-After asked 3000`);
    sb.setFaults({});
  });

  it('fails with SERVICE_UNAVAILABLE naming Rekor and its URL when Rekor stays down; fails fast afterwards', async () => {
    const signer = await newSigner();
    const witnesses = createKeylessWitnesses({ rekor: sb.rekorUrl, retry: fastRetry });
    const result = await signer.signDigest(sha256('x'), 'sha256');
    for (const plan of [{ down: true }, { status: 503 }]) {
      sb.setFaults({ rekor: plan });
      const w = createKeylessWitnesses({ rekor: sb.rekorUrl, retry: fastRetry });
      await assert.rejects(buildMessageBundle({ digest: sha256('x'), algorithm: 'sha256', result, witnesses: w }), (e: unknown) => {
        assert.ok(isOrelError(e, 'SERVICE_UNAVAILABLE'), String(e));
        assert.match((e as Error).message, /Rekor/);
        assert.ok((e as Error).message.includes(sb.rekorUrl), (e as Error).message);
        return true;
      });
      // Once down, the rest of the run fails at once with the same error (no retry storm).
      const rekorBefore = sb.stats().rekor;
      await assert.rejects(buildMessageBundle({ digest: sha256('y'), algorithm: 'sha256', result, witnesses: w }), /unavailable/);
      assert.equal(sb.stats().rekor, rekorBefore);
    }
    sb.setFaults({});
    await buildMessageBundle({ digest: sha256('x'), algorithm: 'sha256', result, witnesses });
  });

  it('fails with SERVICE_UNAVAILABLE naming Fulcio when Fulcio is down', async () => {
    sb.setFaults({ fulcio: { down: true } });
    try {
      const signer = await newSigner();
      await assert.rejects(signer.signDigest(sha256('z'), 'sha256'), (e: unknown) => {
        assert.ok(isOrelError(e, 'SERVICE_UNAVAILABLE'), String(e));
        assert.ok((e as Error).message.includes(`Fulcio at ${sb.fulcioUrl}`), (e as Error).message);
        return true;
      });
    } finally {
      sb.setFaults({});
    }
  });

  it('turns a Rekor 409 (entry already logged) into the existing entry', async () => {
    const signer = await newSigner();
    const blob = Buffer.from('logged twice');
    const result = await signer.signDigest(sha256(blob), 'sha256');
    const witness = new RekorLogWitness({ rekorUrl: sb.rekorUrl, retry: fastRetry });
    const entriesBefore = sb.stats().rekorEntries;
    const a = await buildMessageBundle({ digest: sha256(blob), algorithm: 'sha256', result, witnesses: [witness] });
    const b = await buildMessageBundle({ digest: sha256(blob), algorithm: 'sha256', result, witnesses: [witness] });
    assert.equal(sb.stats().rekorEntries, entriesBefore + 1, 'no duplicate log entry');
    assert.deepEqual(b.verificationMaterial.tlogEntries, a.verificationMaterial.tlogEntries);
    verifyWithSigstore(JSON.parse(serializeBundle(b).toString()), blob, IDENTITY);
  });

  it('adds RFC 3161 timestamps when a TSA is configured', async () => {
    const signer = await newSigner();
    const blob = Buffer.from('timestamped');
    const result = await signer.signDigest(sha256(blob), 'sha256');
    const witnesses = createKeylessWitnesses({ rekor: sb.rekorUrl, tsa: sb.tsaUrl, retry: fastRetry });
    const bundle = JSON.parse(serializeBundle(await buildMessageBundle({ digest: sha256(blob), algorithm: 'sha256', result, witnesses })).toString());
    assert.equal(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
    const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(sb.trustedRoot)), { timestampThreshold: 2 });
    verifier.verify(toSignedEntity(bundleFromJSON(bundle), blob), { subjectAlternativeName: IDENTITY });
  });

  it('writes .sig (base64 DER) and .cert (base64 of the PEM, no newline) that openssl verifies', async (t) => {
    try {
      execFileSync('openssl', ['version']);
    } catch {
      return t.skip('openssl not installed');
    }
    const signer = await newSigner();
    const work = join(dir, 'out');
    const data = Buffer.from('hello keyless\n');
    const file = join(dir, 'hello.txt');
    await writeFile(file, data);
    const artifact: Artifact = { name: 'hello.txt', kind: 'binary', path: file, size: data.length, sha256: sha256(data).toString('hex'), sha512: createHash('sha512').update(data).digest('hex') };
    await signArtifacts({ artifacts: [artifact], signer, outputs: ['sig', 'cert'], workDir: work });
    const sigText = await readFile(join(work, 'hello.txt.sig'), 'utf8');
    const certText = await readFile(join(work, 'hello.txt.cert'), 'utf8');
    assert.doesNotMatch(sigText, /\s/);
    assert.doesNotMatch(certText, /\s/);
    const pem = Buffer.from(certText, 'base64').toString();
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
    await writeFile(join(dir, 'leaf.pem'), pem);
    await writeFile(join(dir, 'sig.der'), Buffer.from(sigText, 'base64'));
    const pub = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-pubkey']);
    await writeFile(join(dir, 'pub.pem'), pub);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), file]).toString();
    assert.match(out, /Verified OK/);
    const san = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-ext', 'subjectAltName']).toString();
    assert.ok(san.includes(IDENTITY), san);
  });
});

// Rekor v2 (the sandbox's rekor-tiles API) with a TSA timestamp, checked by
// @sigstore/verify directly. (Real rekor-tiles: e2e private-sigstore; cosign
// and sigstore-python: e2e interop-keyless.)
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
