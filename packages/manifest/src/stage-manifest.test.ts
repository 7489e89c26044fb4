import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOrelError } from '@orel/core';
import { readStageManifest, serializeStageManifest, writeStageManifest, type StageManifest } from './stage-manifest.js';

const manifest = (): StageManifest => ({
  apiVersion: 'orel.dev/v1',
  kind: 'StageManifest',
  release: { name: 'kubernetes', version: '1.31.0', buildId: 'b1' },
  createdAt: '2026-01-02T03:04:05.000Z',
  verified: true,
  signer: { ref: 'key:cosign.key', publicKeyPem: '-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n' },
  artifacts: [
    {
      name: 'kubectl-linux-amd64',
      kind: 'binary',
      path: '/home/me/work/_output/bin/linux/amd64/kubectl',
      relPath: 'bin/linux/amd64/kubectl',
      set: 'binaries',
      os: 'linux',
      arch: 'amd64',
      size: 3,
      sha256: 'a'.repeat(64),
      sha512: 'b'.repeat(128),
      staged: [
        { target: 'staging', key: 'v1.31.0/bin/linux/amd64/kubectl', location: 'gs://stage/v1.31.0/bin/linux/amd64/kubectl' },
        { target: 'mirror', key: 'k', location: 'file:///m/k' },
      ],
    },
    {
      name: 'SHA256SUMS',
      kind: 'checksum',
      algorithm: 'sha256',
      path: '/tmp/work/SHA256SUMS',
      size: 90,
      sha256: 'c'.repeat(64),
      sha512: 'd'.repeat(128),
      staged: [{ target: 'staging', key: 'v1.31.0/SHA256SUMS', location: 'gs://stage/v1.31.0/SHA256SUMS' }],
    },
  ],
});

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'orel-stage-manifest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('writes deterministic JSON without local paths and reads it back', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'stage-manifest.json');
  const m = manifest();
  await writeStageManifest(file, m);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('/home/me') && !text.includes('/tmp/work') && !text.includes('"path"'), 'no local paths');
  assert.deepEqual(Object.keys(JSON.parse(text)), ['apiVersion', 'kind', 'artifacts', 'createdAt', 'release', 'signer', 'verified']);
  assert.deepEqual(readdirSync(dir), ['stage-manifest.json'], 'no temp file left behind');

  // Same content in another order → byte-identical output.
  const shuffled = manifest();
  shuffled.artifacts.reverse();
  shuffled.artifacts[1].staged.reverse();
  shuffled.release = { buildId: 'b1', version: '1.31.0', name: 'kubernetes' };
  assert.equal(serializeStageManifest(shuffled), text);

  const back = await readStageManifest(file);
  assert.deepEqual(back.artifacts.map((a) => a.name), ['SHA256SUMS', 'kubectl-linux-amd64']);
  assert.deepEqual(back.artifacts[1].staged.map((s) => s.target), ['mirror', 'staging']);
  const { path: _p, ...expected } = m.artifacts[0];
  assert.deepEqual(back.artifacts[1], { ...expected, staged: [...expected.staged].reverse() });
  assert.deepEqual(back.signer, m.signer);
});

test('reading refuses a missing, malformed or wrongly shaped manifest, naming file and field', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'm.json');
  await assert.rejects(readStageManifest(file), (e) => isOrelError(e, 'USAGE') && e.message.includes(file));
  writeFileSync(file, '{"apiVersion": ');
  await assert.rejects(readStageManifest(file), (e) => isOrelError(e, 'INTEGRITY') && e.message.includes(file));

  const cases: [string, (doc: any) => void][] = [
    ['kind', (d) => (d.kind = 'Plan')],
    ['release.buildId', (d) => delete d.release.buildId],
    ['createdAt', (d) => (d.createdAt = 'yesterday')],
    ['artifacts[1] (kubectl-linux-amd64).sha256', (d) => (d.artifacts[1].sha256 = 'XYZ')],
    ['artifacts[0] (SHA256SUMS).size', (d) => (d.artifacts[0].size = -1)],
    ['artifacts[0] (SHA256SUMS).kind', (d) => (d.artifacts[0].kind = 'tarball')],
    ['artifacts[1] (kubectl-linux-amd64).staged[0].location', (d) => delete d.artifacts[1].staged[0].location],
    ['artifacts[1] (SHA256SUMS) repeats', (d) => (d.artifacts[1].name = 'SHA256SUMS')],
    ['signer.ref', (d) => (d.signer = {})],
  ];
  for (const [field, mutate] of cases) {
    const doc = JSON.parse(serializeStageManifest(manifest()));
    mutate(doc);
    writeFileSync(file, JSON.stringify(doc));
    await assert.rejects(
      readStageManifest(file),
      (e) => isOrelError(e, 'INTEGRITY') && e.message.includes(file) && e.message.includes(field),
      field,
    );
  }
});
