import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { isOrelError } from '@orel/core';
import { EcdsaDigestSigner } from './keys-ecdsa.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const message = (i: number) => Buffer.from(`artifact ${i}\n`);
const digest = (i: number) => createHash('sha256').update(message(i)).digest();

test('digest signatures from the signing thread and inline verify as sha256 signatures over the message, each its own', async () => {
  for (const worker of [true, false]) {
    const signer = new EcdsaDigestSigner(privateKey, { worker });
    try {
      const sigs = await Promise.all(Array.from({ length: 64 }, (_, i) => signer.sign(digest(i), 'sha256')));
      sigs.forEach((sig, i) => {
        assert.ok(verify('sha256', message(i), publicKey, sig), `worker=${worker} #${i}`);
        assert.ok(!verify('sha256', message(i + 1), publicKey, sig), `worker=${worker} #${i} is not another's`);
      });
    } finally {
      await signer.close();
    }
  }
});

test('a digest of the wrong length is refused; after close the signer starts a new thread', async () => {
  const signer = new EcdsaDigestSigner(privateKey);
  await assert.rejects(signer.sign(Buffer.alloc(31), 'sha256'), (e) => isOrelError(e, 'SIGN_FAILED') && /32 bytes, got 31/.test(e.message));
  await signer.close();
  const sig = await signer.sign(digest(1), 'sha256');
  assert.ok(verify('sha256', message(1), publicKey, sig));
  await signer.close();
});
