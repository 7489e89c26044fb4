import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOrelError } from '@orel/core';
import { createKeyFileSigner } from './key-file.js';
import { publicKeyHint } from './keys.js';

const testdata = join(import.meta.dirname, 'testdata');
const PUB = join(testdata, 'cosign.pub');
const tmp = mkdtempSync(join(tmpdir(), 'orel-keyfile-'));

/** Independent check: openssl verifies an ECDSA-SHA256 signature over a file. */
function opensslVerifies(file: string, sigDer: Buffer): boolean {
  const sigFile = `${file}.sig.der`;
  writeFileSync(sigFile, sigDer);
  try {
    return execFileSync('openssl', ['dgst', '-sha256', '-verify', PUB, '-signature', sigFile, file]).toString().includes('Verified OK');
  } catch {
    return false;
  }
}

test('signDigest over a file\'s sha256 is a standard ECDSA-SHA256 signature (openssl)', async () => {
  const signer = await createKeyFileSigner({ key: 'cosign.key', password: 'orel-test-password' }, { baseDir: testdata });
  assert.equal(signer.ref, 'key:cosign.key');
  assert.equal(signer.hashAlgorithm, 'sha256');
  const file = join(tmp, 'artifact.tar.gz');
  writeFileSync(file, randomBytes(100_000));
  const digest = createHash('sha256').update(readFileSync(file)).digest();
  const { signature, key } = await signer.signDigest(digest, 'sha256');
  assert.ok(opensslVerifies(file, signature));
  assert.deepEqual(key, { $case: 'publicKey', publicKey: readFileSync(PUB, 'utf8'), hint: publicKeyHint(readFileSync(PUB, 'utf8')) });
  // Tampered file: the same signature must not verify.
  writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('x')]));
  assert.equal(opensslVerifies(file, signature), false);
});

test('sign(data) signs raw bytes (openssl) and matches signDigest semantics', async () => {
  const signer = await createKeyFileSigner({ key: join(testdata, 'plain.pem') }, { baseDir: '/nonexistent' });
  const data = Buffer.from('{"critical":{}}');
  const file = join(tmp, 'payload.json');
  writeFileSync(file, data);
  const { signature } = await signer.sign(data);
  assert.ok(opensslVerifies(file, signature));
  const viaDigest = await signer.signDigest(createHash('sha256').update(data).digest(), 'sha256');
  assert.ok(cryptoVerify('sha256', data, readFileSync(PUB, 'utf8'), viaDigest.signature));
  assert.equal(await signer.publicKeyPem!(), readFileSync(PUB, 'utf8'));
});

test('a digest of the wrong length is SIGN_FAILED', async () => {
  const signer = await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata });
  await assert.rejects(signer.signDigest(Buffer.alloc(20), 'sha256'), (e) => isOrelError(e, 'SIGN_FAILED'));
});

test('wrong password fails at creation with KEY_INVALID', async () => {
  await assert.rejects(
    createKeyFileSigner({ key: 'cosign.key', password: 'nope' }, { baseDir: testdata }),
    (e) => isOrelError(e, 'KEY_INVALID') && /cosign\.key: wrong password/.test(e.message),
  );
});
