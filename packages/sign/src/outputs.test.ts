import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { KUBERNETES_OUTPUT_NAMES, type Artifact, type Signer } from '@orel/core';
import { createKeyFileSigner } from './key-file.js';
import { publicKeyHint } from './keys.js';
import { signArtifacts, signJournalKey, type SignArtifactsOptions, type SignJournal } from './outputs.js';
import type { Witness } from './outputs-bundle.js';

const testdata = join(import.meta.dirname, 'testdata');
const PUB = readFileSync(join(testdata, 'cosign.pub'), 'utf8');

function makeArtifacts(dir: string, n: number): { artifacts: Artifact[]; data: Map<string, Buffer> } {
  const data = new Map<string, Buffer>();
  const artifacts = Array.from({ length: n }, (_, i) => {
    const bytes = randomBytes(64 + i);
    const name = `bin-${i}.tar.gz`;
    const path = join(dir, name);
    writeFileSync(path, bytes);
    data.set(name, bytes);
    const h = (alg: string) => createHash(alg).update(bytes).digest('hex');
    return { name, kind: 'archive' as const, path, size: bytes.length, sha256: h('sha256'), sha512: h('sha512') };
  });
  return { artifacts, data };
}

/** Counts signDigest calls and records the peak number in flight. */
function counting(signer: Signer) {
  const stats = { calls: 0, inFlight: 0, peak: 0 };
  const wrapped: Signer = {
    ref: signer.ref,
    hashAlgorithm: signer.hashAlgorithm,
    sign: (d) => signer.sign(d),
    publicKeyPem: () => signer.publicKeyPem!(),
    async signDigest(digest, alg) {
      stats.calls++;
      stats.peak = Math.max(stats.peak, ++stats.inFlight);
      await new Promise((r) => setTimeout(r, 2));
      try {
        return await signer.signDigest(digest, alg);
      } finally {
        stats.inFlight--;
      }
    },
  };
  return { signer: wrapped, stats };
}

class TestJournal implements SignJournal {
  items = new Map<string, unknown>();
  isDone(step: string, key: string) {
    return this.items.has(`${step}/${key}`);
  }
  get(step: string, key: string) {
    return this.items.get(`${step}/${key}`);
  }
  async record(step: string, key: string, value: unknown) {
    this.items.set(`${step}/${key}`, value);
  }
}

/** @sigstore/verify used directly: the key-signed bundle checks out against the artifact bytes. */
function sigstoreVerify(bundleJson: unknown, data: Buffer): void {
  const bundle = bundleFromJSON(bundleJson);
  const hint = bundle.verificationMaterial.content.$case === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : '';
  const root = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });
  const rawBytes = createPublicKey(PUB).export({ type: 'spki', format: 'der' });
  const trust = toTrustMaterial(root, { [hint]: { rawBytes, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256 } });
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle, data));
}

test('signs 50 artifacts in parallel into bundles and .sig files that verify', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-outputs-'));
  const work = join(dir, 'work');
  const { artifacts, data } = makeArtifacts(dir, 50);
  const { signer, stats } = counting(await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata }));
  const progress: number[] = [];
  const out = await signArtifacts({ artifacts, signer, outputs: ['bundle', 'sig', 'cert'], workDir: work, concurrency: 6, onProgress: (d) => progress.push(d) });

  assert.equal(stats.calls, 50);
  assert.ok(stats.peak > 1 && stats.peak <= 6, `peak in flight ${stats.peak}`);
  assert.equal(progress.at(-1), 50);
  // Key signer: a bundle and a .sig per artifact, no .cert; input order kept.
  assert.equal(out.length, 100);
  assert.deepEqual(out.slice(0, 2).map((a) => [a.name, a.kind, a.subject]), [
    ['bin-0.tar.gz.sigstore.json', 'bundle', 'bin-0.tar.gz'],
    ['bin-0.tar.gz.sig', 'signature', 'bin-0.tar.gz'],
  ]);
  for (const o of out) {
    const bytes = readFileSync(o.path!);
    assert.equal(o.size, bytes.length);
    assert.equal(o.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(o.sha512, createHash('sha512').update(bytes).digest('hex'));
  }
  // Bundles: v0.3, key hint, verified by @sigstore/verify against the real bytes.
  for (const a of artifacts) {
    const json = JSON.parse(readFileSync(join(work, `${a.name}.sigstore.json`), 'utf8'));
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(json.verificationMaterial.publicKey.hint, publicKeyHint(PUB));
    assert.equal(Buffer.from(json.messageSignature.messageDigest.digest, 'base64').toString('hex'), a.sha256);
    sigstoreVerify(json, data.get(a.name)!);
    assert.throws(() => sigstoreVerify(json, Buffer.concat([data.get(a.name)!, Buffer.from('!')])), /signature verification failed/);
  }
  // .sig: base64 DER, no newline; openssl accepts one of them (independent check).
  const sigText = readFileSync(join(work, 'bin-7.tar.gz.sig'), 'utf8');
  assert.match(sigText, /^[A-Za-z0-9+/]+=*$/);
  writeFileSync(join(dir, 'sig.der'), Buffer.from(sigText, 'base64'));
  writeFileSync(join(dir, 'cosign.pub'), PUB);
  const res = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'cosign.pub'), '-signature', join(dir, 'sig.der'), artifacts[7].path!]);
  assert.match(res.toString(), /Verified OK/);
});

