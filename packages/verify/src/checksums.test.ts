import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkChecksumFile } from './checksums.js';

const dir = mkdtempSync(join(tmpdir(), 'orel-sums-'));
const files = { 'a.tar.gz': 'alpha', 'b.zip': 'bravo', 'sbom.spdx.json': '{}' };
const expected = new Map<string, { sha256: string; sha512: string }>();
for (const [name, text] of Object.entries(files)) {
  writeFileSync(join(dir, name), text);
  expected.set(name, {
    sha256: createHash('sha256').update(text).digest('hex'),
    sha512: createHash('sha512').update(text).digest('hex'),
  });
}
// Written by coreutils itself: the format end users check with `sha256sum -c`.
const SHA256SUMS = execFileSync('sha256sum', Object.keys(files), { cwd: dir }).toString();
const SHA512SUMS = execFileSync('sha512sum', ['-b', ...Object.keys(files)], { cwd: dir }).toString();

test('coreutils output checks clean (text and binary markers)', () => {
  assert.deepEqual(checkChecksumFile({ file: 'SHA256SUMS', text: SHA256SUMS, expected, algorithm: 'sha256' }), []);
  assert.match(SHA512SUMS, / \*a\.tar\.gz/);
  assert.deepEqual(checkChecksumFile({ file: 'SHA512SUMS', text: SHA512SUMS, expected, algorithm: 'sha512' }), []);
});

test('mismatch, missing, unknown, duplicate and malformed lines are all reported', () => {
  const lines = SHA256SUMS.trim().split('\n');
  const bad = [
    lines[0].replace(/^./, (c) => (c === '0' ? '1' : '0')), // a.tar.gz digest altered
    // b.zip missing
    lines[2],
    lines[2],
    `${'0'.repeat(64)}  /home/builder/out/extra.bin`,
    'garbage line',
  ].join('\n');
  const problems = checkChecksumFile({ file: 'SHA256SUMS', text: bad, expected, algorithm: 'sha256' });
  assert.equal(problems.length, 5, problems.join('\n'));
  assert.match(problems[0], /^SHA256SUMS:1: sha256 mismatch for a\.tar\.gz/);
  assert.match(problems[1], /^SHA256SUMS:3: duplicate entry for sbom\.spdx\.json/);
  assert.match(problems[2], /^SHA256SUMS:4: unknown entry \/home\/builder\/out\/extra\.bin/);
  assert.match(problems[3], /^SHA256SUMS:5: not a "<sha256 hex> {2}<name>" line/);
  assert.equal(problems[4], 'SHA256SUMS: missing entry for b.zip');
});

test('per-file checksum (bare hex, dl.k8s.io layout)', () => {
  const one = new Map([['a.tar.gz', expected.get('a.tar.gz')!]]);
  const hex = expected.get('a.tar.gz')!.sha512;
  assert.deepEqual(checkChecksumFile({ file: 'a.tar.gz.sha512', text: hex, expected: one, algorithm: 'sha512' }), []);
  assert.equal(checkChecksumFile({ file: 'a.tar.gz.sha512', text: 'f'.repeat(128), expected: one, algorithm: 'sha512' }).length, 1);
  // A sha256 in a sha512 file is malformed, not a mismatch.
  assert.match(checkChecksumFile({ file: 'x', text: expected.get('a.tar.gz')!.sha256, expected: one, algorithm: 'sha512' })[0], /x:1: not a/);
});
