// Key generation and signing over a given digest, as Cloud KMS does: the
// client hashes, KMS signs the digest. Node's crypto.sign always hashes, so
// ECDSA goes through @noble/curves (prehash: false), RSA PKCS#1 v1.5 through
// privateEncrypt of the DigestInfo, and RSA-PSS through an EMSA-PSS encoding
// (RFC 8017 §9.1.1, MGF1-SHA256, salt = digest length, as KMS) + raw RSA.
import { createHash, generateKeyPairSync, privateEncrypt, randomBytes, constants, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';

export type KmsAlgorithm =
  | 'EC_SIGN_P256_SHA256'
  | 'EC_SIGN_P384_SHA384'
  | 'RSA_SIGN_PKCS1_2048_SHA256'
  | 'RSA_SIGN_PKCS1_3072_SHA256'
  | 'RSA_SIGN_PKCS1_4096_SHA256'
  | 'RSA_SIGN_PSS_2048_SHA256'
  | 'RSA_SIGN_PSS_3072_SHA256'
  | 'RSA_SIGN_PSS_4096_SHA256'
  // Any other CryptoKeyVersionAlgorithm name: the server hands out a P-256 key
  // under that label so clients can be tested against algorithms they refuse.
  | (string & {});

export interface TestKey {
  algorithm: string;
  publicKeyPem: string;
  /** Digest the algorithm signs: 'sha256' or 'sha384'. */
  digest: 'sha256' | 'sha384';
  sign(digest: Buffer): Buffer;
}

const rsaBits = (alg: string): number | undefined => {
  const m = /^RSA_SIGN_(?:PKCS1|PSS)_(\d{4})_SHA256$/.exec(alg);
  return m ? Number(m[1]) : undefined;
};

// DER prefix of DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export function generateTestKey(algorithm: string): TestKey {
  const bits = rsaBits(algorithm);
  if (bits) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const pss = algorithm.startsWith('RSA_SIGN_PSS_');
    return {
      algorithm,
      publicKeyPem: pem,
      digest: 'sha256',
      sign: (digest) => (pss ? rsaPssSign(privateKey, bits, digest) : rsaPkcs1Sign(privateKey, digest)),
    };
  }
  const p384Key = algorithm === 'EC_SIGN_P384_SHA384';
  const curve = p384Key ? p384 : p256;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: p384Key ? 'P-384' : 'P-256' });
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  return {
    algorithm,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    digest: p384Key ? 'sha384' : 'sha256',
    sign: (digest) => Buffer.from(curve.sign(digest, d, { prehash: false, format: 'der' })),
  };
}

function rsaPkcs1Sign(key: KeyObject, digest: Buffer): Buffer {
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]));
}

function mgf1(seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < length; i++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(i);
    out.push(createHash('sha256').update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

function rsaPssSign(key: KeyObject, modBits: number, mHash: Buffer): Buffer {
  const hLen = 32;
  const sLen = hLen;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(sLen);
  const h = createHash('sha256').update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([0x01]), salt]);
  const masked = mgf1(h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= masked[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  // emLen equals the modulus length for the sizes KMS offers (multiples of 8 bits).
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
}
