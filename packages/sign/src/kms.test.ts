// The KMS signer against the gRPC test server (the real @google-cloud/kms
// client over loopback); signatures checked independently with openssl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startKmsServer, type KmsServer } from '@orel/kms-server';
import { isOrelError, type Signer } from '@orel/core';
import { createKmsSigner, type KmsSignerOptions } from './kms.js';

const KEY = 'projects/p/locations/global/keyRings/r/cryptoKeys';
const FAST: KmsSignerOptions = { retry: { baseMs: 1, maxMs: 5 } };

let server: KmsServer;
let dir: string;
const signers: Signer[] = [];

async function signer(name: string, opts = FAST): Promise<Signer> {
  const s = await createKmsSigner({ key: `gcpkms://${name}`, endpoint: server.endpoint, insecure: true }, opts);
  signers.push(s);
  return s;
}

/** openssl dgst -verify over the original data, so the digest and padding are checked independently. */
function opensslVerifies(pem: string, data: Buffer, signature: Buffer, hash: string, sigopts: string[] = []): boolean {
  const id = randomBytes(4).toString('hex');
  const [pub, dat, sig] = ['pub.pem', 'data', 'sig'].map((f) => join(dir, `${id}-${f}`));
  writeFileSync(pub, pem);
  writeFileSync(dat, data);
  writeFileSync(sig, signature);
  try {
    execFileSync('openssl', ['dgst', `-${hash}`, '-verify', pub, '-signature', sig, ...sigopts.flatMap((o) => ['-sigopt', o]), dat], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  server = await startKmsServer();
  dir = mkdtempSync(join(tmpdir(), 'orel-kms-'));
});
after(async () => {
  for (const s of signers) await s.close?.();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('KMS signer: algorithms', () => {
  const cases: [string, string, string[]][] = [
    ['EC_SIGN_P256_SHA256', 'sha256', []],
    ['EC_SIGN_P384_SHA384', 'sha384', []],
    ...[2048, 3072, 4096].flatMap((bits): [string, string, string[]][] => [
      [`RSA_SIGN_PKCS1_${bits}_SHA256`, 'sha256', []],
      [`RSA_SIGN_PSS_${bits}_SHA256`, 'sha256', ['rsa_padding_mode:pss', 'rsa_pss_saltlen:32', 'rsa_mgf1_md:sha256']],
    ]),
  ];
  for (const [alg, hash, sigopts] of cases) {
    test(`${alg}: signatures verify with openssl against the server's PEM`, async () => {
      const name = `${KEY}/${alg.toLowerCase()}/cryptoKeyVersions/1`;
      const { publicKeyPem } = server.addKey(name, alg);
      const s = await signer(name);
      assert.equal(s.hashAlgorithm, hash);
      assert.equal(await s.publicKeyPem!(), publicKeyPem);
      const data = randomBytes(100);
      const res = await s.signDigest(createHash(hash).update(data).digest(), s.hashAlgorithm);
      assert.equal(res.key.$case, 'publicKey');
      assert.ok(opensslVerifies(publicKeyPem, data, res.signature, hash, sigopts), `${alg} signature must verify`);
      // The same signature must not verify other data.
      assert.ok(!opensslVerifies(publicKeyPem, Buffer.concat([data, Buffer.from('x')]), res.signature, hash, sigopts));
      const viaSign = await s.sign(data);
      assert.ok(opensslVerifies(publicKeyPem, data, viaSign.signature, hash, sigopts));
    });
  }

  test('a digest of the wrong kind is refused before any call', async () => {
    const name = `${KEY}/wrong-digest/cryptoKeyVersions/1`;
    server.addKey(name, 'EC_SIGN_P384_SHA384');
    const s = await signer(name);
    const before = server.calls.AsymmetricSign ?? 0;
    await assert.rejects(s.signDigest(randomBytes(32), 'sha256'), (e) => isOrelError(e, 'SIGN_FAILED') && /sha384/.test(e.message));
    assert.equal(server.calls.AsymmetricSign ?? 0, before);
  });
});

describe('KMS signer: key resolution and errors', () => {
  test('a key without a version resolves its primary version', async () => {
    const name = `${KEY}/with-primary/cryptoKeyVersions/3`;
    const { publicKeyPem } = server.addKey(name, 'EC_SIGN_P256_SHA256', { primary: true });
    const s = await signer(`${KEY}/with-primary`);
    assert.equal(s.ref, `gcpkms://${name}`);
    assert.equal(await s.publicKeyPem!(), publicKeyPem);
  });

  test('a key without a version and no primary says a version is needed', async () => {
    server.addKey(`${KEY}/no-primary/cryptoKeyVersions/1`, 'EC_SIGN_P256_SHA256');
    await assert.rejects(signer(`${KEY}/no-primary`), (e) => isOrelError(e, 'KEY_INVALID') && /no-primary/.test(e.message) && /cryptoKeyVersions/.test(e.hint!));
  });

  test('disabled and destroyed versions fail naming the key and the state', async () => {
    for (const state of ['DISABLED', 'DESTROYED'] as const) {
      const name = `${KEY}/${state.toLowerCase()}/cryptoKeyVersions/1`;
      server.addKey(name, 'EC_SIGN_P256_SHA256', { state });
      await assert.rejects(signer(name), (e) => isOrelError(e, 'KEY_INVALID') && e.message.includes(name) && e.message.includes(state) && !!e.hint);
    }
  });

  test('a key of the wrong purpose is refused', async () => {
    const name = `${KEY}/encrypt/cryptoKeyVersions/1`;
    server.addKey(name, 'EC_SIGN_P256_SHA256', { purpose: 'ENCRYPT_DECRYPT' });
    await assert.rejects(signer(name), (e) => isOrelError(e, 'KEY_INVALID') && e.message.includes(name) && /ASYMMETRIC_SIGN/.test(e.hint!));
  });

  test('an unsupported algorithm is refused naming the key', async () => {
    const name = `${KEY}/k1/cryptoKeyVersions/1`;
    server.addKey(name, 'EC_SIGN_SECP256K1_SHA256');
    await assert.rejects(signer(name), (e) => isOrelError(e, 'KEY_INVALID') && e.message === `unsupported algorithm EC_SIGN_SECP256K1_SHA256 for key ${name}`);
  });

  test('permission denied fails at once with what to grant', async () => {
    const name = `${KEY}/denied/cryptoKeyVersions/1`;
    server.addKey(name, 'EC_SIGN_P256_SHA256');
    const s = await signer(name);
    const before = server.calls.AsymmetricSign ?? 0;
    server.failNext('AsymmetricSign', grpc.status.PERMISSION_DENIED, 1);
    await assert.rejects(s.signDigest(randomBytes(32), 'sha256'), (e) => isOrelError(e, 'SIGN_FAILED') && e.message.includes(name) && /signerVerifier/.test(e.hint!));
    assert.equal(server.calls.AsymmetricSign - before, 1, 'not retried');
  });

  test('quota exhaustion that clears after N calls is retried to success', async () => {
    const name = `${KEY}/quota/cryptoKeyVersions/1`;
    const { publicKeyPem } = server.addKey(name, 'EC_SIGN_P256_SHA256');
    const s = await signer(name);
    const before = server.calls.AsymmetricSign ?? 0;
    server.failNext('AsymmetricSign', grpc.status.RESOURCE_EXHAUSTED, 3);
    const data = randomBytes(10);
    const res = await s.signDigest(createHash('sha256').update(data).digest(), 'sha256');
    assert.equal(server.calls.AsymmetricSign - before, 4);
    assert.ok(opensslVerifies(publicKeyPem, data, res.signature, 'sha256'));
  });

  test('UNAVAILABLE past the retry budget is SERVICE_UNAVAILABLE', async () => {
    const name = `${KEY}/down/cryptoKeyVersions/1`;
    server.addKey(name, 'EC_SIGN_P256_SHA256');
    const s = await signer(name, { retry: { retries: 2, baseMs: 1, maxMs: 2 } });
    server.failNext('AsymmetricSign', grpc.status.UNAVAILABLE, 5);
    await assert.rejects(s.signDigest(randomBytes(32), 'sha256'), (e) => isOrelError(e, 'SERVICE_UNAVAILABLE') && e.message.includes(name));
    server.failNext('AsymmetricSign', grpc.status.UNAVAILABLE, 0);
  });

  test('a corrupted signature CRC32C is retried once, and rejected when it persists', async () => {
    const name = `${KEY}/crc/cryptoKeyVersions/1`;
    const { publicKeyPem } = server.addKey(name, 'EC_SIGN_P256_SHA256');
    const s = await signer(name, { retry: { retries: 3, baseMs: 1, maxMs: 2 } });
    const data = randomBytes(10);
    const digest = createHash('sha256').update(data).digest();
    const before = server.calls.AsymmetricSign ?? 0;
    server.corruptCrc('AsymmetricSign', 1);
    const res = await s.signDigest(digest, 'sha256');
    assert.equal(server.calls.AsymmetricSign - before, 2);
    assert.ok(opensslVerifies(publicKeyPem, data, res.signature, 'sha256'));
    for (const field of ['signature', 'verifiedDigest', 'name'] as const) {
      server.corruptCrc('AsymmetricSign', 10, field);
      await assert.rejects(s.signDigest(digest, 'sha256'), (e) => isOrelError(e, 'SIGN_FAILED') && /integrity/.test(e.message) && e.message.includes(name));
      server.corruptCrc('AsymmetricSign', 0);
    }
  });

  test('a corrupted public key CRC32C is rejected', async () => {
    const name = `${KEY}/pubcrc/cryptoKeyVersions/1`;
    server.addKey(name, 'EC_SIGN_P256_SHA256');
    server.corruptCrc('GetPublicKey', 10);
    await assert.rejects(signer(name, { retry: { retries: 1, baseMs: 1, maxMs: 2 } }), (e) => isOrelError(e, 'SIGN_FAILED') && /pemCrc32c/.test(e.message));
    server.corruptCrc('GetPublicKey', 0);
  });

  test('an unknown key version is KEY_INVALID', async () => {
    await assert.rejects(signer(`${KEY}/nope/cryptoKeyVersions/9`), (e) => isOrelError(e, 'KEY_INVALID') && /not found/.test(e.message));
  });

  test('many digests in parallel all verify, within the concurrency bound', async () => {
    const name = `${KEY}/parallel/cryptoKeyVersions/1`;
    const { publicKeyPem } = server.addKey(name, 'EC_SIGN_P256_SHA256');
    const s = await signer(name, { ...FAST, concurrency: 4 });
    const data = Array.from({ length: 20 }, () => randomBytes(8));
    server.setLatency(15);
    const sigs = await Promise.all(data.map((d) => s.signDigest(createHash('sha256').update(d).digest(), 'sha256'))).finally(() =>
      server.setLatency(0),
    );
    assert.equal(server.peakInFlight.AsymmetricSign, 4, 'the signer runs 4 calls at once, no more');
    sigs.forEach((r, i) => assert.ok(opensslVerifies(publicKeyPem, data[i], r.signature, 'sha256')));
  });
});