test('journal resume: signed artifacts are not signed again; a lost output is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-resume-'));
  const work = join(dir, 'work');
  const { artifacts } = makeArtifacts(dir, 5);
  const journal = new TestJournal();
  const base = await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata });
  const first = counting(base);
  // First run "crashes" after 3 artifacts: only those are journalled.
  const firstOut = await signArtifacts({ artifacts: artifacts.slice(0, 3), signer: first.signer, outputs: ['sig', 'bundle'], workDir: work, journal });
  assert.equal(first.stats.calls, 3);
  assert.ok(journal.isDone('sign', signJournalKey(artifacts[0])));

  const second = counting(base);
  const secondOut = await signArtifacts({ artifacts, signer: second.signer, outputs: ['sig', 'bundle'], workDir: work, journal });
  assert.equal(second.stats.calls, 2);
  assert.deepEqual(secondOut.slice(0, 6), firstOut); // re-read from the work dir, same records

  rmSync(join(work, 'bin-1.tar.gz.sig'));
  const third = counting(base);
  await signArtifacts({ artifacts, signer: third.signer, outputs: ['sig', 'bundle'], workDir: work, journal });
  assert.equal(third.stats.calls, 1);
  assert.ok(existsSync(join(work, 'bin-1.tar.gz.sig')));

  // Asking for an output the first runs did not make: signed again.
  const fifth = counting(base);
  await signArtifacts({ artifacts: artifacts.slice(0, 2), signer: fifth.signer, outputs: ['sig', 'bundle', 'cert'], workDir: work, journal });
  assert.equal(fifth.stats.calls, 2);
  // Asking for fewer: nothing to sign, only the asked-for outputs come back.
  const sixth = counting(base);
  const fewer = await signArtifacts({ artifacts: artifacts.slice(0, 2), signer: sixth.signer, outputs: ['sig'], workDir: work, journal });
  assert.equal(sixth.stats.calls, 0);
  assert.deepEqual(fewer.map((a) => a.kind), ['signature', 'signature']);

  // Outputs named otherwise since (signing.naming / names changed): signed again under the new names.
  const seventh = counting(base);
  const renamed = await signArtifacts({ artifacts: artifacts.slice(0, 2), signer: seventh.signer, outputs: ['sig'], names: { bundle: '{file}.sigstore.json', sig: '{file}.signature', cert: '{file}.pem' }, workDir: work, journal });
  assert.equal(seventh.stats.calls, 2);
  assert.deepEqual(renamed.map((a) => a.name), ['bin-0.tar.gz.signature', 'bin-1.tar.gz.signature']);
  assert.ok(existsSync(join(work, 'bin-0.tar.gz.signature')));

  // New bytes under the same name: a different journal key, so it is signed.
  const changed = { ...artifacts[0], sha256: 'ab'.repeat(32) };
  const fourth = counting(base);
  await signArtifacts({ artifacts: [changed], signer: fourth.signer, outputs: ['sig'], workDir: work, journal });
  assert.equal(fourth.stats.calls, 1);
});

