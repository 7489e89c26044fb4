import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isOrelError } from '@orel/core';
import { verifyDigests } from './digests.js';

const dir = mkdtempSync(join(tmpdir(), 'orel-digests-'));
const bytes = randomBytes(300_000);
const file = join(dir, 'app.tar.gz');
writeFileSync(file, bytes);
const expect = {
  size: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
  sha512: createHash('sha512').update(bytes).digest('hex'),
};

test('a streamed file matching its record passes', async () => {
  await verifyDigests('app.tar.gz', createReadStream(file, { highWaterMark: 16 * 1024 }), expect);
  await verifyDigests('app.tar.gz', createReadStream(file), { size: expect.size, sha256: expect.sha256.toUpperCase() });
});

test('changed bytes, size or digest: VERIFY_FAILED naming the artifact and each difference', async () => {
  const changed = Buffer.from(bytes);
  changed[1000] ^= 1;
  await assert.rejects(verifyDigests('app.tar.gz', Readable.from([changed]), expect), (e) => {
    assert.ok(isOrelError(e, 'VERIFY_FAILED'));
    assert.match(e.message, /^app\.tar\.gz: published bytes differ/);
    assert.equal(e.details?.length, 2); // sha256 and sha512
    return true;
  });
  await assert.rejects(verifyDigests('app.tar.gz', Readable.from([bytes.subarray(1)]), expect), (e) => isOrelError(e, 'VERIFY_FAILED') && /size 299999, expected 300000/.test(e.message));
});

test('a failing stream is VERIFY_FAILED, not a crash', async () => {
  const broken = new Readable({ read() { this.destroy(new Error('connection reset')); } });
  await assert.rejects(verifyDigests('app.tar.gz', broken, expect), (e) => isOrelError(e, 'VERIFY_FAILED') && /connection reset/.test(e.message));
});
