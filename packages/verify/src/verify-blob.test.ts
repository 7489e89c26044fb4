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
import { pem } from '@sigstore/core';
import { findRekorEntry, loadTrustedRoot, verifyBlob } from './index.js';

const certDer = (text: string) => pem.toDER(text.startsWith('-----') ? text : Buffer.from(text, 'base64').toString('utf8'));

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

  it('verifies a .sig + .cert pair by its Rekor entry, found by the artifact digest (uuid and index reported), or given as a file', async () => {
    const pair = { file, signature: `${file}.sig`, certificate: `${file}.cert`, trustedRoot: sb.trustedRoot, policy };
    const r = await verifyBlob({ ...pair, rekorUrl: sb.rekorUrl });
    assert.equal(r.identity?.subjectAlternativeName, IDENTITY);
    assert.deepEqual(r.warnings, []);
    assert.match(r.tlogEntry?.uuid ?? '', /^[0-9a-f]{64}$/);
    assert.equal(typeof r.tlogEntry?.logIndex, 'number');
    const found = await findRekorEntry({ rekorUrl: sb.rekorUrl, sha256: createHash('sha256').update(await readFile(file)).digest(), signature: Buffer.from(await readFile(`${file}.sig`, 'utf8'), 'base64'), certDer: certDer(await readFile(`${file}.cert`, 'utf8')) });
    assert.equal(found?.uuid, r.tlogEntry?.uuid);
    assert.equal((await verifyBlob({ ...pair, rekorBundle: found!.rekorBundle })).tlogEntry?.logIndex, found!.logIndex);
    // A forged signed entry timestamp, another identity, other bytes: refused.
    const forged = { ...found!.rekorBundle, SignedEntryTimestamp: Buffer.alloc(70, 1).toString('base64') };
    await assert.rejects(verifyBlob({ ...pair, rekorBundle: forged }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    await assert.rejects(verifyBlob({ ...pair, rekorUrl: sb.rekorUrl, policy: { ...policy, identity: 'x@y' } }), (e) => isOrelError(e, 'POLICY'));
    await assert.rejects(verifyBlob({ ...pair, file: undefined, sha256: '1'.repeat(64), rekorUrl: sb.rekorUrl }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    await assert.rejects(verifyBlob({ ...pair, file: undefined, sha256: '1'.repeat(64), rekorBundle: found!.rekorBundle }), /logs another signature/);
    const publicGood = await loadTrustedRoot('public-good');
    await assert.rejects(verifyBlob({ ...pair, trustedRoot: publicGood.json, rekorBundle: found!.rekorBundle }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    // The artifact's own bundle holds this very pair: it is the evidence, with no log to search.
    const ownBundle = JSON.parse(await readFile(`${file}.sigstore.json`, 'utf8'));
    assert.equal((await verifyBlob({ ...pair, pairBundle: ownBundle })).tlogEntries, 1);
    await assert.rejects(verifyBlob({ ...pair, pairBundle: ownBundle, policy: { ...policy, identity: 'x@y' } }), (e) => isOrelError(e, 'POLICY'));
    const otherSignature = { ...ownBundle, messageSignature: { ...ownBundle.messageSignature, signature: Buffer.alloc(70, 1).toString('base64') } };
    await assert.rejects(verifyBlob({ ...pair, pairBundle: otherSignature }), /no transparency-log entry logs this signature/);
  });

  it('refuses a .sig + .cert pair that no log holds (the holder of the ephemeral key could sign anything), unless --insecure-ignore-tlog', async () => {
    // Signed with a real Fulcio certificate, but never logged.
    const other = join(dir, 'unlogged.bin');
    const data = Buffer.from('signed later, by whoever kept the key\n');
    await writeFile(other, data);
    const a: Artifact = { name: 'unlogged.bin', kind: 'binary', path: other, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), sha512: createHash('sha512').update(data).digest('hex') };
    const signer = await createKeylessSigner({ fulcio: sb.fulcioUrl }, { token: async () => sb.mintToken() });
    await signArtifacts({ artifacts: [a], signer, witnesses: [], outputs: ['sig', 'cert'], workDir: dir });
    const pair = { file: other, signature: `${other}.sig`, certificate: `${other}.cert`, trustedRoot: sb.trustedRoot, policy };
    await assert.rejects(verifyBlob({ ...pair, rekorUrl: sb.rekorUrl }), /no transparency-log entry in http:\/\/127\.0\.0\.1:\d+\/rekor logs this signature/);
    await assert.rejects(verifyBlob(pair), (e) => isOrelError(e, 'VERIFY_FAILED') && /--insecure-ignore-tlog skips this check/.test(e.hint ?? ''));
    const r = await verifyBlob({ ...pair, insecureIgnoreTlog: true });
    assert.equal(r.identity?.subjectAlternativeName, IDENTITY);
    assert.match(r.warnings[0], /--insecure-ignore-tlog: no transparency-log entry was checked/);
    await assert.rejects(verifyBlob({ ...pair, insecureIgnoreTlog: true, policy: { ...policy, requireTlog: true } }), (e) => isOrelError(e, 'VERIFY_FAILED'));
    await assert.rejects(verifyBlob({ ...pair, rekorUrl: 'http://127.0.0.1:1' }), (e) => isOrelError(e, 'SERVICE_UNAVAILABLE'));
  });

  it('verifies a public-good bundle offline with the embedded root', async () => {
    const c = resolve(import.meta.dirname, '../../../../shared/conformance/cases/happy-path-v0.3');
    const cases = JSON.parse(await readFile(resolve(c, '../../cases.json'), 'utf8')).cases as { name: string; identity: string; issuer: string }[];
    const k = cases.find((x) => x.name === 'happy-path-v0.3')!;
    const root = await loadTrustedRoot('public-good');
    await verifyBlob({ file: join(c, 'artifact'), bundle: join(c, 'bundle.sigstore.json'), trustedRoot: root.json, policy: { identity: k.identity, issuer: k.issuer } });
  });
});
