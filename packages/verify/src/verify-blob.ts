// End-user verification of one downloaded file, as `cosign verify-blob`
// does it: a Sigstore bundle, a legacy .sig + .cert pair (Kubernetes layout),
// or a .sig and a public key. Used by `orel verify-blob`, the conformance
// entrypoint and post-publish verification.
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isLegacyCosignBundle, legacyToSigstoreBundle } from './cosign-legacy.js';
import { findRekorEntry, logsPair, parseRekorBundle, type RekorEvidence } from './rekor-lookup.js';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { pem as pemUtil, X509Certificate } from '@sigstore/core';
import { PolicyError, VerificationError, Verifier, type SignedEntity } from '@sigstore/verify';
import { OrelError } from '@orel/core';
import type { VerificationPolicy } from '@orel/plan';
import { verifyBundle, type CertificateIdentity } from './bundle.js';
import { identityCheck } from './policy.js';
import { verifyDigestSignature, verifySigFile } from './signature.js';
import { observedAt } from './signed-entity.js';
import { isCaOnlyRoot, parseTrustedRoot, rootTrustMaterial } from './trust.js';

export interface VerifyBlobOptions {
  /** Artifact name for messages (default: the file path or the digest). */
  name?: string;
  /** The artifact file (hashed while streaming, never read whole)... */
  file?: string;
  /** ...or its SHA-256 (hex, or "sha256:<hex>"). */
  sha256?: Buffer | string;
  /** Sigstore bundle: a path, or the parsed JSON in bundleJson. */
  bundle?: string;
  bundleJson?: unknown;
  /** Legacy layout: <file>.sig (base64 DER) and <file>.cert (base64 of the PEM, or PEM). */
  signature?: string;
  certificate?: string;
  /** The same pair as contents (post-publish verification reads them from the target). */
  signatureText?: string;
  certificateText?: string;
  /** PEM public key for key-signed artifacts. */
  publicKeyPem?: string;
  /** Identity policy (keyless: required) and requireTlog. */
  policy?: VerificationPolicy;
  /** Parsed trusted_root.json (see loadTrustedRoot). */
  trustedRoot?: unknown;
  /** A .sig + .cert pair's log evidence: its Rekor entry as a file (`.rekor`, cosign's --rekor-bundle)... */
  rekorBundle?: unknown;
  /** ...or the Rekor to search for it by the artifact's digest (as cosign does). */
  rekorUrl?: string;
  /** ...or an RFC 3161 timestamp over the signature (cosign's --rfc3161-timestamp file: {"SignedRFC3161Timestamp": base64}). */
  rfc3161Timestamp?: unknown;
  /** ...or the artifact's own Sigstore bundle (parsed JSON): when it holds this very signature and certificate, it carries their log entry. */
  pairBundle?: unknown;
  /** An attestation (DSSE bundle) must carry this predicate type: a cosign --type name (slsaprovenance1, spdxjson, cyclonedx...) or a URI. */
  predicateType?: string;
  /** Accept a .sig + .cert pair with no log evidence (cosign's flag; a warning says what was not checked). */
  insecureIgnoreTlog?: boolean;
}

export interface BlobVerification {
  signer: 'key' | 'certificate';
  identity?: { subjectAlternativeName?: string; issuer?: string };
  tlogEntries: number;
  timestamps: number;
  /** The Rekor entry that proved a .sig + .cert pair (uuid when it was looked up). */
  tlogEntry?: { uuid?: string; logIndex: number };
  /** Non-fatal caveats (e.g. no transparency-log evidence for a legacy pair). */
  warnings: string[];
}

const IN_TOTO = 'application/vnd.in-toto+json';
const fail = (name: string, msg: string, hint?: string) => new OrelError('VERIFY_FAILED', `${name}: ${msg}`, { hint });

/** Parses "sha256:<hex>" or "<hex>" into 32 bytes; undefined when it is not one. */
export function parseSha256(value: string): Buffer | undefined {
  const m = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(value.trim());
  return m ? Buffer.from(m[1], 'hex') : undefined;
}

