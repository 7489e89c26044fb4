import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSoftHsmToken, softHsmMissing } from './index.js';

test('a temp token with an EC P-256 key; cleanup removes it and restores SOFTHSM2_CONF', { skip: softHsmMissing() }, async () => {
  const before = process.env.SOFTHSM2_CONF;
  const token = await createSoftHsmToken();
  try {
    assert.equal(process.env.SOFTHSM2_CONF, token.conf);
    assert.match(token.uri, /^pkcs11:token=orel-test;object=[\w-]+;id=%01$/);
    const key = createPublicKey(token.publicKeyPem);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  } finally {
    await token.cleanup();
  }
  assert.equal(process.env.SOFTHSM2_CONF, before);
  assert.ok(!existsSync(dirname(token.conf)));
});