test('witness material is merged into the bundle; witnesses get the public key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-witness-'));
  const { artifacts } = makeArtifacts(dir, 1);
  const seen: string[] = [];
  const witness: Witness = {
    async testify(content, publicKey) {
      seen.push(publicKey);
      assert.equal(content.$case, 'messageSignature');
      return { rfc3161Timestamps: [{ signedTimestamp: Buffer.from('ts-token') }] };
    },
  };
  const signer = await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata });
  await signArtifacts({ artifacts, signer, outputs: ['bundle'], witnesses: [witness, witness], workDir: dir });
  const json = JSON.parse(readFileSync(join(dir, `${artifacts[0].name}.sigstore.json`), 'utf8'));
  assert.deepEqual(seen, [PUB, PUB]);
  assert.equal(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 2);
  assert.equal(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp, Buffer.from('ts-token').toString('base64'));
});

test('certificate key material: .cert is base64 of the PEM, bundle carries the DER cert', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-cert-'));
  const { artifacts } = makeArtifacts(dir, 1);
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-key', join(testdata, 'plain.pem'), '-subj', '/CN=orel-test', '-days', '1', '-out', certFile]);
  const certificate = readFileSync(certFile, 'utf8');
  const keySigner = await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata });
  const keyless: Signer = {
    ref: 'keyless:test',
    hashAlgorithm: 'sha256',
    async signDigest(d, alg) {
      return { signature: (await keySigner.signDigest(d, alg)).signature, key: { $case: 'x509Certificate', certificate } };
    },
    sign: () => Promise.reject(new Error('unused')),
  };
  const out = await signArtifacts({ artifacts, signer: keyless, outputs: ['sig', 'cert', 'bundle'], workDir: dir });
  assert.deepEqual(out.map((a) => a.kind), ['signature', 'certificate', 'bundle']);
  const certText = readFileSync(join(dir, `${artifacts[0].name}.cert`), 'utf8');
  assert.equal(Buffer.from(certText, 'base64').toString(), certificate);
  assert.ok(!certText.endsWith('\n'));
  const json = JSON.parse(readFileSync(join(dir, `${artifacts[0].name}.sigstore.json`), 'utf8'));
  const der = execFileSync('openssl', ['x509', '-in', certFile, '-outform', 'DER']);
  assert.equal(json.verificationMaterial.certificate.rawBytes, der.toString('base64'));
});

/** A self-signed certificate for plain.pem's key, told apart by its subject. */
function certificateFor(dir: string, cn: string): string {
  const file = join(dir, `${cn}.pem`);
  execFileSync('openssl', ['req', '-x509', '-key', join(testdata, 'plain.pem'), '-subj', `/CN=${cn}`, '-days', '1', '-out', file]);
  return readFileSync(file, 'utf8');
}

/** A certificate signer (as keyless is): its certificate, and after `renewAfter` signatures another one. */
async function certSigner(certificate: string, renewed?: { after: number; certificate: string }) {
  const keySigner = await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata });
  const stats = { calls: 0, certificateRequests: 0 };
  const signer: Signer = {
    ref: 'keyless:test',
    hashAlgorithm: 'sha256',
    async certificatePem() {
      stats.certificateRequests++;
      return certificate;
    },
    async signDigest(d, alg) {
      const current = renewed && stats.calls >= renewed.after ? renewed.certificate : certificate;
      stats.calls++;
      return { signature: (await keySigner.signDigest(d, alg)).signature, key: { $case: 'x509Certificate', certificate: current } };
    },
    sign: () => Promise.reject(new Error('unused')),
  };
  return { signer, stats };
}

