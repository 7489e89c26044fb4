import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

  it('keeps its log across restarts: an entry is found by the artifact hash, a torn last line is dropped, new entries extend the same tree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orel-sbx-'));
    const entry = (hex: string) => ({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: hex } }, signature: { content: 'c2ln', publicKey: { content: 'a2V5' } } },
    });
    const start = () => startSandboxSigstore({ dir, identity: 'a@example.com', issuer: 'https://i.example.com' });
    const post = (sb: { rekorUrl: string }, body: unknown) => fetch(`${sb.rekorUrl}/api/v1/log/entries`, { method: 'POST', body: JSON.stringify(body) });
    const search = async (sb: { rekorUrl: string }, hash: string) =>
      (await (await fetch(`${sb.rekorUrl}/api/v1/index/retrieve`, { method: 'POST', body: JSON.stringify({ hash }) })).json()) as string[];
    try {
      const a = await start();
      const created = (await (await post(a, entry('aa'.repeat(32)))).json()) as Record<string, { logIndex: number }>;
      const [uuid] = Object.keys(created);
      await a.close();
      await appendFile(join(dir, 'rekor-log.jsonl'), '{"key":"torn');
      const b = await start();
      try {
        assert.deepEqual(await search(b, `sha256:${'AA'.repeat(32)}`), [uuid]);
        assert.deepEqual(await search(b, `sha256:${'bb'.repeat(32)}`), []);
        const got = (await (await fetch(`${b.rekorUrl}/api/v1/log/entries/${uuid}`)).json()) as Record<string, unknown>;
        assert.deepEqual(got, created);
        assert.equal((await post(b, entry('aa'.repeat(32)))).status, 409, 'the same entry again, after a restart');
        const next = (await (await post(b, entry('cc'.repeat(32)))).json()) as Record<string, { logIndex: number }>;
        assert.equal(Object.values(next)[0].logIndex, created[uuid].logIndex + 1, 'the tree continues');
        assert.equal(b.stats().rekorEntries, 2);
      } finally {
        await b.close();
      }
      assert.equal((await readFile(join(dir, 'rekor-log.jsonl'), 'utf8')).trim().split('\n').length, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers a DER TimeStampReq as RFC 3161 clients send it (openssl ts): granted, with the request\'s own nonce', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orel-sbx-'));
    const sb = await startSandboxSigstore({ dir, identity: 'a@example.com', issuer: 'https://i.example.com' });
    try {
      await writeFile(join(dir, 'data'), 'timestamped bytes\n');
      execFileSync('openssl', ['ts', '-query', '-data', join(dir, 'data'), '-sha256', '-cert', '-out', join(dir, 'req.tsq')]);
      const nonce = /Nonce: (0x[0-9A-F]+)/i.exec(execFileSync('openssl', ['ts', '-query', '-in', join(dir, 'req.tsq'), '-text'], { encoding: 'utf8' }))![1];
      const res = await fetch(sb.tsaUrl, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: await readFile(join(dir, 'req.tsq')) });
      assert.equal(res.status, 201);
      await writeFile(join(dir, 'resp.tsr'), Buffer.from(await res.arrayBuffer()));
      const text = execFileSync('openssl', ['ts', '-reply', '-in', join(dir, 'resp.tsr'), '-text'], { encoding: 'utf8' });
      assert.match(text, /Status: Granted/);
      assert.equal(/Nonce: (0x[0-9A-F]+)/i.exec(text)?.[1]?.toLowerCase(), nonce.toLowerCase());
      assert.match(text, new RegExp(createHash('sha256').update('timestamped bytes\n').digest('hex').match(/../g)!.slice(0, 4).join(' ')));
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
