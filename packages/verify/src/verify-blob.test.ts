// verifyBlob against bundles and .sig/.cert pairs made by the keyless signer
// on the loopback Sigstore sandbox, and against the embedded public-good root.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOrelError, type Artifact } from '@orel/core';
import { startSandboxSigstore, type SandboxSigstore } from '@orel/sandbox';
import { createKeylessSigner, createKeylessWitnesses, signArtifacts } from '@orel/sign';
import { loadTrustedRoot, verifyBlob } from './index.js';

const IDENTITY = 'releaser@example.com';
const ISSUER = 'https://accounts.example.com';
const policy = { identity: IDENTITY, issuer: ISSUER };
let dir: string;
let sb: SandboxSigstore;
let file: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'orel-vblob-'));
  sb = await startSandboxSigstore({ dir: join(dir, 'sandbox'), identity: IDENTITY, issuer: ISSUER });
  file = join(dir, 'app.tar.gz');
  const data = Buffer.from('release bytes\n');
  await writeFile(file, data);
  const a: Artifact = { name: 'app.tar.gz', kind: 'archive', path: file, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), sha512: createHash('sha512').update(data).digest('hex') };
  const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken() });
  await signArtifacts({ artifacts: [a], signer, witnesses: createKeylessWitnesses({ rekor: sb.rekorUrl }), outputs: ['bundle', 'sig', 'cert'], workDir: dir });
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

describe('verifyBlob', () => {
  it('verifies a keyless bundle with the sandbox root (file or digest) and the identity policy', async () => {
    const root = await loadTrustedRoot('sandbox', { sandboxDir: join(dir, 'sandbox') });
    const r = await verifyBlob({ file, bundle: `${file}.sigstore.json`, trustedRoot: root.json, policy });
    assert.equal(r.signer, 'certificate');
    assert.equal(r.identity?.subjectAlternativeName, IDENTITY);
    assert.equal(r.tlogEntries, 1);
    const digest = createHash('sha256').update(await readFile(file)).digest('hex');
    await verifyBlob({ sha256: `sha256:${digest}`, bundle: `${file}.sigstore.json`, trustedRoot: root.json, policy: { identityRegexp: '.*@example\\.com', issuer: ISSUER } });
  });

  it('rejects another identity (POLICY), no policy (POLICY), other bytes and the public-good root (VERIFY_FAILED)', async () => {
    const bundle = `${file}.sigstore.json`;
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: sb.trustedRoot, policy: { identity: 'mallory@example.com', issuer: ISSUER } }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: sb.trustedRoot, policy: { identityRegexp: 'releaser', issuer: ISSUER } }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: sb.trustedRoot }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ sha256: '0'.repeat(64), bundle, trustedRoot: sb.trustedRoot, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    const publicGood = await loadTrustedRoot(undefined);
    await assert.rejects(verifyBlob({ file, bundle, trustedRoot: publicGood.json, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
  });

  it('verifies the legacy .sig + .cert pair against the root and policy, with a warning about the missing log entry', async () => {
    const r = await verifyBlob({ file, signature: `${file}.sig`, certificate: `${file}.cert`, trustedRoot: sb.trustedRoot, policy });
    assert.equal(r.identity?.subjectAlternativeName, IDENTITY);
    assert.match(r.warnings[0], /no transparency-log evidence/);
    await assert.rejects(verifyBlob({ file, signature: `${file}.sig`, certificate: `${file}.cert`, trustedRoot: sb.trustedRoot, policy: { ...policy, identity: 'x@y' } }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ sha256: '1'.repeat(64), signature: `${file}.sig`, certificate: `${file}.cert`, trustedRoot: sb.trustedRoot, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    const publicGood = await loadTrustedRoot('public-good');
    await assert.rejects(verifyBlob({ file, signature: `${file}.sig`, certificate: `${file}.cert`, trustedRoot: publicGood.json, policy }), (e) => isOrelError(e, 'VERIFY_FAILED'));
  });

  it('verifies a public-good bundle offline with the embedded root', async () => {
    const c = resolve(import.meta.dirname, '../../../../shared/conformance/cases/happy-path-v0.3');
    const cases = JSON.parse(await readFile(resolve(c, '../../cases.json'), 'utf8')).cases as { name: string; identity: string; issuer: string }[];
    const k = cases.find((x) => x.name === 'happy-path-v0.3')!;
    const root = await loadTrustedRoot('public-good');
    await verifyBlob({ file: join(c, 'artifact'), bundle: join(c, 'bundle.sigstore.json'), trustedRoot: root.json, policy: { identity: k.identity, issuer: k.issuer } });
  });
});