test("a shared certificate (Spin's crt.pem) is written once; a re-run keeps the certificate every file was signed under, or signs all again under one; a renewal mid-run is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-shared-cert-'));
  const { artifacts } = makeArtifacts(dir, 4);
  const [a, b, c] = ['run-a', 'run-b', 'run-c'].map((cn) => certificateFor(dir, cn));
  const work = join(dir, 'work');
  const journal = new TestJournal();
  const opts = (signer: Signer, list = artifacts): SignArtifactsOptions => ({ artifacts: list, signer, outputs: ['sig', 'cert'], names: { ...KUBERNETES_OUTPUT_NAMES, cert: 'crt.pem' }, workDir: work, journal, concurrency: 2 });
  const crt = () => Buffer.from(readFileSync(join(work, 'crt.pem'), 'utf8'), 'base64').toString();

  // Killed half-way through signing: two files signed under certificate A.
  const first = await signArtifacts(opts((await certSigner(a)).signer, artifacts.slice(0, 2)));
  assert.deepEqual(first.map((x) => [x.name, x.subject]), [['bin-0.tar.gz.sig', 'bin-0.tar.gz'], ['bin-1.tar.gz.sig', 'bin-1.tar.gz'], ['crt.pem', undefined]]);
  assert.equal(crt(), a);
  assert.equal(existsSync(join(work, 'bin-0.tar.gz.cert')), false, 'no per-file certificate');

  // The re-run's signer has certificate B: A cannot vouch for the new signatures, so every file is signed under B.
  const second = await certSigner(b);
  const out = await signArtifacts(opts(second.signer));
  assert.equal(second.stats.calls, 4);
  assert.equal(crt(), b);
  assert.deepEqual(out.map((x) => x.name), [...artifacts.map((x) => `${x.name}.sig`), 'crt.pem']);

  // Killed after signing (while publishing): the next run keeps B, what was published stays valid; its own certificate is never asked for.
  const third = await certSigner(c);
  await signArtifacts(opts(third.signer));
  assert.deepEqual(third.stats, { calls: 0, certificateRequests: 0 });
  assert.equal(crt(), b);

  // The signer renews its certificate mid-run: refused, naming the file and the shared certificate.
  const renewing = await certSigner(a, { after: 1, certificate: c });
  await assert.rejects(
    signArtifacts({ ...opts(renewing.signer), journal: new TestJournal(), workDir: join(dir, 'renewed'), concurrency: 1 }),
    (e: Error & { code?: string }) => e.code === 'SIGN_FAILED' && /bin-1\.tar\.gz was signed under another certificate than the shared crt\.pem holds/.test(e.message),
  );
});

test('a bad recorded digest is SIGN_FAILED naming the artifact', async () => {
  const signer = await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata });
  const bad = { name: 'x.bin', kind: 'binary' as const, size: 1, sha256: 'zz', sha512: '' };
  await assert.rejects(signArtifacts({ artifacts: [bad], signer, outputs: ['sig'], workDir: tmpdir() }), (e: any) => e.code === 'SIGN_FAILED' && /x\.bin/.test(e.message));
});

test('a crash between logging and the journal record re-logs the same signature (Rekor answers 409), never a second one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orel-outputs-'));
  try {
    const { artifacts } = makeArtifacts(dir, 3);
    const { signer, stats } = counting(await createKeyFileSigner({ key: 'plain.pem' }, { baseDir: testdata }));
    // A log that keeps one entry per distinct signature, as Rekor does (a second upload of it is a 409).
    const logged = new Map<string, number>();
    let failAfterLogging = true;
    const log: Witness = {
      async testify(content) {
        const sig = Buffer.from(content.$case === 'messageSignature' ? content.messageSignature.signature : Buffer.alloc(0)).toString('base64');
        logged.set(sig, (logged.get(sig) ?? 0) + 1);
        // The TSA (or the process) dies after Rekor answered.
        if (failAfterLogging) throw new Error('TSA unavailable');
        return { tlogEntries: [] };
      },
    };
    const journal = new TestJournal();
    const opts = { artifacts, signer, outputs: ['bundle' as const], witnesses: [log], workDir: join(dir, 'out'), journal };
    await assert.rejects(signArtifacts(opts));
    const firstRun = new Set(logged.keys());
    assert.equal(firstRun.size, 3);
    failAfterLogging = false;
    await signArtifacts(opts);
    assert.deepEqual(new Set(logged.keys()), firstRun, 'the re-run logged the very same signatures');
    assert.equal(stats.calls, 3, 'nothing was signed twice');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