export async function sha256File(file: string): Promise<Buffer> {
  return (await fileDigests(file)).sha256;
}

/** sha256 and sha512 of a file in one streaming pass (attestation subjects may name either). */
export async function fileDigests(file: string): Promise<{ sha256: Buffer; sha512: Buffer }> {
  const h256 = createHash('sha256');
  const h512 = createHash('sha512');
  try {
    for await (const chunk of createReadStream(file)) {
      h256.update(chunk as Buffer);
      h512.update(chunk as Buffer);
    }
  } catch (e) {
    throw new OrelError('USAGE', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  return { sha256: h256.digest(), sha512: h512.digest() };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new OrelError('USAGE', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

const summary = (id?: CertificateIdentity) => (id ? { subjectAlternativeName: id.subjectAlternativeName, issuer: id.extensions?.issuer } : undefined);

export async function verifyBlob(opts: VerifyBlobOptions): Promise<BlobVerification> {
  opts = { ...opts, trustedRoot: opts.trustedRoot === undefined ? undefined : withoutOpenEndedLogs(opts.trustedRoot) };
  const name = opts.name ?? opts.file ?? 'artifact';
  const digests: ArtifactDigests =
    opts.sha256 !== undefined
      ? { sha256: Buffer.isBuffer(opts.sha256) ? opts.sha256 : (parseSha256(opts.sha256) ?? failUsage(`"${opts.sha256}" is not a sha256 digest`)) }
      : opts.file
        ? await fileDigests(opts.file)
        : failUsage('verify-blob needs the artifact file or its sha256');
  const digest = digests.sha256;

  if (opts.bundle !== undefined || opts.bundleJson !== undefined) {
    let json = opts.bundleJson;
    if (json === undefined) {
      const text = await readText(opts.bundle!, 'bundle');
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw fail(name, `bundle ${opts.bundle} is not JSON: ${(e as Error).message}`);
      }
    }
    // cosign's older bundle file says what a v0.1 Sigstore bundle says: read it as one.
    if (isLegacyCosignBundle(json)) json = legacyToSigstoreBundle(json, digests.sha256);
    return verifyBundleForDigest(name, json, digests, opts);
  }
  if ((opts.signature || opts.signatureText) && (opts.certificate || opts.certificateText)) return verifySigCert(name, digest, opts);
  if (opts.signature && opts.publicKeyPem) {
    verifySigFile({ name, sigBase64: (await readText(opts.signature, 'signature')).trim(), sha256: digest, publicKeyPem: opts.publicKeyPem });
    return { signer: 'key', tlogEntries: 0, timestamps: 0, warnings: [] };
  }
  throw new OrelError('USAGE', `${name}: nothing to verify with`, { hint: 'pass --bundle, or --signature with --certificate or --key' });
}

/**
 * A log key whose validity has no start cannot bound when it was trusted;
 * such keys are dropped (trusted for nothing), as the Sigstore clients do.
 */
export function withoutOpenEndedLogs(root: unknown): unknown {
  if (!root || typeof root !== 'object') return root;
  const r = root as Record<string, unknown>;
  const keep = (logs: unknown) => (Array.isArray(logs) ? logs.filter((l) => !!l?.publicKey?.validFor?.start) : logs);
  return { ...r, tlogs: keep(r.tlogs), ctlogs: keep(r.ctlogs) };
}

function failUsage(msg: string): never {
  throw new OrelError('USAGE', msg);
}

/** The artifact's digests at hand: sha256 always, sha512 when the file itself was read. */
export interface ArtifactDigests {
  sha256: Buffer;
  sha512?: Buffer;
}

async function verifyBundleForDigest(name: string, json: unknown, digests: ArtifactDigests, opts: VerifyBlobOptions & { timestampSuffices?: boolean }): Promise<BlobVerification> {
  const digest = digests.sha256;
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    throw fail(name, `not a valid Sigstore bundle: ${(e as Error).message}`);
  }
  const keyless = bundle.verificationMaterial.content.$case !== 'publicKey';
  const checkIdentity = keyless ? identityCheck(opts.policy, { issuerOptional: isCaOnlyRoot(opts.trustedRoot) }) : undefined;
  const isDsse = bundle.content.$case === 'dsseEnvelope';
  const result = await verifyBundle({
    name,
    bundleJson: json,
    digest: isDsse ? undefined : digest,
    publicKeyPem: opts.publicKeyPem,
    trustedRoot: opts.trustedRoot,
    policy: opts.policy,
    checkIdentity,
    timestampSuffices: opts.timestampSuffices,
  });
  if (bundle.content.$case === 'dsseEnvelope') {
    checkStatementSubject(name, bundle.content.dsseEnvelope, digests);
    if (opts.predicateType !== undefined) checkPredicateType(name, bundle.content.dsseEnvelope, opts.predicateType);
  } else if (opts.predicateType !== undefined) {
    throw fail(name, `an attestation of type ${opts.predicateType} was asked for; the bundle holds a plain signature`);
  }
  return { signer: result.signer, identity: summary(result.identity), tlogEntries: result.tlogEntries, timestamps: result.timestamps, warnings: [] };
}

/** cosign's --type names (verify-attestation, verify-blob-attestation), else a predicate type URI. */
export const PREDICATE_TYPES: Record<string, string> = {
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  link: 'https://in-toto.io/Link/v1',
};

function checkPredicateType(name: string, envelope: { payload: Buffer }, wanted: string): void {
  const expected = PREDICATE_TYPES[wanted] ?? wanted;
  const actual = (JSON.parse(envelope.payload.toString('utf8')) as { predicateType?: string }).predicateType;
  if (actual !== expected) throw fail(name, `the attestation's predicate type is ${JSON.stringify(actual)}, not ${expected}${expected !== wanted ? ` (--type ${wanted})` : ''}`);
}

/**
 * DSSE: the envelope signs an in-toto statement; the artifact must be one of
 * its subjects, matched on every algorithm both sides have (npm's provenance
 * and publish attestations name their tarballs by sha512 only).
 */
export function checkStatementSubject(name: string, envelope: { payloadType: string; payload: Buffer }, digests: ArtifactDigests | Buffer): void {
  const have: ArtifactDigests = Buffer.isBuffer(digests) ? { sha256: digests } : digests;
  if (envelope.payloadType !== IN_TOTO) throw fail(name, `the DSSE envelope holds ${envelope.payloadType}, not an in-toto statement naming the artifact`);
  let statement: { subject?: { name?: string; digest?: Record<string, string> }[] };
  try {
    statement = JSON.parse(envelope.payload.toString('utf8'));
  } catch {
    throw fail(name, 'the DSSE payload is not a JSON in-toto statement');
  }
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  const matches = (s: { digest?: Record<string, string> }) => {
    const common = (['sha256', 'sha512'] as const).filter((alg) => typeof s?.digest?.[alg] === 'string' && have[alg] !== undefined);
    // Every algorithm both name must agree, and at least one must be shared.
    return common.length > 0 && common.every((alg) => s.digest![alg].toLowerCase() === have[alg]!.toString('hex'));
  };
  if (!subjects.some(matches)) {
    const only512 = subjects.length > 0 && subjects.every((s) => s?.digest?.sha256 === undefined && s?.digest?.sha512 !== undefined) && !have.sha512;
    throw fail(
      name,
      only512
        ? 'the attestation names its subjects by sha512 only; pass the file itself (not its sha256) so its sha512 can be computed'
        : `sha256 ${have.sha256.toString('hex')} is not a subject of the attestation (subjects: ${subjects.map((s) => s?.name ?? '?').join(', ') || 'none'})`,
    );
  }
}

interface Pair {
  signature: Buffer;
  certPem: string;
  certDer: Buffer;
  cert: X509Certificate;
  notBefore: Date;
}

async function readPair(name: string, opts: VerifyBlobOptions): Promise<Pair> {
  const sigText = (opts.signatureText ?? (await readText(opts.signature!, 'signature'))).trim();
  const certText = (opts.certificateText ?? (await readText(opts.certificate!, 'certificate'))).trim();
  const certPem = certText.startsWith('-----BEGIN') ? certText : Buffer.from(certText, 'base64').toString('utf8');
  try {
    const certDer = pemUtil.toDER(certPem);
    return { signature: Buffer.from(sigText, 'base64'), certPem, certDer, cert: X509Certificate.parse(certDer), notBefore: new Date(new NodeX509(certPem).validFrom) };
  } catch (e) {
    throw fail(name, `certificate ${opts.certificate ?? ''} is not a PEM certificate (nor base64 of one): ${(e as Error).message}`);
  }
}

/**
 * Legacy pair: the certificate must chain to the trusted root's Fulcio CA,
 * carry an SCT, satisfy the identity policy, and the signature must verify
 * over the digest — at a time a transparency log vouches for. That time
 * comes from the pair's Rekor entry (a --rekor-bundle file, or found in the
 * log by the artifact's digest, as cosign does), or from an RFC 3161
 * timestamp; the pair is then checked as the bundle it amounts to. With
 * neither, anyone who later got the ephemeral key could have made the
 * signature: refused, unless insecureIgnoreTlog.
 */
async function verifySigCert(name: string, digest: Buffer, opts: VerifyBlobOptions): Promise<BlobVerification> {
  if (opts.trustedRoot === undefined) throw fail(name, 'a trusted root is needed to verify a certificate', 'pass --trusted-root (default: Sigstore public good)');
  const pair = await readPair(name, opts);
  const { signature, certPem, certDer } = pair;
  // The pair is a part of that bundle: verifying the bundle proves it, with no log search.
  if (opts.pairBundle !== undefined && bundleHolds(opts.pairBundle, pair)) return verifyBundleForDigest(name, opts.pairBundle, { sha256: digest }, opts);
  // A corporate CA's certificate is long-lived and checked now, with no log to prove a signing time.
  if (isCaOnlyRoot(opts.trustedRoot)) return verifyBundleForDigest(name, certificateSignatureBundle(pair, digest), { sha256: digest }, opts);
  let located: RekorEvidence | undefined;
  if (opts.rekorBundle !== undefined) {
    const rekorBundle = parseRekorBundle(opts.rekorBundle, `${name}: the Rekor bundle`);
    if (!logsPair(rekorBundle.Payload.body, digest.toString('hex'), signature, certDer)) throw fail(name, 'the Rekor bundle logs another signature, certificate or artifact');
    located = { logIndex: rekorBundle.Payload.logIndex, uuid: '', rekorBundle };
  } else if (opts.rekorUrl && !opts.insecureIgnoreTlog) {
    located = await findRekorEntry({ rekorUrl: opts.rekorUrl, sha256: digest, signature, certDer });
  }
  if (located) {
    const bundle = legacyToSigstoreBundle({ base64Signature: signature.toString('base64'), cert: Buffer.from(certPem).toString('base64'), rekorBundle: located.rekorBundle }, digest);
    const res = await verifyBundleForDigest(name, bundle, { sha256: digest }, opts);
    return { ...res, tlogEntry: { uuid: located.uuid || undefined, logIndex: located.logIndex } };
  }
  if (opts.rfc3161Timestamp !== undefined) {
    const signedTimestamp = (opts.rfc3161Timestamp as { SignedRFC3161Timestamp?: unknown })?.SignedRFC3161Timestamp;
    if (typeof signedTimestamp !== 'string') throw new OrelError('USAGE', `${name}: the RFC 3161 timestamp file is not cosign's {"SignedRFC3161Timestamp": "<base64>"}`);
    return verifyBundleForDigest(name, certificateSignatureBundle(pair, digest, [{ signedTimestamp }]), { sha256: digest }, { ...opts, timestampSuffices: true });
  }
  if (!opts.insecureIgnoreTlog || opts.policy?.requireTlog) {
    throw fail(
      name,
      `no transparency-log entry ${opts.rekorUrl ? `in ${opts.rekorUrl} ` : ''}logs this signature with this certificate, so nothing shows it was made while the short-lived certificate was valid`,
      opts.rekorUrl
        ? 'verify the Sigstore bundle (<file>.sigstore.json) if the release has one, or pass --rekor-url for the log it was signed against'
        : 'pass --rekor-url (or the entry as --rekor-bundle, or an --rfc3161-timestamp), or verify the Sigstore bundle (<file>.sigstore.json); --insecure-ignore-tlog skips this check',
    );
  }
  return verifyPairUnlogged(name, digest, pair, opts);
}

/**
 * The v0.3 bundle (JSON) a detached signature and certificate amount to (a
 * .sig + .cert pair, a cosign `.sig` image layer), with the RFC 3161
 * timestamps that vouch for it, if any; no log entry.
 */
export function certificateSignatureBundle({ signature, certDer }: { signature: Buffer; certDer: Buffer }, digest: Buffer, rfc3161Timestamps: { signedTimestamp: string }[] = []): unknown {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { certificate: { rawBytes: certDer.toString('base64') }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps } },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: digest.toString('base64') }, signature: signature.toString('base64') },
  };
}

