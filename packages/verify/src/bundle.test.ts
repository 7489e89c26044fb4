import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON, bundleToJSON, toMessageSignatureBundle } from '@sigstore/bundle';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { isOrelError, type ErrorCode } from '@orel/core';
import { createKeyFileSigner, signArtifacts } from '@orel/sign';
import { verifyBundle } from './bundle.js';

const tmp = mkdtempSync(join(tmpdir(), 'orel-bundle-'));
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pub = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const spki = ec.publicKey.export({ type: 'spki', format: 'der' });
const hint = createHash('sha256').update(spki).digest('base64');
const data = randomBytes(2048);
const digest = createHash('sha256').update(data).digest();
const EMPTY_ROOT = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };

/** A key-signed bundle made without orel: @sigstore/bundle + node's crypto. */
const keyBundle = bundleToJSON(toMessageSignatureBundle({ digest, signature: sign('sha256', data, ec.privateKey), keyHint: hint }));

const rejectsWith = (code: ErrorCode, re: RegExp) => (e: unknown) => {
  assert.ok(isOrelError(e, code), `expected ${code}, got ${e}`);
  assert.match(e.message, re);
  return true;
};

test('the independently built bundle passes @sigstore/verify itself (sanity)', () => {
  const trust = toTrustMaterial(TrustedRoot.fromJSON(EMPTY_ROOT), { [hint]: { rawBytes: spki, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256 } });
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundleFromJSON(keyBundle), data));
});

test('key-signed bundle verifies by digest (no bytes) and by data', async () => {
  const r = await verifyBundle({ name: 'app.tar.gz', bundleJson: keyBundle, digest, publicKeyPem: pub });
  assert.equal(r.signer, 'key');
  await verifyBundle({ name: 'app.tar.gz', bundleJson: keyBundle, data, publicKeyPem: pub });
  await verifyBundle({ name: 'app.tar.gz', bundleJson: keyBundle, data, digest, publicKeyPem: pub, trustedRoot: EMPTY_ROOT });
});

test('tampered digest or data, forged signature, wrong key: VERIFY_FAILED', async () => {
  const otherDigest = createHash('sha256').update('other').digest();
  await assert.rejects(verifyBundle({ name: 'app.tar.gz', bundleJson: keyBundle, digest: otherDigest, publicKeyPem: pub }), rejectsWith('VERIFY_FAILED', /^app\.tar\.gz: the bundle was made for other bytes/));
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyBundle, data: Buffer.from('x'), publicKeyPem: pub }), rejectsWith('VERIFY_FAILED', /other bytes/));
  // The digest field rewritten to match other bytes: the signature no longer fits.
  const forged = structuredClone(keyBundle) as any;
  forged.messageSignature.messageDigest.digest = otherDigest.toString('base64');
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: forged, digest: otherDigest, publicKeyPem: pub }), rejectsWith('VERIFY_FAILED', /signature verification failed/));
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyBundle, digest, publicKeyPem: other }), rejectsWith('VERIFY_FAILED', /signature verification failed/));
});

test('missing inputs and bad documents: VERIFY_FAILED with the reason', async () => {
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyBundle, digest }), rejectsWith('VERIFY_FAILED', /key-signed; a public key is needed/));
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyBundle, publicKeyPem: pub }), rejectsWith('VERIFY_FAILED', /digest or bytes are needed/));
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: { mediaType: 'nope' }, digest, publicKeyPem: pub }), rejectsWith('VERIFY_FAILED', /not a valid Sigstore bundle/));
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyBundle, digest, publicKeyPem: pub, trustedRoot: { foo: 1 } }), rejectsWith('VERIFY_FAILED', /trusted root/));
});

test('requireTlog: refused without a root, and unmet with a root and no entry', async () => {
  const policy = { requireTlog: true };
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyBundle, digest, publicKeyPem: pub, policy }), rejectsWith('VERIFY_FAILED', /transparency-log entry is required/));
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyBundle, digest, publicKeyPem: pub, policy, trustedRoot: EMPTY_ROOT }), rejectsWith('VERIFY_FAILED', /expected 1 tlog entries, got 0/));
});

test('keyless bundles are never accepted without a trusted root and an identity check', async () => {
  const keyFile = join(tmp, 'k.pem');
  writeFileSync(keyFile, ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const certDer = execFileSync('openssl', ['req', '-x509', '-key', keyFile, '-subj', '/CN=attacker', '-days', '1', '-outform', 'DER']);
  const keyless = bundleToJSON(toMessageSignatureBundle({ digest, signature: sign('sha256', data, ec.privateKey), certificate: certDer }));
  // Even with a matching public key on hand, a certificate bundle is not a key bundle.
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyless, digest, publicKeyPem: pub }), rejectsWith('VERIFY_FAILED', /keyless .*trusted root is needed/));
  await assert.rejects(verifyBundle({ name: 'app', bundleJson: keyless, digest, trustedRoot: EMPTY_ROOT }), rejectsWith('POLICY', /no identity policy check is configured/));
  // With an identity check that accepts anything, the self-signed cert still fails the chain/timestamp checks.
  let called = false;
  await assert.rejects(
    verifyBundle({ name: 'app', bundleJson: keyless, digest, trustedRoot: EMPTY_ROOT, checkIdentity: () => void (called = true) }),
    rejectsWith('VERIFY_FAILED', /^app: .*(TIMESTAMP_ERROR|CERTIFICATE_ERROR)/),
  );
  assert.equal(called, false);
});

test('round trip with @orel/sign: signArtifacts outputs verify here', async () => {
  const file = join(tmp, 'tool-linux-amd64');
  writeFileSync(file, data);
  writeFileSync(join(tmp, 'key.pem'), ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const signer = await createKeyFileSigner({ key: 'key.pem' }, { baseDir: tmp });
  const artifact = { name: 'tool-linux-amd64', kind: 'binary' as const, path: file, size: data.length, sha256: digest.toString('hex'), sha512: createHash('sha512').update(data).digest('hex') };
  const [bundleArtifact] = await signArtifacts({ artifacts: [artifact], signer, outputs: ['bundle'], workDir: join(tmp, 'out') });
  const bundleJson = JSON.parse(readFileSync(bundleArtifact.path!, 'utf8'));
  await verifyBundle({ name: artifact.name, bundleJson, digest, publicKeyPem: pub });
});
