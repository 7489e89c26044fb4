import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RekorV2Log } from './rekor-v2.js';

const request = (n: number) => ({
  hashedRekordRequestV002: {
    digest: createHash('sha256').update(`blob ${n}`).digest('base64'),
    signature: { content: Buffer.from(`sig ${n}`).toString('base64'), verifier: { publicKey: { rawBytes: 'AAAA' }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
  },
});

describe('sandbox Rekor v2 log', () => {
  it('answers a TransparencyLogEntry with a signed checkpoint; the log survives a restart (persisted leaves), and a malformed request is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orel-rekor-v2-log-'));
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const key = { privateKey, publicKeyDer: publicKey.export({ format: 'der', type: 'spki' }) };
      const file = join(dir, 'log.jsonl');
      const log = new RekorV2Log(key, file);
      const first = log.append(request(1)) as { logIndex: string; kindVersion: unknown; inclusionProof: { treeSize: string; checkpoint: { envelope: string } }; canonicalizedBody: string };
      assert.equal(first.logIndex, '1', 'seeded: no entry at index 0');
      assert.deepEqual(first.kindVersion, { kind: 'hashedrekord', version: '0.0.2' });
      const body = JSON.parse(Buffer.from(first.canonicalizedBody, 'base64').toString());
      assert.equal(body.spec.hashedRekordV002.data.algorithm, 'SHA2_256');
      const [note, sigLine] = first.inclusionProof.checkpoint.envelope.split('\n\n');
      const sig = Buffer.from(sigLine.split(' ')[2], 'base64');
      assert.deepEqual(sig.subarray(0, 4), createHash('sha256').update(key.publicKeyDer).digest().subarray(0, 4), 'key hint = log ID prefix');
      assert.ok(verify('sha256', Buffer.from(`${note}\n`), publicKey, sig.subarray(4)));
      log.append(request(2));
      const again = new RekorV2Log(key, file);
      await again.replay();
      assert.equal(again.size, log.size);
      assert.equal((again.append(request(3)) as { logIndex: string }).logIndex, '3');
      assert.throws(() => log.append({ nothing: true }), /unsupported entry/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
