import { outputNames } from '@orel/plan';
import { OrelError, isBuildOutput, mapLimit, outputName, type Artifact, type Publisher } from '@orel/core';
import type { Step } from '@orel/pipeline';
import { StreamedSignatures, checkChecksumFile, identityCheck, verifyBlob, verifyBundle, verifyDigests, verifySigFile } from '@orel/verify';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { leafCertificate } from '@orel/oci';
import { bundleFromJSON } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import type { ReleaseContext } from '../context.js';
import { keyFor, publishable, publisherFor, reportEntry, stageTargetNames } from '../helpers.js';
import { readAll, withReadRetry } from '../read.js';
import { noTargets } from './publish.js';
import { provenanceProblems, statementOf } from '../provenance.js';
import { provenanceSubjects } from './provenance.js';
import { sbomAttestationProblems } from '../sbom-attestation.js';
import { publishedSbomBinding, sbomAttestationName, sbomAttestations } from './attest-sboms.js';
import { imageRecords, releasedImage } from './images.js';

const SMALL_KINDS = new Set(['signature', 'certificate', 'bundle', 'checksum', 'public-key', 'notes', 'attestation']);

/** Reads a small published file whole and checks its size and sha256 against the record. */
export async function fetchChecked(p: Pick<Publisher, 'read' | 'location'>, key: string, a: Artifact): Promise<Buffer> {
  const buf = await withReadRetry(() => p.read(key), (s) => readAll(s));
  const sha256 = createHash('sha256').update(buf).digest('hex');
  if (buf.length !== a.size || sha256 !== a.sha256) {
    throw new OrelError('INTEGRITY', `${a.name} (${p.location(key)}): published bytes differ from the record (sha256 ${sha256})`);
  }
  return buf;
}

/** The plan's policy; a plan that logs key-signed entries also requires them. */
function verificationPolicy(ctx: ReleaseContext) {
  const v = ctx.rp.plan.verification ?? {};
  return { ...v, requireTlog: v.requireTlog ?? ctx.rp.plan.signing?.transparencyLog };
}

/** Checks one signature-ish artifact's content against its subject (with OpenSSL's verdict over the subject's bytes when it has one). */
async function checkSignature(ctx: ReleaseContext, a: Artifact, content: Buffer, fetch: (name: string) => Promise<Buffer>, streamed: StreamedSignatures): Promise<void> {
  const subject = a.subject ? ctx.artifacts.get(a.subject) : undefined;
  if (!subject) throw new OrelError('VERIFY_FAILED', `${a.name}: its subject ${a.subject ?? '(none)'} is not part of the release`);
  const policy = verificationPolicy(ctx);
  if (a.kind === 'bundle') {
    await verifyBundle({
      name: subject.name,
      bundleJson: JSON.parse(content.toString('utf8')),
      digest: Buffer.from(subject.sha256, 'hex'),
      signatureVerdict: (key, sig) => streamed.verdict(subject.name, key, sig),
      publicKeyPem: ctx.trust.publicKeyPem,
      trustedRoot: ctx.trust.trustedRoot,
      policy,
      // Keyless bundles only: the plan's identity policy (missing policy = POLICY error).
      checkIdentity: (id, c) => identityCheck(policy, { issuerOptional: c.ca })(id, c),
    });
  } else if (a.kind === 'signature' && ctx.trust.publicKeyPem) {
    const verdict = streamed.verdict(subject.name, releaseKey(ctx)!, sigBytes(content));
    if (verdict !== true) verifySigFile({ name: subject.name, sigBase64: content.toString('utf8'), sha256: subject.sha256, publicKeyPem: ctx.trust.publicKeyPem });
  } else if (a.kind === 'signature') {
    // A certificate's .sig: checked with its certificate (beside it, or the run's shared one).
    const names = outputNames(ctx.rp.plan.signing);
    const cert = await fetch(outputName(names, 'cert', subject.name));
    const bundleName = outputName(names, 'bundle', subject.name);
    const bundle = ctx.artifacts.get(bundleName) ? await fetch(bundleName) : undefined;
    await verifySigCertPair(ctx, subject, content, cert, bundle);
  }
}

/** A `.sig` file's signature bytes (base64 text, as cosign writes it). */
const sigBytes = (content: Buffer): Buffer => Buffer.from(content.toString('utf8').trim(), 'base64');

const releaseKeys = new WeakMap<ReleaseContext, KeyObject>();
/** The release's public key (key-signed releases), parsed once. */
function releaseKey(ctx: ReleaseContext): KeyObject | undefined {
  if (!ctx.trust.publicKeyPem) return undefined;
  let key = releaseKeys.get(ctx);
  if (!key) releaseKeys.set(ctx, (key = createPublicKey(ctx.trust.publicKeyPem)));
  return key;
}

/**
 * Registers what a signature-ish artifact signs over its subject's bytes: a
 * bundle's message signature (by its certificate's key, or the release key),
 * a key-signed .sig. Anything unreadable is left to its own check.
 */
