import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { isOrelError } from '@orel/core';
import { verifySigFile } from './signature.js';

const tmp = mkdtempSync(join(tmpdir(), 'orel-sig-'));
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPub = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const data = randomBytes(4096);
const sha256 = createHash('sha256').update(data).digest();
const failed = (re: RegExp) => (e: unknown) => isOrelError(e, 'VERIFY_FAILED') && re.test(e.message);

test('accepts a .sig made by the openssl CLI (independent signer)', () => {
  const keyFile = join(tmp, 'key.pem');
  writeFileSync(keyFile, ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(tmp, 'file'), data);
  execFileSync('openssl', ['dgst', '-sha256', '-sign', keyFile, '-out', join(tmp, 'sig.der'), join(tmp, 'file')]);
  const sigBase64 = readFileSync(join(tmp, 'sig.der')).toString('base64');
  verifySigFile({ name: 'file', sigBase64, sha256, publicKeyPem: ecPub });
  verifySigFile({ name: 'file', sigBase64, sha256: sha256.toString('hex'), publicKeyPem: ecPub });
});

test('tampered digest, wrong key, garbage: VERIFY_FAILED naming the artifact', () => {
  const sigBase64 = sign('sha256', data, ec.privateKey).toString('base64');
  const other = createHash('sha256').update('other').digest();
  assert.throws(() => verifySigFile({ name: 'app.tar.gz', sigBase64, sha256: other, publicKeyPem: ecPub }), failed(/^app\.tar\.gz: signature in app\.tar\.gz\.sig does not verify/));
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.throws(() => verifySigFile({ name: 'app', sigBase64, sha256, publicKeyPem: otherKey }), failed(/does not verify/));
  assert.throws(() => verifySigFile({ name: 'app', sigBase64: 'not base64!', sha256, publicKeyPem: ecPub }), failed(/app\.sig: not a base64 signature/));
  assert.throws(() => verifySigFile({ name: 'app', sigBase64: 'AAAA', sha256, publicKeyPem: ecPub }), failed(/does not verify/));
});

test('high-S ECDSA signatures (valid, as openssl and KMS make them) are accepted', () => {
  const der = sign('sha256', data, ec.privateKey);
  const sig = p256.Signature.fromBytes(der, 'der');
  const high = sig.hasHighS() ? sig : new p256.Signature(sig.r, p256.Point.Fn.ORDER - sig.s);
  assert.ok(high.hasHighS());
  const sigBase64 = Buffer.from(high.toBytes('der')).toString('base64');
  verifySigFile({ name: 'app', sigBase64, sha256, publicKeyPem: ecPub });
});

test('RSA PKCS#1 v1.5 signatures verify over the digest', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const sigBase64 = sign('sha256', data, rsa.privateKey).toString('base64');
  verifySigFile({ name: 'app', sigBase64, sha256, publicKeyPem: pub });
  assert.throws(() => verifySigFile({ name: 'app', sigBase64, sha256: Buffer.alloc(32), publicKeyPem: pub }), failed(/does not verify/));
});
