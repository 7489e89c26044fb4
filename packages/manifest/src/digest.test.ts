import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DigestPool, digestFile, digestFiles, scheduleDigests } from './digest.js';
import { DIGEST_BUFFER_SIZE, DIGEST_WORKER_SOURCE } from './digest-worker-source.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function fixture(t: { after: (fn: () => void) => void }): { dir: string; files: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'orel-digest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const contents: Record<string, Buffer> = {
    empty: Buffer.alloc(0),
    abc: Buffer.from('abc'),
    'exact-buffer': randomBytes(DIGEST_BUFFER_SIZE),
    'two-and-a-half-buffers': randomBytes(DIGEST_BUFFER_SIZE * 2 + DIGEST_BUFFER_SIZE / 2 + 1),
    // Big enough to be split over two workers by default.
    big: randomBytes(DIGEST_BUFFER_SIZE * 5 + 12345),
  };
  const files: Record<string, string> = {};
  for (const [name, data] of Object.entries(contents)) {
    files[name] = join(dir, name);
    writeFileSync(files[name], data);
  }
  return { dir, files };
}

const nodeDigest = (path: string) => {
  const data = readFileSync(path);
  return {
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    sha512: createHash('sha512').update(data).digest('hex'),
  };
};

test('digestFile: known vectors', async (t) => {
  const { files } = fixture(t);
  assert.deepEqual(await digestFile(files.empty), {
    size: 0,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    sha512:
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
  });
  assert.deepEqual(await digestFile(files.abc), {
    size: 3,
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    sha512:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  });
});

test('digestFile and digestFiles (workers and in-thread) agree with node crypto and openssl', async (t) => {
  const { files } = fixture(t);
  const paths = Object.values(files);
  const expected = paths.map(nodeDigest);
  for (const p of paths) assert.deepEqual(await digestFile(p), expected[paths.indexOf(p)]);
  assert.deepEqual(await digestFiles(paths, 4, { workers: 2 }), expected, 'worker pool');
  assert.deepEqual(await digestFiles(paths, 4, { workers: 0 }), expected, 'calling thread');
  assert.deepEqual(await digestFiles(paths, 4, { workers: 2, split: 'always' }), expected, 'split over two workers');
  assert.deepEqual(await digestFiles(paths, 4, { workers: 2, split: 'never' }), expected, 'whole files only');
  assert.deepEqual(await digestFiles([files.big], 4, { workers: 2 }), [expected[paths.indexOf(files.big)]], 'one big file');
  assert.deepEqual(await digestFiles(paths, 4), expected, 'default choice');
  assert.deepEqual(await digestFiles([], 4), []);
  if (!hasOpenssl) return t.diagnostic('openssl not installed: skipped the openssl cross-check');
  for (const [i, p] of paths.entries()) {
    for (const alg of ['sha256', 'sha512'] as const) {
      const out = execFileSync('openssl', ['dgst', `-${alg}`, '-r', p], { encoding: 'utf8' });
      assert.equal(out.split(' ')[0], expected[i][alg], `${alg} of ${p}`);
    }
  }
});

test('split digests through a tiny shared ring that wraps around many times', async (t) => {
  const { files } = fixture(t);
  const pool = new DigestPool(2, { slots: 2, slotSize: 64 * 1024 + 3 });
  try {
    for (const p of Object.values(files)) assert.deepEqual(await pool.digestSplit(p), nodeDigest(p), p);
    await assert.rejects(pool.digestSplit(files.abc + '.missing'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    assert.deepEqual(await pool.digestSplit(files.abc), nodeDigest(files.abc), 'the pool still works after a failure');
  } finally {
    await pool.close();
  }
});

test('digestFiles keeps input order, reports progress, and a 1-worker pool works', async (t) => {
  const { files } = fixture(t);
  // Largest-first scheduling must not reorder the results.
  const paths = [files.abc, files['two-and-a-half-buffers'], files.empty, files['exact-buffer'], files.abc];
  const seen: [number, number][] = [];
  const got = await digestFiles(paths, 8, { workers: 1, onProgress: (d, n) => seen.push([d, n]) });
  assert.deepEqual(got, paths.map(nodeDigest));
  assert.deepEqual(seen, [1, 2, 3, 4, 5].map((d) => [d, 5]));
});

test('digestFiles: a missing file fails with its path and code, on both paths', async (t) => {
  const { dir, files } = fixture(t);
  const missing = join(dir, 'nope');
  for (const [workers, split] of [[0, 'auto'], [2, 'never'], [2, 'always']] as const) {
    await assert.rejects(
      digestFiles([files.abc, missing], 2, { workers, split }),
      (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.message.includes(missing),
      `workers=${workers} split=${split}`,
    );
  }
  // The pool was closed: a directory passed as a file fails cleanly too (read error inside the worker).
  await assert.rejects(digestFiles([files.abc, dir], 2, { workers: 2 }), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
});

test('scheduleDigests: largest first, dominant files split, the rest in whole-file lanes', () => {
  const M = 1024 * 1024;
  // 100 > 20+10+10+1 → split; 20 and the first 10 do not dominate; the second 10 > 1 does; 1 MiB is too small to split.
  assert.deepEqual(scheduleDigests([10 * M, 100 * M, 1 * M, 20 * M, 10 * M], 'auto'), [
    { split: true, items: [1] },
    { split: false, items: [3, 0] },
    { split: true, items: [4] },
    { split: false, items: [2] },
  ]);
  assert.deepEqual(scheduleDigests([8 * M, 8 * M, 30 * M], 'auto'), [
    { split: true, items: [2] },
    { split: false, items: [0] },
    { split: true, items: [1] },
  ]);
  assert.deepEqual(scheduleDigests([3, 2], 'never'), [{ split: false, items: [0, 1] }]);
  assert.deepEqual(scheduleDigests([3, 2], 'always'), [
    { split: true, items: [0] },
    { split: true, items: [1] },
  ]);
});

test('compiled dist digests in plain node (no tsx), when a fresh build exists', async (t) => {
  const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
  const dist = join(pkg, 'dist', 'digest.js');
  let fresh = false;
  try {
    // tsc does not rewrite unchanged outputs, so compare the worker's code itself, and digest.js by time.
    const built = await import(join(pkg, 'dist', 'digest-worker-source.js'));
    fresh = built.DIGEST_WORKER_SOURCE === DIGEST_WORKER_SOURCE && statSync(dist).mtimeMs >= statSync(join(pkg, 'src', 'digest.ts')).mtimeMs;
  } catch {
    /* not built */
  }
  if (!fresh) return t.skip('packages/manifest/dist is missing or older than src: run `npx tsc -b packages/manifest`');
  const { files } = fixture(t);
  const script = `import { digestFiles } from ${JSON.stringify(dist)};
    const r = await digestFiles(${JSON.stringify(Object.values(files))}, 2, { workers: 2 });
    console.log(JSON.stringify(r));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), Object.values(files).map(nodeDigest));
});
