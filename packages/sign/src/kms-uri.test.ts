import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOrelError } from '@orel/core';
import { kmsAlgorithmHash, parseKmsEndpoint, parseKmsKeyUri } from './kms-uri.js';

const K = 'projects/p/locations/us/keyRings/r/cryptoKeys/k';

test('key URIs with and without a version', () => {
  assert.deepEqual(parseKmsKeyUri(`gcpkms://${K}/cryptoKeyVersions/2`), { cryptoKey: K, version: `${K}/cryptoKeyVersions/2` });
  assert.deepEqual(parseKmsKeyUri(`gcpkms://${K}`), { cryptoKey: K, version: undefined });
  for (const bad of [K, `gcpkms://projects/p/keyRings/r/cryptoKeys/k`, `awskms://${K}`, `gcpkms://${K}/cryptoKeyVersions/`]) {
    assert.throws(() => parseKmsKeyUri(bad), (e) => isOrelError(e, 'KEY_INVALID') && e.message.includes(bad));
  }
});

test('algorithms: digest per algorithm, wrong purpose and unsupported ones named', () => {
  assert.equal(kmsAlgorithmHash('EC_SIGN_P384_SHA384', 'k'), 'sha384');
  assert.equal(kmsAlgorithmHash('RSA_SIGN_PSS_4096_SHA256', 'k'), 'sha256');
  assert.throws(() => kmsAlgorithmHash('RSA_SIGN_PKCS1_4096_SHA512', 'kv'), (e) => isOrelError(e, 'KEY_INVALID') && e.message === 'unsupported algorithm RSA_SIGN_PKCS1_4096_SHA512 for key kv');
  assert.throws(() => kmsAlgorithmHash('RSA_DECRYPT_OAEP_2048_SHA256', 'kv'), (e) => isOrelError(e, 'KEY_INVALID') && /not a signing key/.test(e.message));
});

test('endpoints: plaintext only when asked and only on loopback', () => {
  assert.deepEqual(parseKmsEndpoint('127.0.0.1:9000', true, 'k'), { host: '127.0.0.1', port: 9000, plaintext: true });
  assert.deepEqual(parseKmsEndpoint('[::1]:9000', true, 'k'), { host: '::1', port: 9000, plaintext: true });
  assert.deepEqual(parseKmsEndpoint('kms.internal:443', undefined, 'k'), { host: 'kms.internal', port: 443, plaintext: false });
  assert.throws(() => parseKmsEndpoint('kms.internal:443', true, 'k'), (e) => isOrelError(e, 'PLAN_INVALID') && /non-loopback/.test(e.message));
  assert.throws(() => parseKmsEndpoint('http://127.0.0.1:9000', true, 'k'), (e) => isOrelError(e, 'PLAN_INVALID'));
  assert.throws(() => parseKmsEndpoint('127.0.0.1', true, 'k'), (e) => isOrelError(e, 'PLAN_INVALID'));
});
