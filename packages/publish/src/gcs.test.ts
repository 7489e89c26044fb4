// GCS publisher against the GCS test server on 127.0.0.1, through the real client.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CRC32C } from '@google-cloud/storage';
import { isOrelError, type PutRequest } from '@orel/core';
import { startGcsServer, type GcsServer } from '@orel/gcs-server';
import { FsPublisher } from './fs.js';
import { Crc32c } from './gcs-crc32c.js';
import { createGcsPublisher, parseGsUrl, type GcsPublisher } from './gcs.js';

let srv: GcsServer;
let dir: string;
let waits: number[];
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const retry = { retries: 3, baseMs: 1, sleep: async (ms: number) => void waits.push(ms) };
const pub = (url = 'gs://rel/prefix', threshold = 256 * 1024): GcsPublisher =>
  createGcsPublisher({ name: 't', url, endpoint: srv.url }, { resumableThreshold: threshold, retry });
const fileReq = (key: string, data: Buffer, extra: Partial<PutRequest> = {}): PutRequest => {
  const path = join(dir, key.replace(/\//g, '_'));
  writeFileSync(path, data);
  return { key, source: { path }, size: data.length, sha256: sha256(data), artifact: key, ...extra };
};
const code = (c: string) => (e: unknown) => isOrelError(e) && e.code === c;

before(async () => {
  srv = await startGcsServer({ buckets: ['rel', 'stage'] });
  dir = mkdtempSync(join(tmpdir(), 'orel-gcs-test-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  waits = [];
  srv.faults.clear();
});

describe('GCS publisher', () => {
  test('parseGsUrl and location', () => {
    assert.deepEqual(parseGsUrl('gs://my-bucket/a/b/'), { bucket: 'my-bucket', prefix: 'a/b' });
    assert.deepEqual(parseGsUrl('gs://my-bucket'), { bucket: 'my-bucket', prefix: '' });
    assert.throws(() => parseGsUrl('gs:/x'), code('PLAN_INVALID'));
    assert.equal(pub().location('v1/x.tar.gz'), 'gs://rel/prefix/v1/x.tar.gz');
  });

  test('crc32c agrees with the client', () => {
    const b = randomBytes(123_457);
    const c = new CRC32C();
    c.update(b);
    assert.equal(new Crc32c().update(b).base64(), c.toString());
  });

  test('uploads each kind with content type, cache control and sha256 metadata; hashes match', async () => {
    const p = pub();
    const cases: [string, string][] = [
      ['k/app.tar.gz', 'application/gzip'],
      ['k/app.tar.gz.sha256', 'text/plain; charset=utf-8'],
      ['k/app.tar.gz.sig', 'text/plain; charset=utf-8'],
      ['k/app.sigstore.json', 'application/json'],
      ['k/sbom.spdx.json', 'application/json'],
      ['k/kubectl', 'application/octet-stream'],
      ['k/SHA256SUMS', 'text/plain; charset=utf-8'],
    ];
    for (const [key, type] of cases) {
      const data = randomBytes(1000 + key.length);
      const r = await p.put(fileReq(key, data));
      assert.deepEqual(r, { status: 'created', location: `gs://rel/prefix/${key}` });
      const o = srv.objects('rel').get(`prefix/${key}`)!;
      assert.equal(o.contentType, type, key);
      assert.equal(o.cacheControl, 'public, max-age=31536000, immutable');
      assert.deepEqual(o.metadata, { sha256: sha256(data) });
      assert.ok((await srv.readObject('rel', `prefix/${key}`)).equals(data));
      const info = await p.stat(key);
      assert.equal(info?.sha256, sha256(data));
      assert.equal(info?.md5, createHash('md5').update(data).digest('base64'));
    }
    // In-memory sources too.
    const data = Buffer.from('checksums\n');
    assert.equal((await p.put({ key: 'k/mem.txt', source: { data }, size: data.length, sha256: sha256(data) })).status, 'created');
    // read streams the bytes back; a missing key is named.
    const chunks: Buffer[] = [];
    for await (const c of await p.read('k/mem.txt')) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'checksums\n');
    await assert.rejects(p.read('k/none'), (e) => code('VERIFY_FAILED')(e) && /gs:\/\/rel\/prefix\/k\/none/.test((e as Error).message));
    assert.equal(await p.stat('k/none'), undefined);
  });

  test('same bytes again: exists, generation unchanged; different bytes: PUBLISH_CONFLICT, untouched', async () => {
    const p = pub();
    const data = randomBytes(5000);
    await p.put(fileReq('c/a.bin', data));
    const gen = srv.objects('rel').get('prefix/c/a.bin')!.generation;
    assert.equal((await p.put(fileReq('c/a.bin', data))).status, 'exists');
    const other = randomBytes(5000);
    await assert.rejects(p.put(fileReq('c/a.bin', other)), (e) => code('PUBLISH_CONFLICT')(e) && (e as Error).message.includes('gs://rel/prefix/c/a.bin'));
    assert.equal(srv.objects('rel').get('prefix/c/a.bin')!.generation, gen);
    assert.ok((await srv.readObject('rel', 'prefix/c/a.bin')).equals(data));
    // Big files take the resumable path: the 412 comes at session creation.
    const big = randomBytes(600_000);
    await p.put(fileReq('c/big.bin', big));
    assert.equal((await p.put(fileReq('c/big.bin', big))).status, 'exists');
    await assert.rejects(p.put(fileReq('c/big.bin', randomBytes(600_000))), code('PUBLISH_CONFLICT'));
  });

  test('an object written by someone else (no sha256 metadata) is compared by md5', async () => {
    const p = pub();
    const data = Buffer.from('same bytes');
    srv.putObject('rel', 'prefix/ext/same.txt', data);
    assert.equal((await p.put(fileReq('ext/same.txt', data))).status, 'exists');
    srv.putObject('rel', 'prefix/ext/diff.txt', 'other bytes');
    await assert.rejects(p.put(fileReq('ext/diff.txt', Buffer.from('mine bytes!'))), code('PUBLISH_CONFLICT'));
    assert.equal((await srv.readObject('rel', 'prefix/ext/diff.txt')).toString(), 'other bytes');
  });

  test('resumable upload with a dropped connection resumes from the persisted offset', async () => {
    const p = pub();
    const data = randomBytes(3_000_000);
    srv.faults.dropConnectionMidUpload(1, 1_000_000);
    const before = srv.stats.uploadBytesReceived;
    const first = srv.stats.requests.length;
    assert.equal((await p.put(fileReq('r/big.bin', data))).status, 'created');
    assert.ok((await srv.readObject('rel', 'prefix/r/big.bin')).equals(data));
    const sent = srv.stats.uploadBytesReceived - before;
    assert.ok(sent <= data.length + 64 * 1024, `resumed, not restarted: ${sent} bytes sent for ${data.length}`);
    const reqs = srv.stats.requests.slice(first).map((r) => `${r.method} ${r.status}`);
    assert.deepEqual(reqs, ['POST 200', 'PUT undefined', 'PUT 308', 'PUT 200']);
  });

  test('503 with Retry-After is retried after the requested wait (simple and resumable)', async () => {
    const p = pub();
    srv.faults.failNext({ method: 'POST', pathIncludes: 'uploadType=multipart' }, 503, 2, { 'Retry-After': '2' });
    assert.equal((await p.put(fileReq('f/small.txt', Buffer.from('x')))).status, 'created');
    assert.equal(waits.length, 2);
    assert.ok(waits.every((w) => w >= 2000), `waits ${waits}`);
    waits = [];
    srv.faults.failNext({ method: 'PUT', pathIncludes: 'upload_id' }, 503, 1, { 'Retry-After': '1' });
    srv.faults.failNext({ method: 'POST', pathIncludes: 'uploadType=resumable' }, 429, 1);
    const big = randomBytes(400_000);
    assert.equal((await p.put(fileReq('f/big.bin', big))).status, 'created');
    assert.ok((await srv.readObject('rel', 'prefix/f/big.bin')).equals(big));
    assert.equal(waits.length, 2);
    assert.ok(waits[1] >= 1000, `waits ${waits}`);
  });

  test('a service that stays down ends in SERVICE_UNAVAILABLE naming the object', async () => {
    const p = pub();
    srv.faults.failNext({ pathIncludes: '/o' }, 503, 10);
    await assert.rejects(p.put(fileReq('down/x.txt', Buffer.from('x'))), (e) => code('SERVICE_UNAVAILABLE')(e) && (e as Error).message.includes('gs://rel/prefix/down/x.txt'));
    srv.faults.clear();
  });

  test('source bytes changed since hashing: INTEGRITY, nothing left behind', async () => {
    const p = pub();
    const req = fileReq('chg/a.bin', Buffer.from('original'));
    writeFileSync((req.source as { path: string }).path, 'tampered');
    await assert.rejects(p.put(req), code('INTEGRITY'));
    assert.equal(srv.objects('rel').has('prefix/chg/a.bin'), false);
  });

  test('overwrite (markers) replaces with no-cache', async () => {
    const p = pub();
    const put = (s: string) => {
      const data = Buffer.from(s);
      return p.put({ key: 'm/latest.txt', source: { data }, size: data.length, sha256: sha256(data), overwrite: true });
    };
    assert.equal((await put('v1.0.0')).status, 'created');
    assert.equal((await put('v1.0.0')).status, 'exists');
    assert.equal((await put('v1.1.0')).status, 'replaced');
    assert.equal((await srv.readObject('rel', 'prefix/m/latest.txt')).toString(), 'v1.1.0');
    assert.equal(srv.objects('rel').get('prefix/m/latest.txt')!.cacheControl, 'no-cache, max-age=0');
  });

  test('promotion: server-side copy; identical destination is done; different is refused and untouched', async () => {
    const stage = pub('gs://stage/s/1');
    const rel = pub('gs://rel/release');
    const data = randomBytes(20_000);
    await stage.put(fileReq('p/a.tar.gz', data));
    const expect = { sha256: sha256(data), size: data.length };
    const before = srv.stats.uploadBytesReceived;
    assert.deepEqual(await rel.promoteFrom(stage, 'p/a.tar.gz', 'v1/a.tar.gz', expect), { status: 'created', location: 'gs://rel/release/v1/a.tar.gz' });
    assert.equal(srv.stats.uploadBytesReceived, before, 'no bytes went through the client');
    assert.ok(srv.stats.requests.some((r) => r.path.includes('/rewriteTo/') && r.status === 200));
    const o = srv.objects('rel').get('release/v1/a.tar.gz')!;
    assert.equal(o.contentType, 'application/gzip');
    assert.deepEqual(o.metadata, { sha256: expect.sha256 });
    assert.equal((await rel.promoteFrom(stage, 'p/a.tar.gz', 'v1/a.tar.gz', expect)).status, 'exists');
    assert.equal(srv.objects('rel').get('release/v1/a.tar.gz')!.generation, o.generation);

    srv.putObject('rel', 'release/v1/b.tar.gz', 'someone else', { metadata: { sha256: 'f'.repeat(64) } });
    await stage.put(fileReq('p/b.tar.gz', data));
    await assert.rejects(rel.promoteFrom(stage, 'p/b.tar.gz', 'v1/b.tar.gz', expect), (e) => code('PUBLISH_CONFLICT')(e) && (e as Error).message.includes('gs://rel/release/v1/b.tar.gz'));
    assert.equal((await srv.readObject('rel', 'release/v1/b.tar.gz')).toString(), 'someone else');

    await assert.rejects(rel.promoteFrom(stage, 'p/none', 'v1/none', expect), code('INTEGRITY'));
    await assert.rejects(rel.promoteFrom(stage, 'p/a.tar.gz', 'v1/c.tar.gz', { ...expect, sha256: '0'.repeat(64) }), code('INTEGRITY'));
  });

  test('server-side promotion is offered only from GCS sources', async () => {
    const fsPub = new FsPublisher('local', mkdtempSync(join(dir, 'fs-')));
    const rel = pub('gs://rel/fromfs');
    assert.equal(rel.promotesFrom(pub('gs://stage/p')), true);
    assert.equal(rel.promotesFrom(fsPub), false);
  });

  test('STORAGE_EMULATOR_HOST is honoured when the target has no endpoint', async () => {
    process.env.STORAGE_EMULATOR_HOST = srv.url;
    try {
      const p = createGcsPublisher({ name: 'env', url: 'gs://rel/env' }, { retry });
      const data = Buffer.from('env');
      assert.equal((await p.put({ key: 'e.txt', source: { data }, size: 3, sha256: sha256(data) })).status, 'created');
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
    assert.ok(srv.objects('rel').has('env/e.txt'));
  });
});
