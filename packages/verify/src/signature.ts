// Signatures over a digest: `<file>.sig` (base64 DER) checked against the
// recorded SHA-256 without re-reading the artifact. Node's crypto.verify
// always hashes its input, so ECDSA goes through @noble/curves (prehash off)
// and RSA PKCS#1 v1.5 through publicDecrypt + the DigestInfo comparison.
import { constants, createPublicKey, publicDecrypt, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { OrelError } from '@orel/core';

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

const EC_CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

// DER DigestInfo prefixes (RFC 8017 §9.2 note 1).
const DIGEST_INFO: Record<DigestAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** True when `signature` is a valid signature by `key` over the message whose hash is `digest`. */
export function verifyDigestSignature(key: KeyObject | string, digest: Buffer, signature: Buffer, algorithm: DigestAlgorithm = 'sha256'): boolean {
  const pub = typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType === 'ec') {
    const { curve, point } = ecPoint(pub);
    try {
      // lowS off: other signers (openssl, KMS, HSMs) legitimately produce high-S signatures.
      return curve.verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
    } catch {
      return false; // malformed DER
    }
  }
  if (pub.asymmetricKeyType === 'rsa') {
    try {
      const info = publicDecrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, signature);
      return info.equals(Buffer.concat([Buffer.from(DIGEST_INFO[algorithm], 'hex'), digest]));
    } catch {
      return false;
    }
  }
  throw new OrelError('VERIFY_FAILED', `cannot verify a prehashed signature with a ${pub.asymmetricKeyType} key`);
}

/** The curve and uncompressed point of an EC key, worked out once per key object. */
function ecPoint(pub: KeyObject): { curve: (typeof EC_CURVES)[keyof typeof EC_CURVES]; point: Buffer } {
  let found = ecPoints.get(pub);
  if (!found) {
    const jwk = pub.export({ format: 'jwk' });
    const curve = EC_CURVES[jwk.crv as keyof typeof EC_CURVES];
    if (!curve) throw new OrelError('VERIFY_FAILED', `unsupported EC curve ${jwk.crv}`);
    found = { curve, point: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]) };
    ecPoints.set(pub, found);
  }
  return found;
}

const ecPoints = new WeakMap<KeyObject, { curve: (typeof EC_CURVES)[keyof typeof EC_CURVES]; point: Buffer }>();

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Checks a `<name>.sig` (base64 DER, as cosign writes it) against the artifact's sha256. */
export function verifySigFile(opts: { name: string; sigBase64: string; sha256: Buffer | string; publicKeyPem: string }): void {
  const text = opts.sigBase64.trim();
  if (!BASE64.test(text)) {
    throw new OrelError('VERIFY_FAILED', `${opts.name}.sig: not a base64 signature`, { hint: 'the .sig file should hold base64 of a DER signature' });
  }
  const digest = typeof opts.sha256 === 'string' ? Buffer.from(opts.sha256, 'hex') : opts.sha256;
  if (digest.length !== 32) throw new OrelError('VERIFY_FAILED', `${opts.name}: recorded sha256 is not 32 bytes`);
  let key: KeyObject;
  try {
    key = createPublicKey(opts.publicKeyPem);
  } catch (e) {
    throw new OrelError('VERIFY_FAILED', `${opts.name}: cannot parse the public key: ${(e as Error).message}`, { cause: e });
  }
  if (!verifyDigestSignature(key, digest, Buffer.from(text, 'base64'))) {
    throw new OrelError('VERIFY_FAILED', `${opts.name}: signature in ${opts.name}.sig does not verify with the public key`, {
      hint: 'the artifact, its .sig or the public key (cosign.pub) is not the one that was signed',
    });
  }
}
