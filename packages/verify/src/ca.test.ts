// verifyBlob for a release signed with a CA-certified key: bundles and
// .sig + .cert pairs verify against a trusted root built from the CA chain,
// with the identity alone; another CA, identity or issuer, other bytes and a
// required log entry are refused. (The openssl-made CA and cosign: e2e corporate-ca.)
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOrelError, type Artifact } from '@orel/core';
import { sandboxCa } from '@orel/sandbox';
import { certifySigner, createPrivateKeySigner, signArtifacts } from '@orel/sign';
import { caTrustedRoot, isCaOnlyRoot, publicGoodTrustedRoot, verifyBlob } from './index.js';

const IDENTITY = 'release@example.com';
let dir: string;
let file: string;
let root: ReturnType<typeof caTrustedRoot>;
let otherRoot: ReturnType<typeof caTrustedRoot>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orel-ca-'));
  const ca = await sandboxCa(join(dir, 'ca'));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = await ca.certify(publicKey, { subject: 'O=Example Corp\nCN=release', subjectAltName: `email:${IDENTITY}` });
  const signer = await certifySigner(createPrivateKeySigner(privateKey, 'key:test'), { certificate: { pem: leaf, file: 'leaf.pem' }, chain: { pem: ca.rootPem, file: 'ca.pem' } });
  file = join(dir, 'app.tar.gz');
  const data = Buffer.from('release bytes\n');
  await writeFile(file, data);
  const a: Artifact = { name: 'app.tar.gz', kind: 'archive', path: file, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), sha512: createHash('sha512').update(data).digest('hex') };
  await signArtifacts({ artifacts: [a], signer, outputs: ['bundle', 'sig', 'cert'], workDir: dir });
  root = caTrustedRoot([ca.rootPem]);
  otherRoot = caTrustedRoot([(await sandboxCa(join(dir, 'other'))).rootPem]);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('a CA-certified signature', () => {
  it('a CA chain makes a CA-only root; Sigstore\'s roots are not', () => {
    assert.equal(isCaOnlyRoot(root), true);
    assert.equal(isCaOnlyRoot(publicGoodTrustedRoot()), false);
    assert.equal(root.certificateAuthorities[0].subject.commonName, 'orel sandbox corporate CA');
  });

  it('verifies as a bundle and as a .sig + .cert pair with the identity alone', async () => {
    const policy = { identity: IDENTITY };
    const b = await verifyBlob({ file, bundle: `${file}.sigstore.json`, trustedRoot: root, policy });
    assert.equal(b.signer, 'certificate');
    assert.equal(b.identity?.subjectAlternativeName, IDENTITY);
    assert.equal(b.tlogEntries, 0);
    const p = await verifyBlob({ file, signature: `${file}.sig`, certificate: `${file}.cert`, trustedRoot: root, policy });
    assert.equal(p.identity?.subjectAlternativeName, IDENTITY);
  });

  it('refuses another CA, identity or issuer, other bytes, and a required log entry', async () => {
    const bundle = `${file}.sigstore.json`;
    const policy = { identity: IDENTITY };
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: otherRoot, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    await assert.rejects(verifyBlob({ file, signature: `${file}.sig`, certificate: `${file}.cert`, trustedRoot: otherRoot, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: root, policy: { identity: 'mallory@example.com' } }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: root, policy: { identity: IDENTITY, issuer: 'https://accounts.google.com' } }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: root }), (e) => isOrelError(e, 'POLICY') && /needs an identity policy/.test(e.message));
    await assert.rejects(verifyBlob({ sha256: '0'.repeat(64), bundle, trustedRoot: root, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: root, policy: { ...policy, requireTlog: true } }), (e) => isOrelError(e, 'VERIFY_FAILED') && /transparency-log entry is required/.test(e.message));
  });
});
