// Private key files: PEM detection, loading (plain or cosign-encrypted),
// generation, and the public-key hint that Sigstore bundles carry.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { OrelError } from '@orel/core';
import { COSIGN_PEM_TYPE, SIGSTORE_PEM_TYPE, decryptCosignKeyJson } from './keys-cosign.js';

export interface PemBlock {
  type: string;
  der: Buffer;
}

/** Every PEM block in a text, in order (junk between blocks is ignored, as Go's pem.Decode does). */
export function parsePemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // Skip RFC 1421 headers (Proc-Type, DEK-Info) if any, then decode the base64 body.
    const body = m[2].split(/\r?\n/).filter((l) => l.trim() !== '' && !l.includes(':')).join('');
    out.push({ type: m[1], der: Buffer.from(body, 'base64') });
  }
  return out;
}

const PRIVATE_TYPES = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', COSIGN_PEM_TYPE, SIGSTORE_PEM_TYPE]);

/** Curves orel signs with, by node's namedCurve, with the digest their signatures use. */
export const SUPPORTED_CURVES: Record<string, { name: 'P-256'; hash: 'sha256' }> = {
  prime256v1: { name: 'P-256', hash: 'sha256' },
};

/** "ec P-384", "rsa 2048 bits", "ed25519": for messages about unsupported keys. */
export function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return `ec ${d.namedCurve ?? 'unknown curve'}`;
  if (d.modulusLength) return `${key.asymmetricKeyType} ${d.modulusLength} bits`;
  return String(key.asymmetricKeyType);
}

/**
 * Parses a private key file's text: PEM PKCS#8 ("PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"),
 * encrypted PKCS#8, or a cosign encrypted key. `file` only names the key in errors.
 */
export async function parsePrivateKey(text: string, opts: { file: string; password?: string }): Promise<KeyObject> {
  const { file } = opts;
  const blocks = parsePemBlocks(text);
  const block = blocks.find((b) => PRIVATE_TYPES.has(b.type));
  if (!block) {
    const found = blocks.length ? `PEM block(s) ${blocks.map((b) => `"${b.type}"`).join(', ')}` : 'no PEM block';
    throw new OrelError('KEY_INVALID', `${file}: not a supported private key (found ${found})`, {
      hint: 'use a PEM PKCS#8 EC P-256 key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256) or a cosign key (cosign generate-key-pair)',
    });
  }
  let key: KeyObject;
  try {
    if (block.type === COSIGN_PEM_TYPE || block.type === SIGSTORE_PEM_TYPE) {
      const der = await decryptCosignKeyJson(block.der, opts.password ?? '', file);
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } else if (block.type === 'ENCRYPTED PRIVATE KEY') {
      key = createPrivateKey({ key: block.der, format: 'der', type: 'pkcs8', passphrase: opts.password ?? '' });
    } else {
      key = createPrivateKey({ key: block.der, format: 'der', type: block.type === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8' });
    }
  } catch (e) {
    if (e instanceof OrelError) throw e;
    const msg = (e as Error).message ?? String(e);
    if (block.type === 'ENCRYPTED PRIVATE KEY' && /decrypt|bad decrypt|passphrase/i.test(msg)) {
      throw new OrelError('KEY_INVALID', `cannot decrypt ${file}: wrong password`, { cause: e });
    }
    throw new OrelError('KEY_INVALID', `${file}: cannot parse "${block.type}" block: ${msg}`, { cause: e });
  }
  if (key.asymmetricKeyType !== 'ec' || !SUPPORTED_CURVES[key.asymmetricKeyDetails?.namedCurve ?? '']) {
    throw new OrelError('KEY_INVALID', `${file}: unsupported key type ${describeKey(key)}; orel signs with ECDSA P-256 keys`, {
      hint: 'generate one with cosign generate-key-pair or openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256',
    });
  }
  return key;
}

/** Reads and parses a private key file (see parsePrivateKey). */
export async function loadPrivateKeyFile(file: string, password?: string): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new OrelError('KEY_INVALID', `cannot read key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
    });
  }
  return parsePrivateKey(text, { file, password });
}

/**
 * What can be checked of a key file without its password (mock mode: a
 * rehearsal fails where the real run would): it exists, holds a supported
 * private key block, and an unencrypted key parses as ECDSA P-256.
 */
export async function checkPrivateKeyFile(file: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new OrelError('KEY_INVALID', `cannot read key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'the rehearsal signs with the sandbox key, but the real run will need this file: fix signers.*.key',
      cause: e,
    });
  }
  const blocks = parsePemBlocks(text);
  const block = blocks.find((b) => PRIVATE_TYPES.has(b.type));
  if (block && (block.type === COSIGN_PEM_TYPE || block.type === SIGSTORE_PEM_TYPE)) {
    try {
      JSON.parse(block.der.toString('utf8'));
      return;
    } catch {
      throw new OrelError('KEY_INVALID', `${file}: the "${block.type}" block is not a cosign key envelope`);
    }
  }
  if (block?.type === 'ENCRYPTED PRIVATE KEY') return;
  await parsePrivateKey(text, { file });
}

/** PEM SPKI ("PUBLIC KEY") of a private or public key: the content of cosign.pub. */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * The key hint Sigstore bundles carry for key-signed content: standard base64
 * of SHA-256 over the SPKI DER (as cosign and sigstore-go compute it).
 */
export function publicKeyHint(key: KeyObject | string): string {
  const pub = typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** A fresh ECDSA P-256 key pair as PEM (PKCS#8 private, SPKI public): tests and the mock sandbox key. */
export function generateKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** PKCS#8 DER of a private key (the plaintext inside a cosign key file). */
export function pkcs8Der(key: KeyObject | string): Buffer {
  const k = typeof key === 'string' ? createPrivateKey(key) : key;
  return k.export({ type: 'pkcs8', format: 'der' });
}
