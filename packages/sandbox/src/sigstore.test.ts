import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FaultState } from './faults.js';
import { startSandboxSigstore } from './sigstore.js';

const keysOf = (root: any) => ({
  ca: root.certificateAuthorities.map((c: any) => c.certChain.certificates.map((x: any) => x.rawBytes)),
  tlogs: root.tlogs.map((t: any) => t.logId.keyId),
  ctlogs: root.ctlogs.map((t: any) => t.logId.keyId),
  tsa: root.timestampAuthorities.map((c: any) => c.certChain.certificates.map((x: any) => x.rawBytes)),
});

describe('sandbox Sigstore', () => {
  it('keeps its trust root across restarts and writes trusted_root.json; private keys are 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orel-sbx-'));
    try {
      const a = await startSandboxSigstore({ dir, identity: 'a@example.com', issuer: 'https://i.example.com' });
      await a.close();
      const b = await startSandboxSigstore({ dir, identity: 'a@example.com', issuer: 'https://i.example.com' });
      await b.close();
      assert.deepEqual(keysOf(b.trustedRoot), keysOf(a.trustedRoot));
      assert.deepEqual(JSON.parse(await readFile(b.trustedRootPath, 'utf8')), b.trustedRoot);
      assert.equal(b.trustedRoot.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
      assert.equal((await stat(join(dir, 'sigstore-state.json'))).mode & 0o077, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('mints tokens with the identity and issuer, and injects faults per service', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orel-sbx-'));
    const sb = await startSandboxSigstore({ dir, identity: 'a@example.com', issuer: 'https://i.example.com', faults: { rekor: { status: 503, times: 1, retryAfter: 2 } } });
    try {
      const claims = JSON.parse(Buffer.from(sb.mintToken().split('.')[1], 'base64url').toString());
      assert.equal(claims.sub, 'a@example.com');
      assert.equal(claims.iss, 'https://i.example.com');
      const post = () => fetch(`${sb.rekorUrl}/api/v1/log/entries`, { method: 'POST', body: '{}' });
      const first = await post();
      assert.equal(first.status, 503);
      assert.equal(first.headers.get('retry-after'), '2');
      assert.notEqual((await post()).status, 503, 'recovers after `times` faults');
      sb.setFaults({ fulcio: { down: true } });
      await assert.rejects(fetch(`${sb.fulcioUrl}/api/v2/signingCert`, { method: 'POST', body: '{}' }));
    } finally {
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('FaultState counts faults per service', () => {
    const f = new FaultState({ rekor: { status: 429, times: 2 } });
    assert.deepEqual([f.next('rekor').kind, f.next('fulcio').kind, f.next('rekor').kind, f.next('rekor').kind], ['status', 'pass', 'status', 'pass']);
  });
});
