// The test server through the real @google-cloud/kms client: the protocol
// checks a signer never triggers (bad digest CRC, wrong digest kind).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createVerify } from 'node:crypto';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import * as grpc from '@grpc/grpc-js';
import { crc32c } from '@aws-crypto/crc32c';
import { startKmsServer, type KmsServer } from './index.js';

const NAME = 'projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1';
let server: KmsServer;
let client: KeyManagementServiceClient;

before(async () => {
  server = await startKmsServer();
  client = new KeyManagementServiceClient({ apiEndpoint: '127.0.0.1', port: server.port, sslCreds: grpc.credentials.createInsecure(), universeDomain: 'googleapis.com' });
});
after(async () => {
  await client.close();
  await server.close();
});

test('GetPublicKey and AsymmetricSign with CRC32C fields; the signature verifies with node', async () => {
  const { publicKeyPem } = server.addKey(NAME, 'EC_SIGN_P256_SHA256');
  const [pub] = await client.getPublicKey({ name: NAME });
  assert.equal(pub.pem, publicKeyPem);
  assert.equal(pub.algorithm, 'EC_SIGN_P256_SHA256');
  assert.equal(String(pub.pemCrc32c?.value), String(crc32c(Buffer.from(publicKeyPem))));
  const data = Buffer.from('hello');
  const digest = createHash('sha256').update(data).digest();
  const [res] = await client.asymmetricSign({ name: NAME, digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) } });
  assert.equal(res.name, NAME);
  assert.equal(res.verifiedDigestCrc32c, true);
  assert.equal(String(res.signatureCrc32c?.value), String(crc32c(Buffer.from(res.signature as Uint8Array))));
  assert.ok(createVerify('sha256').update(data).verify(publicKeyPem, Buffer.from(res.signature as Uint8Array)));
  const [version] = await client.getCryptoKeyVersion({ name: NAME });
  assert.equal(version.state, 'ENABLED');
});

test('a digest whose CRC32C does not match, or of the wrong kind, is INVALID_ARGUMENT', async () => {
  const digest = Buffer.alloc(32, 1);
  await assert.rejects(client.asymmetricSign({ name: NAME, digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) + 1 } }), (e: any) => e.code === grpc.status.INVALID_ARGUMENT);
  await assert.rejects(client.asymmetricSign({ name: NAME, digest: { sha384: Buffer.alloc(48) } }), (e: any) => e.code === grpc.status.INVALID_ARGUMENT && /sha256/.test(e.details));
});

test('failNext clears after N calls; unknown keys are NOT_FOUND', async () => {
  server.failNext('GetPublicKey', grpc.status.UNAVAILABLE, 2);
  for (let i = 0; i < 2; i++) await assert.rejects(client.getPublicKey({ name: NAME }, { retry: null }), (e: any) => e.code === grpc.status.UNAVAILABLE);
  await client.getPublicKey({ name: NAME });
  await assert.rejects(client.getPublicKey({ name: `${NAME}0` }), (e: any) => e.code === grpc.status.NOT_FOUND);
});
