// The test server, driven by the real @google-cloud/storage client.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CRC32C, Storage, type File } from '@google-cloud/storage';
import { startGcsServer, type GcsServer } from './index.js';
import { Crc32c } from './crc32c.js';

let srv: GcsServer;
let storage: Storage;

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
const crcOf = (b: Buffer): string => {
  const c = new CRC32C();
  c.update(b);
  return c.toString();
};
const write = (f: File, data: Buffer, opts: Parameters<File['createWriteStream']>[0]): Promise<void> =>
  new Promise((resolve, reject) => {
    const s = f.createWriteStream(opts);
    s.on('error', reject).on('finish', resolve);
    s.end(data);
  });
// ApiError (JSON calls) carries code + errors; GaxiosError (resumable uploads) carries the response.
type AnyErr = { code?: unknown; status?: number; response?: { status?: number; data?: { error?: { errors?: { reason?: string }[] } } }; errors?: { reason?: string }[] };
const codeOf = (e: unknown): unknown => {
  const x = e as AnyErr;
  return typeof x.code === 'number' ? x.code : (x.status ?? x.response?.status);
};
const reasonOf = (e: unknown): unknown => {
  const x = e as AnyErr;
  return x.errors?.[0]?.reason ?? x.response?.data?.error?.errors?.[0]?.reason;
};

before(async () => {
  srv = await startGcsServer({ buckets: ['b1'] });
  storage = new Storage({
    apiEndpoint: srv.url,
    projectId: 'test',
    retryOptions: { maxRetries: 3, retryDelayMultiplier: 1.1, maxRetryDelay: 2, totalTimeout: 30 },
  });
});
after(() => srv.close());

