import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { isOrelError } from '@orel/core';
import { parsePkcs11Uri, redactPin } from './pkcs11-uri.js';
import { curveOfEcParams, ecPointToPem, rawEcdsaToDer } from './pkcs11-key.js';

test('RFC 7512 URIs: path and query attributes, percent-encoded binary ids', () => {
  const u = parsePkcs11Uri('pkcs11:token=My%20Token;object=sign-key;id=%01%ff;slot-id=3?pin-value=1234&module-path=/usr/lib/x.so');
  assert.equal(u.token, 'My Token');
  assert.equal(u.object, 'sign-key');
  assert.deepEqual(u.id, Buffer.from([0x01, 0xff]));
  assert.equal(u.slotId, 3);
  assert.equal(u.pinValue, '1234');
  assert.equal(u.modulePath, '/usr/lib/x.so');
  assert.equal(parsePkcs11Uri('pkcs11:object=k?pin-source=file:/run/pin%20file').pinSource, '/run/pin file');
  assert.equal(parsePkcs11Uri('pkcs11:object=k;x-vendor=1').object, 'k');
});

test('bad URIs are KEY_INVALID and never echo the PIN', () => {
  for (const [uri, why] of [
    ['pkcs:token=a;object=b', /pkcs11:/],
    ['pkcs11:token=a', /names no key/],
    ['pkcs11:token=a;object=b;flavour=x', /unknown path attribute "flavour"/],
    ['pkcs11:object=b;object=c', /twice/],
    ['pkcs11:object=b;id=%zz', /percent/],
    ['pkcs11:object=b;type=public', /private/],
    ['pkcs11:object=b?pin-value=s3cret&bogus=1', /unknown query attribute/],
  ] as const) {
    assert.throws(() => parsePkcs11Uri(uri), (e) => isOrelError(e, 'KEY_INVALID') && why.test(e.message) && !e.message.includes('s3cret'), uri);
  }
  assert.equal(redactPin('pkcs11:object=b?pin-value=s3cret&module-name=x'), 'pkcs11:object=b?pin-value=***&module-name=x');
});

test('EC point (wrapped or raw) → PEM, and raw r||s → DER that node verifies', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const curve = curveOfEcParams(Buffer.from('06082a8648ce3d030107', 'hex'), 'k');
  const want = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.equal(ecPointToPem(point, curve, 'k'), want);
  assert.equal(ecPointToPem(Buffer.concat([Buffer.from([4, 65]), point]), curve, 'k'), want);
  assert.throws(() => ecPointToPem(point.subarray(1), curve, 'k'), (e) => isOrelError(e, 'KEY_INVALID'));
  assert.throws(() => curveOfEcParams(Buffer.from('06052b8104000a', 'hex'), 'k1'), (e) => isOrelError(e, 'KEY_INVALID') && /k1/.test(e.message));

  const digest = Buffer.alloc(32, 7);
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const raw = p256.sign(digest, d, { prehash: false, format: 'compact' });
  const der = rawEcdsaToDer(raw, curve);
  assert.ok(p256.verify(der, digest, point, { prehash: false, format: 'der' }));
  assert.equal(createPublicKey(want).asymmetricKeyType, 'ec');
});
