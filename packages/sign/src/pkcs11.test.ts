// The PKCS#11 signer against a SoftHSM2 token made in a temp dir; signatures
// checked independently with openssl against the key the helper built.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsmToken, softHsmMissing, type SoftHsmToken } from '@orel/softhsm';
import { isOrelError } from '@orel/core';
import { createPkcs11Signer } from './pkcs11.js';

const missing = softHsmMissing();

describe('PKCS#11 signer on SoftHSM2', { skip: missing }, () => {
  let token: SoftHsmToken;
  let dir: string;

  before(async () => {
    token = await createSoftHsmToken();
    dir = mkdtempSync(join(tmpdir(), 'orel-p11-'));
  });
  after(async () => {
    await token?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const verifies = (data: Buffer, sig: Buffer): boolean => {
    const id = randomBytes(4).toString('hex');
    const [pub, dat, s] = ['pub.pem', 'data', 'sig'].map((f) => join(dir, `${id}-${f}`));
    writeFileSync(pub, token.publicKeyPem);
    writeFileSync(dat, data);
    writeFileSync(s, sig);
    try {
      execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', s, dat], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };

  test('signs digests in parallel; every DER signature verifies with openssl', async () => {
    const signer = await createPkcs11Signer({ uri: token.uri, module: token.module, pin: token.pin }, { concurrency: 3 });
    try {
      assert.equal(signer.hashAlgorithm, 'sha256');
      assert.equal(await signer.publicKeyPem!(), token.publicKeyPem);
      const data = Array.from({ length: 12 }, () => randomBytes(50));
      const results = await Promise.all(data.map((d) => signer.signDigest(createHash('sha256').update(d).digest(), 'sha256')));
      results.forEach((r, i) => {
        assert.equal(r.signature[0], 0x30, 'DER SEQUENCE');
        assert.ok(verifies(data[i], r.signature), `signature ${i} verifies`);
        assert.ok(!verifies(data[(i + 1) % data.length], r.signature), 'and only over its own data');
      });
      assert.ok(verifies(data[0], (await signer.sign(data[0])).signature));
    } finally {
      await signer.close!();
    }
  });

  test('finds the key by label alone, and the PIN from pin-source', async () => {
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, `${token.pin}\n`);
    const uri = `${token.uri.replace(';id=%01', '')}?pin-source=file:${pinFile}`;
    const signer = await createPkcs11Signer({ uri, module: token.module });
    try {
      const data = randomBytes(5);
      assert.ok(verifies(data, (await signer.sign(data)).signature));
      assert.ok(!signer.ref.includes('pin'), 'ref carries no PIN source');
    } finally {
      await signer.close!();
    }
  });

  test('a wrong PIN, a missing PIN, an unknown token and an unknown key are KEY_INVALID', async () => {
    const base = { module: token.module };
    await assert.rejects(createPkcs11Signer({ ...base, uri: token.uri, pin: '000000' }), (e) => isOrelError(e, 'KEY_INVALID') && /wrong PIN/.test(e.message));
    await assert.rejects(createPkcs11Signer({ ...base, uri: token.uri }), (e) => isOrelError(e, 'KEY_INVALID') && /needs a PIN/.test(e.message));
    await assert.rejects(
      createPkcs11Signer({ ...base, uri: 'pkcs11:token=nope;object=x', pin: token.pin }),
      (e) => isOrelError(e, 'KEY_INVALID') && /no PKCS#11 token/.test(e.message) && e.message.includes('"orel-test"'),
    );
    await assert.rejects(
      createPkcs11Signer({ ...base, uri: 'pkcs11:token=orel-test;object=other', pin: token.pin }),
      (e) => isOrelError(e, 'KEY_INVALID') && /no private key/.test(e.message),
    );
    // After all those failures the module is released: a good signer still works.
    const signer = await createPkcs11Signer({ ...base, uri: token.uri, pin: token.pin });
    await signer.close!();
  });

  test('a module that does not exist is KEY_INVALID naming it', async () => {
    await assert.rejects(createPkcs11Signer({ uri: token.uri, module: '/nonexistent/libnope.so', pin: token.pin }), (e) => isOrelError(e, 'KEY_INVALID') && e.message.includes('/nonexistent/libnope.so'));
  });
});

if (missing) test('PKCS#11 SoftHSM tests', { skip: missing }, () => {});
