// KMS keys through signArtifacts, end to end: P-384 keys need a sha384 of
// each file (streamed), RSA keys a sha256; every <file>.sig verifies with
// openssl over the file, every bundle with @sigstore/verify given the key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { HashAlgorithm, PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { startKmsServer, type KmsServer } from '@orel/kms-server';
import type { Artifact } from '@orel/core';
import { createKmsSigner } from './kms.js';
import { signArtifacts } from './outputs.js';

let server: KmsServer;
let dir: string;

before(async () => {
  server = await startKmsServer();
  dir = mkdtempSync(join(tmpdir(), 'orel-kms-out-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function files(sub: string, n: number): Artifact[] {
  return Array.from({ length: n }, (_, i) => {
    const path = join(dir, `${sub}-${i}.tar.gz`);
    const bytes = randomBytes(1000 + i);
    writeFileSync(path, bytes);
    const h = (alg: string) => createHash(alg).update(bytes).digest('hex');
    return { name: `${sub}-${i}.tar.gz`, kind: 'archive', path, size: bytes.length, sha256: h('sha256'), sha512: h('sha512') };
  });
}

function sigstoreVerify(bundleJson: unknown, data: Buffer, pem: string, keyDetails: PublicKeyDetails): void {
  const bundle = bundleFromJSON(bundleJson);
  const hint = bundle.verificationMaterial.content.$case === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : '';
  const root = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });
  const rawBytes = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  const trust = toTrustMaterial(root, { [hint]: { rawBytes, keyDetails } });
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle, data));
}

const cases = [
  { alg: 'EC_SIGN_P384_SHA384', hash: 'sha384', proto: HashAlgorithm.SHA2_384, details: PublicKeyDetails.PKIX_ECDSA_P384_SHA_384 },
  { alg: 'EC_SIGN_P256_SHA256', hash: 'sha256', proto: HashAlgorithm.SHA2_256, details: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256 },
  { alg: 'RSA_SIGN_PKCS1_2048_SHA256', hash: 'sha256', proto: HashAlgorithm.SHA2_256, details: PublicKeyDetails.PKIX_RSA_PKCS1V15_2048_SHA256 },
] as const;

for (const c of cases) {
  test(`${c.alg}: .sig files and bundles from signArtifacts verify`, async () => {
    const key = `projects/p/locations/l/keyRings/r/cryptoKeys/${c.alg.toLowerCase()}/cryptoKeyVersions/1`;
    const { publicKeyPem } = server.addKey(key, c.alg);
    const signer = await createKmsSigner({ key: `gcpkms://${key}`, endpoint: server.endpoint, insecure: true });
    try {
      const artifacts = files(c.alg, 3);
      const work = join(dir, `work-${c.alg}`);
      const out = await signArtifacts({ artifacts, signer, outputs: ['bundle', 'sig'], workDir: work, concurrency: 3 });
      assert.equal(out.length, 6);
      writeFileSync(join(dir, `${c.alg}.pem`), publicKeyPem);
      for (const a of artifacts) {
        const sig = Buffer.from(readFileSync(join(work, `${a.name}.sig`), 'utf8'), 'base64');
        writeFileSync(join(dir, 'sig.bin'), sig);
        execFileSync('openssl', ['dgst', `-${c.hash}`, '-verify', join(dir, `${c.alg}.pem`), '-signature', join(dir, 'sig.bin'), a.path!], { stdio: 'pipe' });
        const bundleJson = JSON.parse(readFileSync(join(work, `${a.name}.sigstore.json`), 'utf8'));
        const content = bundleFromJSON(bundleJson).content;
        assert.equal(content.$case === 'messageSignature' ? content.messageSignature.messageDigest?.algorithm : undefined, c.proto);
        sigstoreVerify(bundleJson, readFileSync(a.path!), publicKeyPem, c.details);
        assert.throws(() => sigstoreVerify(bundleJson, Buffer.from('other bytes'), publicKeyPem, c.details));
      }
    } finally {
      await signer.close?.();
    }
  });
}
