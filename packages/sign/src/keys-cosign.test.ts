import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isOrelError } from '@orel/core';
import { decryptCosignKeyJson, encryptCosignKey, encryptCosignKeyJson, SIGSTORE_PEM_TYPE, COSIGN_PEM_TYPE } from './keys-cosign.js';
import { parsePemBlocks } from './keys.js';

// Test vectors from go-securesystemslib encrypted/encrypted_test.go (the code
// cosign uses): passphrase "supersecret", plaintext "reallyimportant" (the
// second one went through encrypted.Marshal, so its plaintext is that value as
// Go's JSON encoding of a []byte: a quoted base64 string).
const GO_VECTORS = [
  '{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"N9a7x5JFGbrtB2uBR81jPwp0eiLR4A7FV3mjVAQrg1g="},"cipher":{"name":"nacl/secretbox","nonce":"2h8HxMmgRfuYdpswZBQaU3xJ1nkA/5Ik"},"ciphertext":"SEW6sUh0jf2wfdjJGPNS9+bkk2uB+Cxamf32zR8XkQ=="}',
  '{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"FhzPOt9/bJG4PTq6lQ6ecG6GzaOuOy/ynG5+yRiFlNs="},"cipher":{"name":"nacl/secretbox","nonce":"aw1ng1jHaDz/tQ7V2gR9O2+IGQ8xJEuE"},"ciphertext":"HycvuLZL4sYH0BrYTh4E/H20VtAW6u5zL5Pr+IBjYLYnCPzDkq8="}',
];

test('decrypts go-securesystemslib vectors (cosign interop)', async () => {
  const raw = await decryptCosignKeyJson(Buffer.from(GO_VECTORS[0]), 'supersecret', 'vector');
  assert.equal(raw.toString(), 'reallyimportant');
  const marshalled = await decryptCosignKeyJson(Buffer.from(GO_VECTORS[1]), 'supersecret', 'vector');
  assert.equal(Buffer.from(JSON.parse(marshalled.toString()), 'base64').toString(), 'reallyimportant');
});

test('wrong password is KEY_INVALID naming the file', async () => {
  await assert.rejects(decryptCosignKeyJson(Buffer.from(GO_VECTORS[0]), 'nope', 'keys/cosign.key'), (e) => {
    assert.ok(isOrelError(e, 'KEY_INVALID'));
    assert.equal(e.message, 'cannot decrypt keys/cosign.key: wrong password (COSIGN_PASSWORD?)');
    return true;
  });
});

test('hostile scrypt parameters are refused before any work', async () => {
  const doc = JSON.parse(GO_VECTORS[0]);
  doc.kdf.params.N = 1 << 30;
  await assert.rejects(decryptCosignKeyJson(Buffer.from(JSON.stringify(doc)), 'supersecret', 'k'), /unsupported scrypt parameters/);
});

test('encrypt writes Go-shaped JSON that decrypts back', async () => {
  const secret = randomBytes(138);
  const json = await encryptCosignKeyJson(secret, 'pw', { N: 1024, r: 8, p: 1 });
  // Same field order, padded base64, no whitespace: what Go's encoding/json emits.
  assert.match(
    json.toString(),
    /^\{"kdf":\{"name":"scrypt","params":\{"N":1024,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl\/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/=]+"\}$/,
  );
  assert.deepEqual(await decryptCosignKeyJson(json, 'pw', 'k'), secret);
});

test('PEM wrapping uses the cosign types and 64-column lines', async () => {
  for (const pemType of [SIGSTORE_PEM_TYPE, COSIGN_PEM_TYPE] as const) {
    const pem = await encryptCosignKey(Buffer.from('x'), '', { params: { N: 1024, r: 8, p: 1 }, pemType });
    assert.ok(pem.startsWith(`-----BEGIN ${pemType}-----\n`));
    assert.ok(pem.split('\n').every((l) => l.length <= 64));
    const [block] = parsePemBlocks(pem);
    assert.equal((await decryptCosignKeyJson(block.der, '', 'k')).toString(), 'x');
  }
});