describe('gcs-server with @google-cloud/storage', () => {
  test('crc32c matches the client and GCS test vectors', () => {
    const data = randomBytes(100_003);
    assert.equal(new Crc32c().update(data).base64(), crcOf(data));
    // RFC 3720 vector: 32 bytes of zeros → 0x8a9136aa.
    assert.equal(new Crc32c().update(Buffer.alloc(32)).base64(), Buffer.from('8a9136aa', 'hex').toString('base64'));
  });

  test('buckets: insert, get, list, conflict', async () => {
    await storage.createBucket('b2');
    const [meta] = await storage.bucket('b2').getMetadata();
    assert.equal(meta.name, 'b2');
    const [buckets] = await storage.getBuckets();
    assert.deepEqual(buckets.map((b) => b.name).sort(), ['b1', 'b2']);
    await assert.rejects(storage.createBucket('b2'), (e) => codeOf(e) === 409);
    const [exists] = await storage.bucket('nope').exists();
    assert.equal(exists, false);
  });

  test('multipart upload keeps metadata; hashes match; download validates', async () => {
    const data = randomBytes(70_000);
    const f = storage.bucket('b1').file('dir/multi.bin');
    await write(f, data, { resumable: false, contentType: 'application/gzip', metadata: { cacheControl: 'public, max-age=60', metadata: { sha256: 'abc' } } });
    const [m] = await f.getMetadata();
    assert.equal(m.size, '70000');
    assert.equal(m.md5Hash, md5(data));
    assert.equal(m.crc32c, crcOf(data));
    assert.equal(m.contentType, 'application/gzip');
    assert.equal(m.cacheControl, 'public, max-age=60');
    assert.deepEqual(m.metadata, { sha256: 'abc' });
    const [got] = await f.download({ validation: 'crc32c' });
    assert.ok(got.equals(data));
    assert.ok((await srv.readObject('b1', 'dir/multi.bin')).equals(data));
    assert.equal(srv.writes().get('b1/dir/multi.bin'), 1, 'one committed write');
  });

  test('media upload (raw uploadType=media)', async () => {
    const data = Buffer.from('hello media');
    const r = await fetch(`${srv.url}/upload/storage/v1/b/b1/o?uploadType=media&name=${encodeURIComponent('m/x.txt')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: data,
    });
    assert.equal(r.status, 200);
    const [m] = await storage.bucket('b1').file('m/x.txt').getMetadata();
    assert.equal(m.contentType, 'text/plain');
    assert.equal(m.md5Hash, md5(data));
  });

  test('resumable upload, single request and chunked', async () => {
    const data = randomBytes(1_300_000);
    await write(storage.bucket('b1').file('r/single.bin'), data, { resumable: true });
    const chunked = storage.bucket('b1').file('r/chunked.bin');
    const before = srv.stats.requests.length;
    await write(chunked, data, { resumable: true, chunkSize: 256 * 1024 });
    const puts = srv.stats.requests.slice(before).filter((r) => r.method === 'PUT');
    assert.ok(puts.length >= 5, `chunked upload made ${puts.length} PUTs`);
    assert.ok(puts.slice(0, -1).every((r) => r.status === 308));
    for (const name of ['r/single.bin', 'r/chunked.bin']) {
      const [m] = await storage.bucket('b1').file(name).getMetadata();
      assert.equal(m.crc32c, crcOf(data), name);
      assert.ok((await srv.readObject('b1', name)).equals(data), name);
    }
  });

  test('resumable chunked upload survives a dropped connection and resumes', async () => {
    const data = randomBytes(1_000_000);
    srv.faults.dropConnectionMidUpload(1);
    const received = srv.stats.uploadBytesReceived;
    const first = srv.stats.requests.length;
    await write(storage.bucket('b1').file('r/dropped.bin'), data, { resumable: true, chunkSize: 512 * 1024, preconditionOpts: { ifGenerationMatch: 0 } });
    assert.ok((await srv.readObject('b1', 'r/dropped.bin')).equals(data));
    const sent = srv.stats.uploadBytesReceived - received;
    // Resumed from the persisted offset: far less than a second full copy.
    assert.ok(sent < data.length * 1.5, `sent ${sent} bytes for ${data.length}`);
    const puts = srv.stats.requests.slice(first).filter((r) => r.method === 'PUT');
    assert.equal(puts[0].status, undefined, 'the first chunk lost its connection');
    assert.ok(puts.some((r) => r.status === 308));
  });

  test('resume query with Content-Range bytes */N reports the persisted range', async () => {
    const init = await fetch(`${srv.url}/upload/storage/v1/b/b1/o?uploadType=resumable&name=q.bin`, { method: 'POST', headers: { 'X-Upload-Content-Length': '10' } });
    const loc = init.headers.get('location')!;
    const p1 = await fetch(loc, { method: 'PUT', headers: { 'Content-Range': 'bytes 0-3/10' }, body: Buffer.from('0123') });
    assert.equal(p1.status, 308);
    const q = await fetch(loc, { method: 'PUT', headers: { 'Content-Range': 'bytes */10' } });
    assert.equal(q.status, 308);
    assert.equal(q.headers.get('range'), 'bytes=0-3');
    // Re-sending overlapping bytes is fine: the persisted ones are skipped.
    const p2 = await fetch(loc, { method: 'PUT', headers: { 'Content-Range': 'bytes 2-9/10' }, body: Buffer.from('23456789') });
    assert.equal(p2.status, 200);
    assert.equal((await srv.readObject('b1', 'q.bin')).toString(), '0123456789');
  });

  test('preconditions: ifGenerationMatch 0 on an existing object → 412 conditionNotMet', async () => {
    const f = storage.bucket('b1').file('pre.txt');
    await write(f, Buffer.from('one'), { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [m] = await f.getMetadata();
    for (const resumable of [false, true]) {
      await assert.rejects(
        write(f, Buffer.from('two'), { resumable, preconditionOpts: { ifGenerationMatch: 0 } }),
        (e) => codeOf(e) === 412 && reasonOf(e) === 'conditionNotMet',
      );
    }
    assert.equal((await srv.readObject('b1', 'pre.txt')).toString(), 'one');
    // Matching generation replaces; metageneration precondition guards patches.
    await write(f, Buffer.from('three'), { resumable: false, preconditionOpts: { ifGenerationMatch: Number(m.generation) } });
    const [m2] = await f.getMetadata();
    assert.notEqual(m2.generation, m.generation);
    await assert.rejects(f.setMetadata({ cacheControl: 'no-cache' }, { ifMetagenerationMatch: 7 }), (e) => codeOf(e) === 412);
    await f.setMetadata({ cacheControl: 'no-cache', metadata: { a: '1' } }, { ifMetagenerationMatch: 1 });
    const [m3] = await f.getMetadata();
    assert.equal(m3.cacheControl, 'no-cache');
    assert.equal(m3.metageneration, '2');
    assert.deepEqual(m3.metadata, { a: '1' });
    await assert.rejects(f.delete({ ifGenerationMatch: 1 }), (e) => codeOf(e) === 412);
    const raw = await fetch(`${srv.url}/storage/v1/b/b1/o/pre.txt?ifGenerationNotMatch=${m2.generation}`);
    assert.equal(raw.status, 304);
  });

  test('alt=media with Range', async () => {
    const data = randomBytes(5000);
    const f = storage.bucket('b1').file('range.bin');
    await write(f, data, { resumable: false });
    const [part] = await f.download({ start: 100, end: 199 });
    assert.ok(part.equals(data.subarray(100, 200)));
    const r = await fetch(`${srv.url}/storage/v1/b/b1/o/range.bin?alt=media`, { headers: { Range: 'bytes=-10' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), 'bytes 4990-4999/5000');
    assert.ok(Buffer.from(await r.arrayBuffer()).equals(data.subarray(4990)));
  });

  test('list with prefix, delimiter, pageToken and maxResults', async () => {
    const b = storage.bucket('b1');
    for (const n of ['l/a.txt', 'l/b.txt', 'l/c/1.txt', 'l/c/2.txt', 'l/d.txt']) srv.putObject('b1', n, n);
    const [files, , resp] = await b.getFiles({ prefix: 'l/', delimiter: '/', autoPaginate: false });
    assert.deepEqual(files.map((f) => f.name), ['l/a.txt', 'l/b.txt', 'l/d.txt']);
    assert.deepEqual((resp as { prefixes?: string[] }).prefixes, ['l/c/']);
    const [page1, next] = await b.getFiles({ prefix: 'l/', maxResults: 2, autoPaginate: false });
    assert.deepEqual(page1.map((f) => f.name), ['l/a.txt', 'l/b.txt']);
    assert.ok(next && (next as { pageToken?: string }).pageToken);
    const [page2] = await b.getFiles({ prefix: 'l/', maxResults: 2, autoPaginate: false, pageToken: (next as { pageToken: string }).pageToken });
    assert.deepEqual(page2.map((f) => f.name), ['l/c/1.txt', 'l/c/2.txt']);
    const names: string[] = [];
    for (let q: object | null = { prefix: 'l/', maxResults: 2, autoPaginate: false }; q; ) {
      const [fs, nextQuery] = await b.getFiles(q);
      names.push(...fs.map((f) => f.name));
      q = nextQuery as object | null;
    }
    assert.deepEqual(names, ['l/a.txt', 'l/b.txt', 'l/c/1.txt', 'l/c/2.txt', 'l/d.txt']);
  });

  test('copy (rewriteTo) across buckets with preconditions; copyTo raw', async () => {
    srv.putObject('b1', 'src.txt', 'source bytes', { contentType: 'text/plain', metadata: { sha256: 'x' } });
    const src = storage.bucket('b1').file('src.txt');
    const dest = storage.bucket('b2').file('rel/dest.txt');
    await src.copy(dest, { preconditionOpts: { ifGenerationMatch: 0 } });
    const [m] = await dest.getMetadata();
    assert.equal(m.contentType, 'text/plain');
    assert.deepEqual(m.metadata, { sha256: 'x' });
    assert.equal((await srv.readObject('b2', 'rel/dest.txt')).toString(), 'source bytes');
    await assert.rejects(src.copy(dest, { preconditionOpts: { ifGenerationMatch: 0 } }), (e) => codeOf(e) === 412);
    const r = await fetch(`${srv.url}/storage/v1/b/b1/o/src.txt/copyTo/b/b2/o/${encodeURIComponent('rel/c2.txt')}?ifGenerationMatch=0`, { method: 'POST' });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { name: string }).name, 'rel/c2.txt');
    await assert.rejects(storage.bucket('b1').file('missing').copy(storage.bucket('b2').file('z')), (e) => codeOf(e) === 404);
  });

  test('delete and 404s', async () => {
    srv.putObject('b1', 'del.txt', 'x');
    await storage.bucket('b1').file('del.txt').delete();
    const [exists] = await storage.bucket('b1').file('del.txt').exists();
    assert.equal(exists, false);
    await assert.rejects(storage.bucket('b1').file('del.txt').getMetadata(), (e) => codeOf(e) === 404);
  });

  test('503 with Retry-After, then the client retries and succeeds', async () => {
    srv.faults.failNext({ method: 'GET', pathIncludes: '/o/flaky.txt' }, 503, 2, { 'Retry-After': '0' });
    srv.putObject('b1', 'flaky.txt', 'ok');
    const [m] = await storage.bucket('b1').file('flaky.txt').getMetadata();
    assert.equal(m.size, '2');
    const statuses = srv.stats.requests.filter((r) => r.path.includes('/o/flaky.txt')).map((r) => r.status);
    assert.deepEqual(statuses, [503, 503, 200]);
    srv.faults.failNext({ pathIncludes: '/o/flaky.txt' }, 503, 1, { 'Retry-After': '7' });
    const r = await fetch(`${srv.url}/storage/v1/b/b1/o/flaky.txt`);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal(((await r.json()) as { error: { errors: { reason: string }[] } }).error.errors[0].reason, 'backendError');
  });

  test('public GET /<bucket>/<key> like storage.googleapis.com', async () => {
    srv.putObject('b1', 'pub/file.txt', 'public bytes', { contentType: 'text/plain' });
    const r = await fetch(`${srv.url}/b1/pub/file.txt`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'public bytes');
    assert.equal((await fetch(`${srv.url}/b1/pub/none.txt`)).status, 404);
  });
});
