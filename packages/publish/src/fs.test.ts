import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOrelError, type PutRequest } from '@orel/core';
import { FsPublisher, fileUrlToDir } from './fs.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'orel-fs-')));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function req(key: string, data: string, extra: Partial<PutRequest> = {}): PutRequest {
  const b = Buffer.from(data);
  return { key, source: { data: b }, size: b.length, sha256: sha256(b), artifact: key.split('/').pop(), ...extra };
}

/** Every file under dir, recursively (temp files would show up here). */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as any).path, e.name).slice(dir.length + 1))
    .sort();
}

test('creates files under the layout; the same bytes again are "exists" and untouched', async (t) => {
  const root = tempDir(t);
  const p = new FsPublisher('release', root);
  const r1 = await p.put(req('release/v1/hello', 'hello bytes'));
  assert.deepEqual(r1, { status: 'created', location: join(root, 'release/v1/hello') });
  assert.equal(readFileSync(r1.location, 'utf8'), 'hello bytes');
  const before = statSync(r1.location);
  const r2 = await p.put(req('release/v1/hello', 'hello bytes'));
  assert.equal(r2.status, 'exists');
  const after = statSync(r1.location);
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.deepEqual(files(root), ['release/v1/hello']);
});

test('streams from a source path, checking its digest', async (t) => {
  const dir = tempDir(t);
  const src = join(dir, 'src.bin');
  writeFileSync(src, 'from a file');
  const p = new FsPublisher('t', join(dir, 'target'));
  const r = await p.put({ key: 'a/b.bin', source: { path: src }, size: 11, sha256: sha256('from a file') });
  assert.equal(readFileSync(r.location, 'utf8'), 'from a file');
  // Bytes that changed since they were hashed are refused, and nothing is left behind.
  await assert.rejects(
    p.put({ key: 'a/c.bin', source: { path: src }, size: 11, sha256: sha256('what was hashed') }),
    (e) => isOrelError(e, 'INTEGRITY') && e.message.includes('a/c.bin'),
  );
  assert.deepEqual(files(join(dir, 'target')), ['a/b.bin']);
});

test('different bytes at the destination: PUBLISH_CONFLICT naming the path, file unchanged', async (t) => {
  const root = tempDir(t);
  const p = new FsPublisher('release', root);
  mkdirSync(join(root, 'v1'));
  writeFileSync(join(root, 'v1/hello'), 'released long ago');
  const before = statSync(join(root, 'v1/hello'));
  await assert.rejects(
    p.put(req('v1/hello', 'new bytes')),
    (e) => isOrelError(e, 'PUBLISH_CONFLICT') && e.message.includes(join(root, 'v1/hello')) && e.message.includes('hello') && !!e.hint,
  );
  assert.equal(readFileSync(join(root, 'v1/hello'), 'utf8'), 'released long ago');
  assert.equal(statSync(join(root, 'v1/hello')).ino, before.ino);
  assert.deepEqual(files(root), ['v1/hello'], 'no temp file left behind');
});

test('overwrite (version markers) replaces the content; creates when absent', async (t) => {
  const root = tempDir(t);
  const p = new FsPublisher('release', root);
  assert.equal((await p.put(req('stable.txt', 'v1.0.0\n', { overwrite: true }))).status, 'created');
  assert.equal((await p.put(req('stable.txt', 'v1.1.0\n', { overwrite: true }))).status, 'replaced');
  assert.equal(readFileSync(join(root, 'stable.txt'), 'utf8'), 'v1.1.0\n');
  assert.equal((await p.put(req('stable.txt', 'v1.1.0\n', { overwrite: true }))).status, 'exists');
});

test('keys that escape the root are refused before anything is written', async (t) => {
  const dir = tempDir(t);
  const root = join(dir, 'target');
  const p = new FsPublisher('release', root);
  for (const key of ['../outside', 'a/../../outside', '/etc/passwd-orel-test']) {
    await assert.rejects(p.put(req(key, 'x')), (e) => isOrelError(e, 'PUBLISH_FAILED') && e.message.includes(key), key);
    assert.throws(() => p.location(key), (e) => isOrelError(e, 'PUBLISH_FAILED'));
  }
  // A sibling directory sharing the root's name as a prefix is outside too.
  await assert.rejects(p.put(req('../target-evil/x', 'x')), (e) => isOrelError(e, 'PUBLISH_FAILED'));
  assert.deepEqual(readdirSync(dir), []);
});

test('concurrent puts of the same key: one creates, the others see the same bytes', async (t) => {
  const root = tempDir(t);
  const p = new FsPublisher('release', root);
  const results = await Promise.all(Array.from({ length: 8 }, () => p.put(req('v1/hello', 'same bytes'))));
  const statuses = results.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 'created').length, 1, statuses.join(','));
  assert.equal(statuses.filter((s) => s === 'exists').length, 7);
  assert.equal(readFileSync(join(root, 'v1/hello'), 'utf8'), 'same bytes');
  assert.deepEqual(files(root), ['v1/hello']);
});

test('concurrent puts of different bytes to one key: exactly one wins, the rest conflict', async (t) => {
  const root = tempDir(t);
  const p = new FsPublisher('release', root);
  const settled = await Promise.allSettled(['a', 'b', 'c', 'd'].map((s) => p.put(req('v1/hello', `bytes ${s}`))));
  const won = settled.filter((s) => s.status === 'fulfilled');
  assert.equal(won.length, 1);
  for (const s of settled) if (s.status === 'rejected') assert.ok(isOrelError(s.reason, 'PUBLISH_CONFLICT'), String(s.reason));
  assert.match(readFileSync(join(root, 'v1/hello'), 'utf8'), /^bytes [a-d]$/);
  assert.deepEqual(files(root), ['v1/hello']);
});

test('read, stat and promoteFrom another directory target', async (t) => {
  const dir = tempDir(t);
  const staging = new FsPublisher('staging', join(dir, 'staging'));
  const release = new FsPublisher('release', join(dir, 'release'));
  await staging.put(req('stage/hello', 'staged bytes'));
  assert.deepEqual(await staging.stat('stage/hello'), { size: 12 });
  assert.equal(await staging.stat('stage/missing'), undefined);
  const chunks: Buffer[] = [];
  for await (const c of await staging.read('stage/hello')) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'staged bytes');
  await assert.rejects(staging.read('stage/missing'), (e) => isOrelError(e, 'VERIFY_FAILED') && e.message.includes('stage/missing'));
  const r = await release.promoteFrom(staging, 'stage/hello', 'v1/hello', { sha256: sha256('staged bytes'), size: 12 });
  assert.equal(r.status, 'created');
  assert.equal(readFileSync(join(dir, 'release/v1/hello'), 'utf8'), 'staged bytes');
  await assert.rejects(release.promoteFrom(staging, 'stage/hello', 'v1/other', { sha256: sha256('what the manifest says'), size: 12 }), (e) => isOrelError(e, 'INTEGRITY'));
});

test('fileUrlToDir: absolute URLs, and relative ones against the plan directory', () => {
  assert.equal(fileUrlToDir('file:///srv/releases', '/plans'), '/srv/releases');
  assert.equal(fileUrlToDir('file://out/release', '/plans/hello'), '/plans/hello/out/release');
  assert.throws(() => fileUrlToDir('gs://bucket', '/plans'), (e) => isOrelError(e, 'PLAN_INVALID'));
});
