// EC key material as PKCS#11 hands it out: CKA_EC_PARAMS (a DER OID),
// CKA_EC_POINT (a DER OCTET STRING around the uncompressed point; some
// modules give the raw point), and CKM_ECDSA signatures as raw r||s.
import { createPublicKey } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { OrelError, type HashAlgorithm } from '@orel/core';

export interface EcCurve {
  name: 'P-256' | 'P-384';
  /** Bytes of one coordinate (and of r and s). */
  size: number;
  hash: HashAlgorithm;
}

const CURVES: Record<string, EcCurve> = {
  '06082a8648ce3d030107': { name: 'P-256', size: 32, hash: 'sha256' },
  '06052b81040022': { name: 'P-384', size: 48, hash: 'sha384' },
};

/** The curve of CKA_EC_PARAMS; other curves (and explicit parameters) are refused naming the key. */
export function curveOfEcParams(ecParams: Buffer, key: string): EcCurve {
  const curve = CURVES[ecParams.toString('hex')];
  if (!curve) {
    throw new OrelError('KEY_INVALID', `PKCS#11 key ${key}: unsupported EC curve (CKA_EC_PARAMS ${ecParams.toString('hex')})`, {
      hint: 'use an EC P-256 (or P-384) key',
    });
  }
  return curve;
}

/** PEM SPKI of an EC public key from CKA_EC_POINT. */
export function ecPointToPem(ecPoint: Buffer, curve: EcCurve, key: string): string {
  const rawLen = 2 * curve.size + 1;
  // DER OCTET STRING: tag 0x04, short-form length (the point is < 128 bytes), then the point.
  const point = ecPoint.length === rawLen ? ecPoint : ecPoint[0] === 0x04 && ecPoint[1] === rawLen && ecPoint.length === rawLen + 2 ? ecPoint.subarray(2) : undefined;
  if (!point || point[0] !== 0x04) {
    throw new OrelError('KEY_INVALID', `PKCS#11 key ${key}: CKA_EC_POINT is not an uncompressed ${curve.name} point`);
  }
  const b64 = (b: Buffer): string => b.toString('base64url');
  const jwk = { kty: 'EC', crv: curve.name, x: b64(point.subarray(1, 1 + curve.size)), y: b64(point.subarray(1 + curve.size)) };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
}

/** ASN.1 DER ECDSA signature from CKM_ECDSA's raw r||s. */
export function rawEcdsaToDer(raw: Uint8Array, curve: EcCurve): Buffer {
  if (raw.length !== 2 * curve.size) {
    throw new OrelError('SIGN_FAILED', `CKM_ECDSA returned ${raw.length} bytes; a ${curve.name} r||s signature has ${2 * curve.size}`);
  }
  const impl = curve.name === 'P-256' ? p256 : p384;
  return Buffer.from(impl.Signature.fromBytes(raw, 'compact').toBytes('der'));
}
