// Sigstore bundle verification with @sigstore/verify.
//
// Key-signed bundles are checked against a public key (trusted under the
// bundle's hint); keyless bundles need a trusted root AND an identity check,
// which a keyless helper supplies through `checkIdentity` — without both a
// keyless bundle fails (VERIFY_FAILED / POLICY), it is never accepted silently.
import { createHash, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { HashAlgorithm as ProtoHash, type TrustedRoot } from '@sigstore/protobuf-specs';
import {
  PolicyError,
  VerificationError,
  Verifier,
  toSignedEntity,
  type SignedEntity,
  // @sigstore/verify's policy type is the certificate identity shape (SAN, issuer, OIDs).
  type VerificationPolicy as CertificateIdentity,
} from '@sigstore/verify';
import { OrelError } from '@orel/core';
import type { VerificationPolicy } from '@orel/plan';
import { verifyDigestSignature, type DigestAlgorithm } from './signature.js';
import { isCaOnlyRoot, keyTrustMaterial, parseTrustedRoot, rootTrustMaterial, rootVerifier } from './trust.js';
import { withPaeDigest } from './dsse-rekor2.js';
import { withSignature } from './signed-entity.js';

export type { CertificateIdentity };

/** Keyless (ca: a certificate from a corporate CA, which names no OIDC issuer) extension point: throws OrelError('POLICY') when the certificate identity does not satisfy the policy. */
export type IdentityCheck = (identity: CertificateIdentity, ctx: { name: string; policy?: VerificationPolicy; ca?: boolean }) => void;

export interface VerifyBundleOptions {
  /** Artifact name, for messages. */
  name: string;
  /** The parsed `<name>.sigstore.json`. */
  bundleJson: unknown;
  /** SHA-256 of the artifact (message signatures are then checked without the bytes). */
  digest?: Buffer;
  /** The artifact bytes (small artifacts, DSSE payload checks). */
  data?: Buffer;
  /** Key-signed bundles: the PEM public key (cosign.pub). */
  publicKeyPem?: string;
  /** Parsed trusted_root.json (or a TrustedRoot): needed for keyless bundles and for tlog/TSA checks. */
  trustedRoot?: unknown;
  policy?: VerificationPolicy;
  checkIdentity?: IdentityCheck;
  /** Keyless: an RFC 3161 timestamp may stand in for the log entry (a .sig + .cert pair given --rfc3161-timestamp). */
  timestampSuffices?: boolean;
  /** With `digest`: a verdict OpenSSL already reached over the artifact's bytes (StreamedSignatures); undefined: check over the digest. */
  signatureVerdict?: (key: KeyObject, signature: Buffer) => boolean | undefined;
}

export interface BundleVerification {
  signer: 'key' | 'certificate';
  identity?: CertificateIdentity;
  /** Transparency-log entries and timestamps that were verified (0 when none could be, without a root). */
  tlogEntries: number;
  timestamps: number;
}

const DIGEST_ALGS: Partial<Record<ProtoHash, DigestAlgorithm>> = {
  [ProtoHash.HASH_ALGORITHM_UNSPECIFIED]: 'sha256',
  [ProtoHash.SHA2_256]: 'sha256',
  [ProtoHash.SHA2_384]: 'sha384',
  [ProtoHash.SHA2_512]: 'sha512',
};

const fail = (name: string, msg: string, hint?: string): OrelError => new OrelError('VERIFY_FAILED', `${name}: ${msg}`, { hint });

export async function verifyBundle(opts: VerifyBundleOptions): Promise<BundleVerification> {
  const { name, policy } = opts;
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(opts.bundleJson);
  } catch (e) {
    throw fail(name, `not a valid Sigstore bundle: ${(e as Error).message}`);
  }
  const root = opts.trustedRoot === undefined ? undefined : parseTrustedRoot(opts.trustedRoot, `${name}: trusted root`);
  let entity = signedEntity(bundle, opts);
  const keyContent = bundle.verificationMaterial.content;

  const ca = isCaOnlyRoot(opts.trustedRoot);
  let verify: (entity: SignedEntity) => ReturnType<Verifier['verify']>;
  if (keyContent.$case === 'publicKey') {
    if (!opts.publicKeyPem) throw fail(name, 'the bundle is key-signed; a public key is needed to verify it', 'pass the release public key (cosign.pub)');
    if (policy?.requireTlog && !root) throw fail(name, 'a transparency-log entry is required but no trusted root was given to check it');
    const trust = keyTrustMaterial(opts.publicKeyPem, keyContent.publicKey.hint, root);
    // Without a root, log entries and timestamps cannot be checked; they are not relied on either.
    if (!root) entity = { ...entity, tlogEntries: [], timestamps: [] };
    const verifier = new Verifier(trust, { tlogThreshold: policy?.requireTlog ? 1 : 0, ctlogThreshold: 0, timestampThreshold: 0 });
    verify = (e) => verifier.verify(e);
  } else {
    if (!root) throw fail(name, 'the bundle is keyless (certificate); a trusted root is needed to verify it', 'set verification.trustedRoot');
    if (!opts.checkIdentity) {
      throw new OrelError('POLICY', `${name}: the bundle is keyless and no identity policy check is configured`, {
        hint: 'set verification.identity (or identityRegexp) and verification.issuer',
      });
    }
    if (ca) {
      // A corporate CA's root has no log to check entries against: the chain is checked now.
      if (policy?.requireTlog) throw fail(name, 'a transparency-log entry is required, but the trusted root is a CA chain with no log to check it against');
      verify = rootVerifier(opts.trustedRoot).verify;
    } else {
      const tlogThreshold = opts.timestampSuffices && !policy?.requireTlog ? 0 : 1;
      const verifier = new Verifier(rootTrustMaterial(root), { tlogThreshold, ctlogThreshold: 1, timestampThreshold: 1 });
      verify = (e) => verifier.verify(e);
    }
  }

  let signer;
  try {
    signer = verify(entity);
  } catch (e) {
    if (e instanceof PolicyError) throw new OrelError('POLICY', `${name}: ${e.message}`, { cause: e });
    if (e instanceof VerificationError) throw new OrelError('VERIFY_FAILED', `${name}: ${e.message} (${e.code})`, { cause: e });
    throw fail(name, `bundle verification failed: ${(e as Error).message ?? e}`);
  }
  if (keyContent.$case !== 'publicKey') opts.checkIdentity!(signer.identity ?? {}, { name, policy, ca });
  return {
    signer: keyContent.$case === 'publicKey' ? 'key' : 'certificate',
    identity: signer.identity,
    tlogEntries: entity.tlogEntries.length,
    timestamps: entity.timestamps.length,
  };
}

