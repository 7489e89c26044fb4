import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOrelError, type Artifact } from '@orel/core';
import { layoutFor, objectKeyFor, parsePlan, type TargetSpec } from './index.js';

const rp = parsePlan('apiVersion: orel.dev/v1\nrelease: {name: kube, version: v1.31.0}\ntargets: [{name: t, url: file://t}]\nstages: {stage: {targets: [t]}, release: {targets: [t]}}\n', 'r.yaml', { env: {} });

const art = (name: string, kind: Artifact['kind'], extra: Partial<Artifact> = {}): Artifact => ({
  name, kind, size: 1, sha256: 'a'.repeat(64), sha512: 'b'.repeat(128), ...extra,
});
const k8s: TargetSpec = { name: 'dl', url: 'gs://b', preset: 'dl.k8s.io' };

test('layoutFor: own kind, then own default, then preset, then {name}', () => {
  const own: TargetSpec = { name: 'x', url: 'file://x', preset: 'dl.k8s.io', layout: { sbom: 'sboms/{name}', default: 'd/{name}' } };
  assert.equal(layoutFor(own, 'sbom'), 'sboms/{name}');
  assert.equal(layoutFor(own, 'binary'), 'd/{name}', "the target's default beats the preset");
  assert.equal(layoutFor(k8s, 'binary'), 'release/v{version}/bin/{os}/{arch}/{name}');
  assert.equal(layoutFor(k8s, 'archive'), 'release/v{version}/{name}');
  assert.equal(layoutFor({ name: 'f', url: 'file://f', preset: 'flat' }, 'binary'), '{name}');
  assert.equal(layoutFor({ name: 'n', url: 'file://n' }, 'sbom'), '{name}');
  assert.equal(layoutFor({ name: 'n', url: 'file://n' }, 'sbom', true), 'stage/{version}/{buildId}/{name}', 'staging keeps versions and builds apart');
});

test('objectKeyFor renders the dl.k8s.io layout', () => {
  const kubectl = art('kubectl', 'binary', { os: 'linux', arch: 'amd64', set: 'binaries' });
  assert.equal(objectKeyFor(rp, k8s, kubectl), 'release/v1.31.0/bin/linux/amd64/kubectl');
  assert.equal(objectKeyFor(rp, k8s, art('kubernetes.tar.gz', 'archive')), 'release/v1.31.0/kubernetes.tar.gz');
  const custom: TargetSpec = { name: 'c', url: 'file://c', layout: { default: '{name}/{buildId}/{set}/{kind}/{file}' } };
  assert.throws(() => objectKeyFor(rp, custom, kubectl), (e) => isOrelError(e, 'PLAN_INVALID') && /\{file\}/.test(e.message));
});

test('derived artifacts land beside their subject', () => {
  const kubectl = art('kubectl', 'binary', { os: 'darwin', arch: 'arm64' });
  const sums = art('SHA256SUMS', 'checksum');
  const byName = new Map([kubectl, sums].map((a) => [a.name, a]));
  const lookup = (n: string) => byName.get(n);
  for (const [name, kind] of [['kubectl.sig', 'signature'], ['kubectl.cert', 'certificate'], ['kubectl.sigstore.json', 'bundle'], ['kubectl.sha256', 'checksum']] as const) {
    assert.equal(objectKeyFor(rp, k8s, art(name, kind, { subject: 'kubectl' }), lookup), `release/v1.31.0/bin/darwin/arm64/${name}`);
  }
  // An aggregate checksum file has no subject: the target's layout for its kind.
  assert.equal(objectKeyFor(rp, k8s, sums, lookup), 'release/v1.31.0/SHA256SUMS');
  assert.equal(objectKeyFor(rp, k8s, art('SHA256SUMS.sig', 'signature', { subject: 'SHA256SUMS' }), lookup), 'release/v1.31.0/SHA256SUMS.sig');
  // Flat target: the subject's directory is the root.
  assert.equal(objectKeyFor(rp, { name: 'f', url: 'file://f' }, art('kubectl.sig', 'signature', { subject: 'kubectl' }), lookup), 'kubectl.sig');
  assert.throws(() => objectKeyFor(rp, k8s, art('x.sig', 'signature', { subject: 'x' }), lookup), (e) => isOrelError(e, 'INTERNAL'));
});

test('the quickstart layouts place binaries per platform', () => {
  const release: TargetSpec = { name: 'release', url: 'file://out/release', layout: { binary: 'release/v{version}/bin/{os}/{arch}/{name}', default: 'release/v{version}/{name}' } };
  assert.equal(objectKeyFor(rp, release, art('hello-linux-amd64', 'binary', { os: 'linux', arch: 'amd64' })), 'release/v1.31.0/bin/linux/amd64/hello-linux-amd64');
  assert.equal(objectKeyFor(rp, release, art('sbom.spdx.json', 'sbom')), 'release/v1.31.0/sbom.spdx.json');
});
