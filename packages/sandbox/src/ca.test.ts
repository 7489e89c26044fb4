import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sandboxCa } from './ca.js';

const dir = mkdtempSync(join(tmpdir(), 'orel-sandbox-ca-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('one root per sandbox, even when runs race to make it; kept for the next run', async () => {
  const [a, b, c] = await Promise.all([sandboxCa(dir), sandboxCa(dir), sandboxCa(dir)]);
  assert.equal(a.rootPem, b.rootPem);
  assert.equal(a.rootPem, c.rootPem);
  assert.equal((await sandboxCa(dir)).rootPem, a.rootPem);
  const root = new X509Certificate(a.rootPem);
  assert.ok(root.ca && root.checkIssued(root) && root.verify(root.publicKey), 'a self-signed CA');
  assert.notEqual((await sandboxCa(join(dir, 'other'))).rootPem, a.rootPem, 'another sandbox, another CA');
});

test('certifies a key for code signing under the real certificate\'s subject and names', async () => {
  const ca = await sandboxCa(dir);
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = new X509Certificate(await ca.certify(publicKey, { subject: 'O=Example Corp\nCN=release', subjectAltName: 'email:release@example.com, URI:https://example.com/release' }));
  const root = new X509Certificate(ca.rootPem);
  assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey), 'issued by the root');
  assert.equal(leaf.ca, false);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.3']);
  assert.equal(leaf.subject, 'O=Example Corp\nCN=release');
  assert.equal(leaf.subjectAltName, 'email:release@example.com, URI:https://example.com/release');
  assert.equal(leaf.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'), publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
});