/**
 * The entity @sigstore/verify checks, bound to the artifact: the bundle's
 * message digest must equal the artifact's, and with only a digest at hand
 * the signature is verified over that digest (no bytes re-read).
 */
function signedEntity(bundle: Bundle, opts: VerifyBundleOptions): SignedEntity {
  const { name, data, digest } = opts;
  if (bundle.content.$case !== 'messageSignature') return withPaeDigest(toSignedEntity(bundle, data), bundle.content.dsseEnvelope);

  const md = bundle.content.messageSignature.messageDigest;
  const alg = md ? DIGEST_ALGS[md.algorithm] : undefined;
  if (!md || !alg) throw fail(name, 'the bundle has no usable message digest');
  if (data) {
    const actual = createHash(alg).update(data).digest();
    if (!actual.equals(md.digest)) throw fail(name, `the bundle was made for other bytes (its ${alg} differs from the artifact's)`);
  }
  if (digest) {
    if (alg !== 'sha256') throw fail(name, `the bundle signs a ${alg} digest; only the artifact's sha256 is at hand`);
    if (!digest.equals(md.digest)) throw fail(name, `the bundle was made for other bytes (its sha256 ${md.digest.toString('hex')} is not the artifact's ${digest.toString('hex')})`);
  }
  if (!data && !digest) throw fail(name, 'the artifact digest or bytes are needed to verify a message signature');

  const entity = toSignedEntity(bundle, data);
  if (data) return entity;
  // Only the digest is at hand: check the signature over it, not over bytes.
  const sig = entity.signature.signature;
  return withSignature(entity, { verifySignature: (key) => opts.signatureVerdict?.(key, sig) ?? verifyDigestSignature(key, digest!, sig, alg) });
}

export type { TrustedRoot };
