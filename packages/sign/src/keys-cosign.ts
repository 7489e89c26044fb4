// cosign's encrypted private key format, byte for byte.
//
// cosign (pkg/cosign/keys.go) PEM-wraps, under the type
// "ENCRYPTED SIGSTORE PRIVATE KEY" (older: "ENCRYPTED COSIGN PRIVATE KEY"),
// the JSON written by go-securesystemslib's `encrypted` package:
//   {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<b64 32 bytes>"},
//    "cipher":{"name":"nacl/secretbox","nonce":"<b64 24 bytes>"},"ciphertext":"<b64>"}
// The secretbox key is scrypt(password, salt, N, r, p, 32); the plaintext is a
// PKCS#8 DER private key. Go's encoding/json writes []byte as padded standard
// base64 and struct fields in declaration order, which JSON.stringify of the
// object literal below reproduces.
import { randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import nacl from 'tweetnacl';
import { OrelError } from '@orel/core';

export const COSIGN_PEM_TYPE = 'ENCRYPTED COSIGN PRIVATE KEY';
export const SIGSTORE_PEM_TYPE = 'ENCRYPTED SIGSTORE PRIVATE KEY';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** go-securesystemslib's "Legacy" strength, which `cosign generate-key-pair` uses. */
export const COSIGN_SCRYPT_DEFAULTS: Readonly<ScryptParams> = { N: 32768, r: 8, p: 1 };

interface EncryptedKeyJson {
  kdf: { name: string; params: ScryptParams; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // Node refuses N*r*128 >= maxmem (32 MiB by default), which cosign's N=32768 r=8 reaches.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + (1 << 20) };
  return new Promise((resolve, reject) =>
    scryptCb(Buffer.from(password, 'utf8'), salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Bounds that keep a hostile key file from asking for gigabytes of scrypt memory. */
function checkParams(p: ScryptParams, file: string): void {
  const ok =
    Number.isInteger(p.N) && p.N >= 1024 && p.N <= 1 << 20 && (p.N & (p.N - 1)) === 0 &&
    Number.isInteger(p.r) && p.r >= 1 && p.r <= 32 &&
    Number.isInteger(p.p) && p.p >= 1 && p.p <= 16;
  if (!ok) throw new OrelError('KEY_INVALID', `${file}: unsupported scrypt parameters ${JSON.stringify(p)}`);
}

/** Encrypts PKCS#8 DER bytes the way cosign does; returns the JSON document (the PEM body). */
export async function encryptCosignKeyJson(
  pkcs8Der: Buffer,
  password: string,
  params: ScryptParams = COSIGN_SCRYPT_DEFAULTS,
): Promise<Buffer> {
  const salt = randomBytes(32);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const key = await scrypt(password, salt, params);
  const ciphertext = nacl.secretbox(pkcs8Der, nonce, key);
  const doc: EncryptedKeyJson = {
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: Buffer.from(nonce).toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return Buffer.from(JSON.stringify(doc));
}

/** Encrypts a PKCS#8 DER private key into a cosign key file (PEM, Go's 64-column lines). */
export async function encryptCosignKey(
  pkcs8Der: Buffer,
  password: string,
  opts: { params?: ScryptParams; pemType?: typeof COSIGN_PEM_TYPE | typeof SIGSTORE_PEM_TYPE } = {},
): Promise<string> {
  const json = await encryptCosignKeyJson(pkcs8Der, password, opts.params);
  return pemEncode(opts.pemType ?? SIGSTORE_PEM_TYPE, json);
}

/** Decrypts the JSON body of a cosign key file to its PKCS#8 DER plaintext. */
export async function decryptCosignKeyJson(json: Buffer, password: string, file: string): Promise<Buffer> {
  let doc: EncryptedKeyJson;
  try {
    doc = JSON.parse(json.toString('utf8')) as EncryptedKeyJson;
  } catch {
    throw new OrelError('KEY_INVALID', `${file}: encrypted cosign key is not valid JSON inside its PEM block`);
  }
  if (doc?.kdf?.name !== 'scrypt' || doc?.cipher?.name !== 'nacl/secretbox' || typeof doc.ciphertext !== 'string') {
    throw new OrelError(
      'KEY_INVALID',
      `${file}: unsupported encrypted key (kdf ${doc?.kdf?.name ?? '?'}, cipher ${doc?.cipher?.name ?? '?'}); expected scrypt + nacl/secretbox`,
    );
  }
  const params = doc.kdf.params ?? ({} as ScryptParams);
  checkParams(params, file);
  const salt = Buffer.from(doc.kdf.salt ?? '', 'base64');
  const nonce = Buffer.from(doc.cipher.nonce ?? '', 'base64');
  if (nonce.length !== nacl.secretbox.nonceLength || salt.length === 0) {
    throw new OrelError('KEY_INVALID', `${file}: malformed encrypted key (salt or nonce)`);
  }
  const key = await scrypt(password, salt, params);
  const plain = nacl.secretbox.open(Buffer.from(doc.ciphertext, 'base64'), nonce, key);
  if (!plain) {
    throw new OrelError('KEY_INVALID', `cannot decrypt ${file}: wrong password (COSIGN_PASSWORD?)`, {
      hint: 'set the signer password in the plan to ${env:COSIGN_PASSWORD} and export the password the key was created with',
    });
  }
  return Buffer.from(plain);
}

export function pemEncode(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}
