// ECDSA over a precomputed digest. Node's crypto always hashes the message
// itself for EC keys, so a blob hashed once while streaming could not be
// signed without reading it again; @noble/curves signs the digest directly
// (prehash: false) and yields the same DER signature as sign('sha256', blob).
import type { KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { OrelError, type HashAlgorithm } from '@orel/core';

const DIGEST_BYTES: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Signs digests with one P-256 private key; the scalar is exported once. */
export class EcdsaDigestSigner {
  private readonly secret: Uint8Array;

  constructor(privateKey: KeyObject) {
    const jwk = privateKey.export({ format: 'jwk' });
    if (jwk.crv !== 'P-256' || !jwk.d) throw new OrelError('KEY_INVALID', `digest signing needs a P-256 private key, got ${jwk.crv ?? jwk.kty}`);
    this.secret = Buffer.from(jwk.d, 'base64url');
  }

  /** DER ECDSA signature over `digest`, which must be the `algorithm` hash of the message. */
  sign(digest: Uint8Array, algorithm: HashAlgorithm): Buffer {
    if (digest.length !== DIGEST_BYTES[algorithm]) {
      throw new OrelError('SIGN_FAILED', `a ${algorithm} digest has ${DIGEST_BYTES[algorithm]} bytes, got ${digest.length}`);
    }
    // RFC 6979 nonces hedged with extra entropy; low-S, which every verifier accepts.
    return Buffer.from(p256.sign(digest, this.secret, { prehash: false, format: 'der', extraEntropy: true, lowS: true }));
  }
}
