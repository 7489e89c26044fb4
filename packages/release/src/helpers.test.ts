import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArtifactRegistry, isOrelError, type Artifact } from '@orel/core';
import { MemoryJournal } from '@orel/pipeline';
import { parsePlan } from '@orel/plan';
import { newRunState, type ReleaseContext } from './context.js';
import { formatBytes, keyFor, publishable, recordPublished, stageTargetNames } from './helpers.js';

const PLAN = `
apiVersion: orel.dev/v1
release: { name: kube, version: 1.31.0 }
artifacts:
  root: dist
  sets: [{ name: bins, kind: binary, include: ["bin/**/*"], pattern: "bin/{os}/{arch}/{file}" }]
targets:
  - { name: staging, url: "gs://stage-bucket/kube", layout: { default: "stage/{buildId}/{name}" } }
  - { name: release, url: "file:///srv/dl", preset: dl.k8s.io }
  - { name: flat, url: "file:///srv/flat", preset: flat }
stages:
  stage: { targets: [staging] }
  release: { targets: [release, flat] }
`;

const art = (a: Partial<Artifact> & Pick<Artifact, 'name' | 'kind'>): Artifact => ({ size: 1, sha256: 'a'.repeat(64), sha512: 'b'.repeat(128), ...a });

function context(artifacts: Artifact[]): ReleaseContext {
  const rp = parsePlan(PLAN, '/plans/kube/release.yaml', { buildId: 'b42', env: {} });
  return {
    rp,
    mode: 'mock',
    workDir: '/tmp/unused',
    stage: 'release',
    artifacts: new ArtifactRegistry(artifacts),
    witnesses: [],
    publishers: new Map(),
    trust: {},
    reporter: { info() {}, warn() {}, debug() {}, stepStart() {}, stepEnd() {}, progress() {} },
    journal: new MemoryJournal(),
    run: newRunState(),
    report: { mode: 'mock', plan: rp.file, release: { name: 'kube', version: '1.31.0' }, stages: [], verified: false, artifacts: [] },
  };
}

const kubectl = art({ name: 'kubectl', kind: 'binary', os: 'linux', arch: 'amd64' });
const derived = [
  art({ name: 'kubectl.sig', kind: 'signature', subject: 'kubectl' }),
  art({ name: 'kubectl.cert', kind: 'certificate', subject: 'kubectl' }),
  art({ name: 'kubectl.sigstore.json', kind: 'bundle', subject: 'kubectl' }),
  art({ name: 'kubectl.sha256', kind: 'checksum', subject: 'kubectl' }),
];
const sums = art({ name: 'SHA256SUMS', kind: 'checksum' });
const pub = art({ name: 'cosign.pub', kind: 'public-key' });

test('keyFor renders each target layout (presets included)', () => {
  const ctx = context([kubectl, sums, pub]);
  assert.equal(keyFor(ctx, 'release', kubectl), 'release/v1.31.0/bin/linux/amd64/kubectl');
  assert.equal(keyFor(ctx, 'release', sums), 'release/v1.31.0/SHA256SUMS');
  assert.equal(keyFor(ctx, 'staging', kubectl), 'stage/b42/kubectl');
  assert.equal(keyFor(ctx, 'flat', kubectl), 'kubectl');
});

test('derived artifacts (sig, cert, bundle, per-file checksum) sit beside their subject', () => {
  const ctx = context([kubectl, ...derived, sums]);
  for (const d of derived) {
    assert.equal(keyFor(ctx, 'release', d), `release/v1.31.0/bin/linux/amd64/${d.name}`, d.name);
    assert.equal(keyFor(ctx, 'staging', d), `stage/b42/${d.name}`);
    assert.equal(keyFor(ctx, 'flat', d), d.name, 'no "./" prefix in a flat layout');
  }
  // A checksum file without a subject follows the layout for its kind.
  assert.equal(keyFor(ctx, 'release', sums), 'release/v1.31.0/SHA256SUMS');
});

test('a derived artifact whose subject is unknown is an error naming both', () => {
  const ctx = context([kubectl]);
  assert.throws(
    () => keyFor(ctx, 'release', art({ name: 'kubeadm.sig', kind: 'signature', subject: 'kubeadm' })),
    (e) => isOrelError(e, 'INTERNAL') && e.message.includes('kubeadm.sig') && e.message.includes('kubeadm'),
  );
});

test('an unknown target is a PLAN_INVALID error naming the plan file', () => {
  const ctx = context([kubectl]);
  assert.throws(() => keyFor(ctx, 'nightly', kubectl), (e) => isOrelError(e, 'PLAN_INVALID') && e.message.includes('release.yaml') && e.message.includes('"nightly"'));
});

test('stageTargetNames follows the plan; unknown stages have none', () => {
  const ctx = context([]);
  assert.deepEqual(stageTargetNames(ctx), ['release', 'flat']);
  assert.deepEqual(stageTargetNames(ctx, 'stage'), ['staging']);
  assert.deepEqual(stageTargetNames(ctx, 'nightly'), []);
});

test('publishable leaves out images and the stage manifest', () => {
  const ctx = context([kubectl, art({ name: 'kube-apiserver', kind: 'image' }), art({ name: 'orel-stage-manifest.json', kind: 'manifest' }), sums]);
  assert.deepEqual(publishable(ctx).map((a) => a.name), ['kubectl', 'SHA256SUMS']);
});

test('recordPublished lists each location once and files signatures under their subject', () => {
  const ctx = context([kubectl, ...derived]);
  recordPublished(ctx, kubectl, 'release', 'k/kubectl', '/srv/dl/k/kubectl');
  recordPublished(ctx, kubectl, 'release', 'k/kubectl', '/srv/dl/k/kubectl');
  recordPublished(ctx, derived[0]!, 'release', 'k/kubectl.sig', '/srv/dl/k/kubectl.sig');
  recordPublished(ctx, derived[2]!, 'release', 'k/kubectl.sigstore.json', '/srv/dl/k/kubectl.sigstore.json');
  recordPublished(ctx, derived[3]!, 'release', 'k/kubectl.sha256', '/srv/dl/k/kubectl.sha256');
  const entry = ctx.report.artifacts.find((a) => a.name === 'kubectl')!;
  assert.deepEqual(entry.published, [{ target: 'release', key: 'k/kubectl', location: '/srv/dl/k/kubectl' }]);
  assert.deepEqual(entry.signatures, [
    { format: 'sig', name: 'kubectl.sig', location: '/srv/dl/k/kubectl.sig' },
    { format: 'bundle', name: 'kubectl.sigstore.json', location: '/srv/dl/k/kubectl.sigstore.json' },
  ]);
});

test('formatBytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(40_755), '39.8 KiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
});
