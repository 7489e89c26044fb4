import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOrelError, type Artifact } from '@orel/core';
import { checksumFileContent, parseChecksumFile, perFileChecksumContent, writeChecksumArtifacts } from './checksums.js';
import { digestFile } from './digest.js';

const hasCoreutils = spawnSync('sha256sum', ['--version']).status === 0;

async function artifactsIn(dir: string, files: Record<string, string>): Promise<Artifact[]> {
  const out: Artifact[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    out.push({ name, kind: 'binary', path, ...(await digestFile(path)) });
  }
  return out;
}

const A = { name: 'b.tar.gz', sha256: 'a'.repeat(64), sha512: 'b'.repeat(128) };
const B = { name: 'a-linux', sha256: 'c'.repeat(64), sha512: 'd'.repeat(128) };

test('aggregate content: coreutils lines sorted by name; per-file content: bare hex', () => {
  assert.equal(checksumFileContent([A, B], 'sha256'), `${'c'.repeat(64)}  a-linux\n${'a'.repeat(64)}  b.tar.gz\n`);
  assert.equal(checksumFileContent([A, B], 'sha512'), `${'d'.repeat(128)}  a-linux\n${'b'.repeat(128)}  b.tar.gz\n`);
  assert.equal(checksumFileContent([], 'sha256'), '');
  assert.equal(perFileChecksumContent(A, 'sha256'), 'a'.repeat(64));
  assert.throws(() => checksumFileContent([A, A], 'sha256'), (e) => isOrelError(e, 'DISCOVERY_DUPLICATE'));
  assert.throws(() => checksumFileContent([{ ...A, name: 'dir/x' }], 'sha256'), (e) => isOrelError(e, 'PLAN_INVALID'));
});

test('parseChecksumFile reads coreutils, binary-mode, BSD and bare forms, and names the bad line', () => {
  const text = `${'c'.repeat(64)}  a-linux\r\n\n${'A'.repeat(64)} *b.tar.gz\nSHA256 (c d.txt) = ${'e'.repeat(64)}\n`;
  assert.deepEqual(
    [...parseChecksumFile(text, 'SHA256SUMS', 'sha256')],
    [
      ['a-linux', 'c'.repeat(64)],
      ['b.tar.gz', 'a'.repeat(64)],
      ['c d.txt', 'e'.repeat(64)],
    ],
  );
  assert.deepEqual([...parseChecksumFile('f'.repeat(128), 'x.sha512')], [['', 'f'.repeat(128)]]);
  const bad = (t: string, frag: string, alg?: 'sha256' | 'sha512') =>
    assert.throws(
      () => parseChecksumFile(t, 'SUMS', alg),
      (e) => isOrelError(e, 'VERIFY_FAILED') && e.message.includes(frag),
      frag,
    );
  bad(`${'c'.repeat(64)}  a\nnot a line\n`, 'SUMS:2');
  bad(`${'c'.repeat(64)}  a\n${'c'.repeat(63)}  b\n`, 'SUMS:2');
  bad(`${'c'.repeat(64)}  a\n`, 'SUMS:1', 'sha512');
  bad(`${'c'.repeat(64)}  a\n${'d'.repeat(64)}  a\n`, 'SUMS:2: "a" is listed again');
});

test('written checksum files pass sha256sum -c / sha512sum -c and catch a changed file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-checksums-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const arts = await artifactsIn(dir, { 'kubectl-linux-amd64': 'bin 1', 'kubernetes.tar.gz': 'tarball', 'empty.txt': '' });
  const written = await writeChecksumArtifacts(
    arts,
    { files: [{ name: 'SHA256SUMS', algorithm: 'sha256' }, { name: 'SHA512SUMS', algorithm: 'sha512' }], perFile: ['sha256', 'sha512'] },
    dir,
  );
  assert.deepEqual(
    written.map((a) => [a.name, a.kind, a.subject]),
    [
      ['SHA256SUMS', 'checksum', undefined],
      ['SHA512SUMS', 'checksum', undefined],
      ['kubectl-linux-amd64.sha256', 'checksum', 'kubectl-linux-amd64'],
      ['kubernetes.tar.gz.sha256', 'checksum', 'kubernetes.tar.gz'],
      ['empty.txt.sha256', 'checksum', 'empty.txt'],
      ['kubectl-linux-amd64.sha512', 'checksum', 'kubectl-linux-amd64'],
      ['kubernetes.tar.gz.sha512', 'checksum', 'kubernetes.tar.gz'],
      ['empty.txt.sha512', 'checksum', 'empty.txt'],
    ],
  );
  // Their own digests describe the bytes on disk.
  for (const w of written) assert.deepEqual(await digestFile(w.path!), { size: w.size, sha256: w.sha256, sha512: w.sha512 });
  const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
  assert.ok(!sums.includes(dir), 'no workspace paths in checksum files');
  assert.deepEqual(parseChecksumFile(sums, 'SHA256SUMS').get('kubernetes.tar.gz'), arts[1].sha256);
  assert.equal(readFileSync(join(dir, 'kubernetes.tar.gz.sha512'), 'utf8'), arts[1].sha512);

  await assert.rejects(
    writeChecksumArtifacts(arts, { files: [{ name: 'kubernetes.tar.gz', algorithm: 'sha256' }] }, dir),
    (e) => isOrelError(e, 'DISCOVERY_DUPLICATE'),
  );

  if (!hasCoreutils) return t.skip('sha256sum not installed');
  const check = (cmd: string, args: string[], input?: string) =>
    spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', input });
  for (const [cmd, file] of [['sha256sum', 'SHA256SUMS'], ['sha512sum', 'SHA512SUMS']]) {
    const r = check(cmd, ['--strict', '-c', file]);
    assert.equal(r.status, 0, `${cmd} -c ${file}: ${r.stdout}${r.stderr}`);
  }
  // dl.k8s.io style per-file check.
  const perFile = check('sha256sum', ['-c', '-'], `${readFileSync(join(dir, 'kubernetes.tar.gz.sha256'), 'utf8')}  kubernetes.tar.gz\n`);
  assert.equal(perFile.status, 0, perFile.stdout + perFile.stderr);
  appendFileSync(join(dir, 'kubernetes.tar.gz'), 'tampered');
  const r = check('sha512sum', ['-c', 'SHA512SUMS']);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /kubernetes\.tar\.gz: FAILED/);
});