function expectSignature(ctx: ReleaseContext, a: Artifact, content: Buffer, streamed: StreamedSignatures): void {
  try {
    if (a.kind === 'signature') {
      const key = releaseKey(ctx);
      if (key) streamed.expect(a.subject!, sigBytes(content), key);
      return;
    }
    const b = bundleFromJSON(JSON.parse(content.toString('utf8')));
    const alg = b.content.$case === 'messageSignature' ? (b.content.messageSignature.messageDigest?.algorithm ?? HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED) : undefined;
    // SHA-256 only (an unspecified algorithm is SHA-256, as the bundle check reads it).
    if (b.content.$case !== 'messageSignature' || (alg !== HashAlgorithm.SHA2_256 && alg !== HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED)) return;
    const leaf = leafCertificate(b);
    const key = leaf ? createPublicKey(leaf) : b.verificationMaterial.content.$case === 'publicKey' ? releaseKey(ctx) : undefined;
    if (key) streamed.expect(a.subject!, b.content.messageSignature.signature, key);
  } catch {
    // not a bundle we can read: its own check says why
  }
}

/**
 * A keyless pair is proved by its log entry: the subject's own bundle, when
 * the release holds one with this very signature and certificate (no log
 * search: 2 requests per artifact saved, and it works where the log cannot
 * be searched, Rekor v2), else a search of the signer's Rekor.
 */
async function verifySigCertPair(ctx: ReleaseContext, subject: Artifact, sig: Buffer, cert: Buffer, bundle: Buffer | undefined): Promise<void> {
  await verifyBlob({
    name: subject.name,
    sha256: Buffer.from(subject.sha256, 'hex'),
    signatureText: sig.toString('utf8'),
    certificateText: cert.toString('utf8'),
    pairBundle: bundle ? jsonOrUndefined(bundle) : undefined,
    trustedRoot: ctx.trust.trustedRoot,
    rekorUrl: ctx.trust.rekorUrl,
    policy: verificationPolicy(ctx),
  });
}

/** An attestation's DSSE bundle, verified with the release's signer and policy; returns its statement. */
async function verifiedStatement(ctx: ReleaseContext, a: Artifact, content: Buffer): Promise<unknown> {
  const bundleJson = JSON.parse(content.toString('utf8'));
  const policy = verificationPolicy(ctx);
  await verifyBundle({
    name: a.name,
    bundleJson,
    publicKeyPem: ctx.trust.publicKeyPem,
    trustedRoot: ctx.trust.trustedRoot,
    policy,
    checkIdentity: (id, c) => identityCheck(policy, { issuerOptional: c.ca })(id, c),
  });
  return statementOf(bundleJson, a.name);
}

/**
 * The release's provenance: signed by the release's signer (identity policy,
 * key, log), and covering every released file and image with its digests,
 * from the builder the policy names. Enforced: each problem fails verification.
 */
async function checkProvenance(ctx: ReleaseContext, a: Artifact, content: Buffer): Promise<string[]> {
  const statement = await verifiedStatement(ctx, a, content);
  const released = [
    ...provenanceSubjects(ctx).map((x) => ({ name: x.name, sha256: x.sha256, sha512: x.sha512 })),
    ...imageRecords(ctx).map(releasedImage),
  ];
  return provenanceProblems(statement, released, ctx.rp.plan.verification?.provenance).map((p) => `${a.name}: ${p}`);
}

/**
 * An SBOM attestation: signed like the provenance, its predicate exactly the
 * published SBOM, naming what the plan says the SBOM describes.
 */
async function checkSbomAttestation(ctx: ReleaseContext, a: Artifact, content: Buffer, fetch: (name: string) => Promise<Buffer>): Promise<string[]> {
  const statement = await verifiedStatement(ctx, a, content);
  const sbomName = a.subject!;
  if (!ctx.artifacts.get(sbomName)) return [`${a.name}: its SBOM ${sbomName} is not part of the release`];
  const document = JSON.parse((await fetch(sbomName)).toString('utf8'));
  const bound = publishedSbomBinding(ctx, sbomName);
  if (typeof bound === 'string') return [`${a.name}: ${bound}`];
  const images = imageRecords(ctx);
  const known = new Map<string, string>([...ctx.artifacts.list(isBuildOutput), ...images.map(releasedImage)].map((x) => [x.name, x.sha256]));
  const expected = [
    ...bound.files.map((n) => ctx.artifacts.get(n)!).map((x) => ({ name: x.name, sha256: x.sha256, sha512: x.sha512 })),
    ...images.filter((i) => bound.images.includes(i.name)).map(releasedImage),
  ];
  return sbomAttestationProblems(statement, { sbom: { name: sbomName, document }, expected, known }).map((p) => `${a.name}: ${p}`);
}

/** With SBOM attestations on, every SBOM set member carries one (a shard's get theirs at merge). */
function missingSbomAttestations(ctx: ReleaseContext): string[] {
  if (!ctx.rp.plan.attestations?.sboms || ctx.shard) return [];
  const attested = new Set(sbomAttestations(ctx).map((x) => x.subject!));
  return ctx.artifacts.list((x) => x.kind === 'sbom' && isBuildOutput(x) && !attested.has(x.name)).map((x) => `${x.name}: no SBOM attestation (${sbomAttestationName(x.name)})`);
}

