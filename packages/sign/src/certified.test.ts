import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleToJSON } from '@sigstore/bundle';
import { isOrelError } from '@orel/core';
import { makeCa, makeKey, opensslMissing } from '@orel/test-ca';
import { certifySigner, chainProblems, checkCertified, parseCertificates } from './certified.js';
import { createKeyFileSigner } from './key-file.js';
import { buildMessageBundle } from './outputs-bundle.js';

describe('a key certified by a corporate CA (openssl-made)', { skip: opensslMissing() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-certified-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa(join(dir, 'pki'));
  const key = makeKey(ca.dir, 'release.key');
  const leafFile = ca.issue('release', key);
  const read = (f: string) => readFileSync(f, 'utf8');
  const spec = (cert = leafFile, chain = ca.chain) => ({ certificate: { pem: read(cert), file: cert }, chain: { pem: read(chain), file: chain } });
  const certs = (f: string) => parseCertificates(read(f), f);

  test('a sound chain has no problems; each flaw is named', () => {
    const [leaf] = certs(leafFile);
    assert.deepEqual(chainProblems(leaf, certs(ca.chain)), []);
    // Root first: the leaf is not signed by it.
    assert.match(chainProblems(leaf, certs(ca.chain).reverse()).join('\n'), /is not signed by intermediate 1 of the chain/);
    // No root at the end.
    assert.match(chainProblems(leaf, certs(ca.intermediate)).join('\n'), /which is not self-signed: end it with the root CA/);
    // Checked later than the leaf is valid.
    assert.match(chainProblems(leaf, certs(ca.chain), new Date(Date.now() + 400 * 86400_000)).join('\n'), /the certificate .* expired on/);
    // A CA certificate is no signer's certificate, and lacks codeSigning.
    assert.match(chainProblems(certs(ca.intermediate)[0], certs(ca.root)).join('\n'), /is a CA certificate.*\n.*codeSigning/);
    const noEku = ca.issue('no-eku', key, { eku: '' });
    assert.match(chainProblems(certs(noEku)[0], certs(ca.chain)).join('\n'), /lacks the codeSigning extended key usage/);
  });

  test('checkCertified refuses a bundle of certificates as the signer\'s and a file without one', () => {
    assert.throws(() => checkCertified(spec(ca.chain)), (e) => isOrelError(e) && e.code === 'KEY_INVALID' && /holds 2 certificates/.test(e.message));
    assert.throws(() => checkCertified(spec(key)), (e) => isOrelError(e) && /no PEM CERTIFICATE block/.test(e.message) && e.message.includes(key));
  });

  test('signatures present the certificate and chain; the bundle is v0.2 with x509CertificateChain [leaf, intermediate]', async () => {
    const signer = await certifySigner(await createKeyFileSigner({ key }, { baseDir: dir }), spec());
    assert.match(signer.ref, /certified by O=Example Corp, CN=Example Corp Root CA/);
    assert.equal(signer.publicKeyPem, undefined, 'no cosign.pub: verifiers trust the CA');
    assert.equal(await signer.certificatePem!(), new X509Certificate(read(leafFile)).toString());
    assert.deepEqual(signer.certificateChain, certs(ca.chain).map((c) => c.toString()));
    const artifact = join(dir, 'artifact');
    writeFileSync(artifact, 'released bytes\n');
    const digest = createHash('sha256').update(readFileSync(artifact)).digest();
    const result = await signer.signDigest(digest, 'sha256');
    const json = bundleToJSON(await buildMessageBundle({ digest, algorithm: 'sha256', result })) as { mediaType: string; verificationMaterial: { x509CertificateChain: { certificates: { rawBytes: string }[] } } };
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.2');
    const chain = json.verificationMaterial.x509CertificateChain.certificates.map((c) => new X509Certificate(Buffer.from(c.rawBytes, 'base64')).fingerprint256);
    assert.deepEqual(chain, [certs(leafFile)[0].fingerprint256, certs(ca.intermediate)[0].fingerprint256]);
    // openssl checks the signature with the certificate's key.
    writeFileSync(join(dir, 'sig.der'), result.signature);
    const pub = execFileSync('openssl', ['x509', '-in', leafFile, '-noout', '-pubkey']);
    writeFileSync(join(dir, 'leaf.pub'), pub);
    assert.match(execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'leaf.pub'), '-signature', join(dir, 'sig.der'), artifact], { encoding: 'utf8' }), /Verified OK/);
  });

  test('a certificate for another key is refused before any signature', async () => {
    const other = makeKey(ca.dir, 'other.key');
    const signer = await createKeyFileSigner({ key: other }, { baseDir: dir });
    await assert.rejects(certifySigner(signer, spec()), (e) => isOrelError(e) && e.code === 'KEY_INVALID' && /certifies another key/.test(e.message));
  });
});
