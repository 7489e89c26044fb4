import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOrelError } from '@orel/core';
import { loadPrivateKeyFile, parsePrivateKey, publicKeyHint, publicKeyPem, generateKeyPair, pkcs8Der } from './keys.js';
import { encryptCosignKey, COSIGN_PEM_TYPE } from './keys-cosign.js';

const testdata = join(import.meta.dirname, 'testdata');
const COSIGN_PUB = readFileSync(join(testdata, 'cosign.pub'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'orel-keys-'));

const keyInvalid = (pattern: RegExp) => (e: unknown) => {
  assert.ok(isOrelError(e, 'KEY_INVALID'), `expected KEY_INVALID, got ${e}`);
  assert.match(e.message, pattern);
  return true;
};

test('loads the cosign-encrypted fixture (default scrypt params) with its password', async () => {
  const key = await loadPrivateKeyFile(join(testdata, 'cosign.key'), 'orel-test-password');
  assert.equal(publicKeyPem(key), COSIGN_PUB);
});

test('cosign key with the wrong or no password: KEY_INVALID', async () => {
  const file = join(testdata, 'cosign.key');
  await assert.rejects(loadPrivateKeyFile(file, 'wrong'), keyInvalid(/^cannot decrypt .*cosign\.key: wrong password \(COSIGN_PASSWORD\?\)$/));
  await assert.rejects(loadPrivateKeyFile(file), keyInvalid(/wrong password/));
});

test('older "ENCRYPTED COSIGN PRIVATE KEY" label and empty password', async () => {
  const { privateKeyPem } = generateKeyPair();
  const pem = await encryptCosignKey(pkcs8Der(privateKeyPem), '', { params: { N: 1024, r: 8, p: 1 }, pemType: COSIGN_PEM_TYPE });
  const key = await parsePrivateKey(pem, { file: 'old.key' });
  assert.equal(publicKeyPem(key), publicKeyPem(createPrivateKey(privateKeyPem)));
});

test('loads PEM PKCS#8 and SEC1 EC keys', async () => {
  const plain = await loadPrivateKeyFile(join(testdata, 'plain.pem'));
  assert.equal(publicKeyPem(plain), COSIGN_PUB);
  const sec1 = plain.export({ type: 'sec1', format: 'pem' }).toString();
  assert.match(sec1, /BEGIN EC PRIVATE KEY/);
  assert.equal(publicKeyPem(await parsePrivateKey(sec1, { file: 'ec.pem' })), COSIGN_PUB);
});

test('encrypted PKCS#8 (openssl style): right and wrong password', async () => {
  const plain = await loadPrivateKeyFile(join(testdata, 'plain.pem'));
  const enc = plain.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw-1234' }).toString();
  assert.match(enc, /BEGIN ENCRYPTED PRIVATE KEY/);
  assert.equal(publicKeyPem(await parsePrivateKey(enc, { file: 'enc.pem', password: 'pw-1234' })), COSIGN_PUB);
  await assert.rejects(parsePrivateKey(enc, { file: 'enc.pem', password: 'nope' }), keyInvalid(/enc\.pem/));
});

test('garbage, missing and unsupported keys: KEY_INVALID naming the file and type', async () => {
  const garbage = join(tmp, 'garbage.key');
  writeFileSync(garbage, 'hello\n');
  await assert.rejects(loadPrivateKeyFile(garbage), keyInvalid(/garbage\.key: not a supported private key \(found no PEM block\)/));
  await assert.rejects(loadPrivateKeyFile(join(tmp, 'absent.key')), keyInvalid(/cannot read key file .*absent\.key: ENOENT/));
  await assert.rejects(parsePrivateKey(COSIGN_PUB, { file: 'pub.pem' }), keyInvalid(/pub\.pem: .*found PEM block\(s\) "PUBLIC KEY"/));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(parsePrivateKey(rsa, { file: 'rsa.pem' }), keyInvalid(/rsa\.pem: unsupported key type rsa 2048 bits/));
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(parsePrivateKey(p384, { file: 'p384.pem' }), keyInvalid(/unsupported key type ec secp384r1/));
  const broken = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
  await assert.rejects(parsePrivateKey(broken, { file: 'broken.pem' }), keyInvalid(/broken\.pem: cannot parse "PRIVATE KEY" block/));
});

test('public key hint = base64(sha256(SPKI DER)), checked with openssl', () => {
  const der = execFileSync('openssl', ['pkey', '-pubin', '-in', join(testdata, 'cosign.pub'), '-outform', 'DER']);
  const expected = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
  assert.equal(publicKeyHint(COSIGN_PUB), expected);
});