/** A damaged bundle proves nothing (it fails its own check); the pair then stands on the log. */
function jsonOrUndefined(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Checks an aggregate checksum file's entries against the recorded digests. */
function checkAggregate(ctx: ReleaseContext, a: Artifact, content: Buffer): string[] {
  const algorithm = a.algorithm ?? 'sha256';
  const expected = new Map<string, { sha256?: string; sha512?: string }>();
  // Aggregate checksum files cover exactly the build outputs.
  for (const x of ctx.artifacts.list(isBuildOutput)) expected.set(x.name, { sha256: x.sha256, sha512: x.sha512 });
  return checkChecksumFile({ file: a.name, text: content.toString('utf8'), expected, algorithm });
}

/**
 * Post-publish verification of one target, from the target (not the build
 * dir): digests of every file, every checksum file, every signature and
 * bundle. Returns the problems, one per failing artifact. At `orel merge`,
 * what the shards staged was verified by each shard (and is re-hashed by
 * `orel release` before promotion): the merge verifies what it added.
 */
export async function verifyTarget(ctx: ReleaseContext, target: string): Promise<number> {
  const p = ctx.readers?.get(target) ?? publisherFor(ctx, target);
  const items = publishable(ctx).filter((a) => !ctx.run.fromShards?.has(a.name));
  const cache = new Map<string, Buffer>();
  const fetch = async (name: string): Promise<Buffer> => {
    const a = ctx.artifacts.get(name);
    if (!a) throw new OrelError('VERIFY_FAILED', `${name} is not part of the release`);
    if (!cache.has(name)) cache.set(name, await fetchChecked(p, keyFor(ctx, target, a), a));
    return cache.get(name)!;
  };
  const streamed = new StreamedSignatures();
  const isStreamed = (a: Artifact): boolean => !SMALL_KINDS.has(a.kind);
  const subjectOf = (a: Artifact): Artifact | undefined => (a.subject ? ctx.artifacts.get(a.subject) : undefined);
  // First what signs the streamed objects, so OpenSSL checks each signature as its object streams by.
  const signers = items.filter((a) => (a.kind === 'bundle' || a.kind === 'signature') && subjectOf(a) && isStreamed(subjectOf(a)!));
  await mapLimit(signers, 8, async (a) => {
    const content = await fetch(a.name).catch(() => undefined); // a failed read is reported by its own check below
    if (content) expectSignature(ctx, a, content, streamed);
  });
  let n = 0;
  const failed: string[] = [];
  const check = async (a: Artifact): Promise<void> => {
    const entry = reportEntry(ctx, a);
    const problems: string[] = [];
    try {
      if (SMALL_KINDS.has(a.kind)) {
        const content = await fetch(a.name);
        if (a.kind === 'checksum' && !a.subject) problems.push(...checkAggregate(ctx, a, content));
        else if (a.kind === 'signature' || a.kind === 'bundle') await checkSignature(ctx, a, content, fetch, streamed);
        else if (a.kind === 'attestation' && a.subject) problems.push(...(await checkSbomAttestation(ctx, a, content, fetch)));
        else if (a.kind === 'attestation') problems.push(...(await checkProvenance(ctx, a, content)));
      } else {
        const key = keyFor(ctx, target, a);
        await withReadRetry(() => p.read(key), (s) => verifyDigests(`${a.name} (${p.location(key)})`, s, a, streamed.sinks(a.name)));
        streamed.settle(a.name);
      }
    } catch (e) {
      problems.push((e as Error).message);
    }
    entry.verified = problems.length === 0 && entry.verified !== false;
    if (problems.length) {
      entry.problems = [...(entry.problems ?? []), ...problems.map((x) => `${target}: ${x}`)];
      failed.push(...problems.map((x) => `${target}: ${x}`));
    }
    ctx.reporter.progress(`verify ${target}`, ++n, items.length);
  };
  // The objects (each read once), then the small files that refer to them.
  await mapLimit(items.filter(isStreamed), 8, check);
  await mapLimit(items.filter((a) => !isStreamed(a)), 8, check);
  failed.push(...missingSbomAttestations(ctx).map((x) => `${target}: ${x}`));
  for (const s of (await p.strays?.()) ?? []) failed.push(`${target}: ${s} is not part of the release (a leftover of an unfinished write)`);
  if (failed.length) {
    ctx.report.verified = false;
    const root = ctx.trust.trustedRootSource ? `; trusted root: ${ctx.trust.trustedRootSource}` : '';
    throw new OrelError('VERIFY_FAILED', `${failed.length} problem(s) verifying target ${target} (${p.url})${root}`, { details: failed.sort() });
  }
  ctx.run.verifiedTargets.add(target);
  return items.length;
}

/** Verifies what the stage published, as an end user would fetch it. */
export const verifyStep: Step<ReleaseContext> = {
  name: 'verify',
  skip: noTargets,
  async run(ctx) {
    let total = 0;
    for (const t of stageTargetNames(ctx)) total += await verifyTarget(ctx, t);
    ctx.report.verified = ctx.report.artifacts.every((a) => a.verified !== false);
    return `${total} files verified`;
  },
};
