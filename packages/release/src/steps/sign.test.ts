import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signer } from '@orel/core';
import { trustFiles } from './sign.js';

const base: Signer = { ref: 'test', hashAlgorithm: 'sha256', signDigest: () => Promise.reject(new Error('unused')), sign: () => Promise.reject(new Error('unused')) };

test('trustFiles: cosign.pub for a key, the chain and its trusted root for a CA-certified key, nothing keyless', async () => {
  const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
  assert.deepEqual(await trustFiles({ ...base, publicKeyPem: async () => pem }), [{ name: 'cosign.pub', bytes: Buffer.from(pem) }]);
  assert.deepEqual(await trustFiles({ ...base, certificatePem: async () => 'leaf' }), []);

  const dir = mkdtempSync(join(tmpdir(), 'orel-trust-files-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'root.key'), '-subj', '/CN=Test Root', '-days', '1', '-out', join(dir, 'root.pem')], { stdio: 'ignore' });
  const root = readFileSync(join(dir, 'root.pem'), 'utf8');
  const files = await trustFiles({ ...base, certificatePem: async () => 'leaf', certificateChain: [root] });
  assert.deepEqual(files.map((f) => f.name), ['ca-chain.pem', 'trusted_root.json']);
  assert.equal(files[0].bytes.toString(), root);
  const trusted = JSON.parse(files[1].bytes.toString());
  const der = trusted.certificateAuthorities[0].certChain.certificates.map((c: { rawBytes: string }) => Buffer.from(c.rawBytes, 'base64'));
  assert.deepEqual(der, [new X509Certificate(root).raw]);
});
