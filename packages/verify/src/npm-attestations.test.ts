// Real npm attestations (the registry's response for @playwright/cli@0.1.1,
// and that version's tarball from registry.npmjs.org, in testdata/npm): the
// SLSA provenance (keyless, public-good Sigstore) and npm's publish
// attestation (signed with the registry's key) name the tarball by sha512
// only; both verify against the tarball, and nothing else.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isOrelError } from '@orel/core';
import { loadTrustedRoot, verifyBlob } from './index.js';

const DATA = join(import.meta.dirname, 'testdata/npm');
const TARBALL = join(DATA, 'playwright-cli-0.1.1.tgz');
const IDENTITY = 'https://github.com/microsoft/playwright-cli/.github/workflows/publish.yml@refs/tags/v0.1.1';
const ISSUER = 'https://token.actions.githubusercontent.com';
/** npm's registry signing key, as npm names it (https://registry.npmjs.org/-/npm/v1/keys). */
const NPM_KEYID = 'SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U';

async function attestations(): Promise<{ provenance: unknown; publish: { dsseEnvelope: unknown; verificationMaterial: { tlogEntries: { canonicalizedBody: string }[] } } }> {
  const json = JSON.parse(await readFile(join(DATA, 'playwright-cli-0.1.1.attestations.json'), 'utf8')) as { attestations: { predicateType: string; bundle: any }[] };
  const by = (type: string) => json.attestations.find((a) => a.predicateType === type)!.bundle;
  return { provenance: by('https://slsa.dev/provenance/v1'), publish: by('https://github.com/npm/attestation/tree/main/specs/publish/v0.1') };
}

/** An ECDSA P-256 key's OpenSSH fingerprint, the form of npm's key ids. */
function sshFingerprint(der: Buffer): string {
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, (b.length >> 8) & 0xff, b.length & 0xff]), b]);
  const wire = Buffer.concat([str(Buffer.from('ecdsa-sha2-nistp256')), str(Buffer.from('nistp256')), str(der.subarray(-65))]);
  return `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`;
}

/** npm's key as its log entry names it, accepted only if its fingerprint is npm's published key id. */
function npmKey(publish: { verificationMaterial: { tlogEntries: { canonicalizedBody: string }[] } }): string {
  const body = JSON.parse(Buffer.from(publish.verificationMaterial.tlogEntries[0].canonicalizedBody, 'base64').toString('utf8'));
  const pem = Buffer.from(body.spec.signatures[0].verifier, 'base64').toString('utf8');
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  assert.equal(sshFingerprint(der), NPM_KEYID);
  return pem;
}

describe('real npm attestations (sha512-only subjects)', () => {
  it('the SLSA provenance verifies against the tarball with the public-good root and the workflow identity; another identity, issuer or tarball does not', async () => {
    const { provenance } = await attestations();
    const root = (await loadTrustedRoot('public-good')).json;
    const policy = { identity: IDENTITY, issuer: ISSUER };
    const r = await verifyBlob({ file: TARBALL, bundleJson: provenance, trustedRoot: root, policy });
    assert.equal(r.identity?.subjectAlternativeName, IDENTITY);
    assert.equal(r.tlogEntries, 1);
    await assert.rejects(verifyBlob({ file: TARBALL, bundleJson: provenance, trustedRoot: root, policy: { ...policy, identity: IDENTITY.replace('v0.1.1', 'v0.1.2') } }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ file: TARBALL, bundleJson: provenance, trustedRoot: root, policy: { ...policy, issuer: 'https://accounts.google.com' } }), (e) => isOrelError(e, 'POLICY'));
    // Given only the sha256, the sha512 subject cannot be matched: a clear error, not a pass.
    const sha256 = createHash('sha256').update(await readFile(TARBALL)).digest('hex');
    await assert.rejects(verifyBlob({ sha256, bundleJson: provenance, trustedRoot: root, policy }), /names its subjects by sha512 only/);
    const dir = await mkdtemp(join(tmpdir(), 'orel-npm-'));
    try {
      const bytes = await readFile(TARBALL);
      bytes[100] ^= 1;
      await writeFile(join(dir, 'cli-0.1.1.tgz'), bytes);
      await assert.rejects(verifyBlob({ file: join(dir, 'cli-0.1.1.tgz'), bundleJson: provenance, trustedRoot: root, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("npm's publish attestation verifies against the tarball with the registry's key, its log entry checked against the public-good root; another key or tarball does not", async () => {
    const { publish } = await attestations();
    const root = (await loadTrustedRoot('public-good')).json;
    const r = await verifyBlob({ file: TARBALL, bundleJson: publish, publicKeyPem: npmKey(publish), trustedRoot: root, policy: { requireTlog: true } });
    assert.equal(r.signer, 'key');
    assert.equal(r.tlogEntries, 1);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await assert.rejects(verifyBlob({ file: TARBALL, bundleJson: publish, publicKeyPem: otherKey, trustedRoot: root }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    const dir = await mkdtemp(join(tmpdir(), 'orel-npm-'));
    try {
      await writeFile(join(dir, 'cli-0.1.1.tgz'), Buffer.concat([await readFile(TARBALL), Buffer.from([0])]));
      await assert.rejects(verifyBlob({ file: join(dir, 'cli-0.1.1.tgz'), bundleJson: publish, publicKeyPem: npmKey(publish), trustedRoot: root }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