/** Whether a bundle's message signature and leaf certificate are the pair's own bytes. */
function bundleHolds(json: unknown, pair: Pair): boolean {
  const b = json as { verificationMaterial?: { certificate?: { rawBytes?: string }; x509CertificateChain?: { certificates?: { rawBytes?: string }[] } }; messageSignature?: { signature?: string } };
  const leaf = b?.verificationMaterial?.certificate?.rawBytes ?? b?.verificationMaterial?.x509CertificateChain?.certificates?.[0]?.rawBytes;
  const signature = b?.messageSignature?.signature;
  return typeof leaf === 'string' && typeof signature === 'string' && Buffer.from(leaf, 'base64').equals(pair.certDer) && Buffer.from(signature, 'base64').equals(pair.signature);
}

/** --insecure-ignore-tlog: chain, SCT, identity and signature, checked at the certificate's issuance, with a warning. */
function verifyPairUnlogged(name: string, digest: Buffer, { signature, cert, notBefore }: Pair, opts: VerifyBlobOptions): BlobVerification {
  const root = parseTrustedRoot(opts.trustedRoot, `${name}: trusted root`);
  const entity: SignedEntity = {
    signature: {
      signature,
      compareSignature: (s) => s.equals(signature),
      compareDigest: (d) => d.equals(digest),
      verifySignature: (key) => verifyDigestSignature(key, digest, signature, 'sha256'),
    },
    key: { $case: 'certificate', certificate: cert },
    // The issuance time stands in for the unknown signing time.
    timestamps: [observedAt(notBefore)],
    tlogEntries: [],
  };
  let signer;
  try {
    signer = new Verifier(rootTrustMaterial(root), { tlogThreshold: 0, ctlogThreshold: 1, timestampThreshold: 1 }).verify(entity);
  } catch (e) {
    if (e instanceof PolicyError) throw new OrelError('POLICY', `${name}: ${e.message}`, { cause: e });
    if (e instanceof VerificationError) throw new OrelError('VERIFY_FAILED', `${name}: ${e.message} (${e.code})`, { cause: e });
    throw fail(name, `signature verification failed: ${(e as Error).message ?? e}`);
  }
  identityCheck(opts.policy)(signer.identity ?? {}, { name, policy: opts.policy });
  return {
    signer: 'certificate',
    identity: summary(signer.identity),
    tlogEntries: 0,
    timestamps: 0,
    warnings: [`${name}: --insecure-ignore-tlog: no transparency-log entry was checked; anyone holding the certificate's key could have made this signature at any time (the certificate was checked at its issuance, ${notBefore.toISOString()})`],
  };
}
