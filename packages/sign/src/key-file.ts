// Signer adapter for a private key file (PEM or cosign-encrypted), and the
// same signer over an in-memory key (the mock sandbox's key).
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { OrelError, registerSecret, type HashAlgorithm, type KeyMaterial, type SignatureResult, type Signer } from '@orel/core';
import { loadPrivateKeyFile, publicKeyHint, publicKeyPem } from './keys.js';
import { EcdsaDigestSigner } from './keys-ecdsa.js';

export interface KeyFileSignerSpec {
  /** Key file path, relative to opts.baseDir. */
  key: string;
  /** Already-resolved password for encrypted keys (cosign keys with no password use ""). */
  password?: string;
}

/** Loads the key once; a wrong password or unsupported key fails here, before any signing. */
export async function createKeyFileSigner(spec: KeyFileSignerSpec, opts: { baseDir: string }): Promise<Signer> {
  registerSecret(spec.password);
  const file = isAbsolute(spec.key) ? spec.key : resolve(opts.baseDir, spec.key);
  const key = await loadPrivateKeyFile(file, spec.password);
  return createPrivateKeySigner(key, `key:${spec.key}`);
}

/** A Signer over a P-256 private key already in memory. */
export function createPrivateKeySigner(privateKey: KeyObject, ref: string): Signer {
  return new PrivateKeySigner(privateKey, ref);
}

class PrivateKeySigner implements Signer {
  readonly hashAlgorithm: HashAlgorithm = 'sha256';
  private readonly digestSigner: EcdsaDigestSigner;
  private readonly material: KeyMaterial;
  private readonly pem: string;

  constructor(
    private readonly privateKey: KeyObject,
    readonly ref: string,
  ) {
    this.digestSigner = new EcdsaDigestSigner(privateKey);
    this.pem = publicKeyPem(privateKey);
    this.material = { $case: 'publicKey', publicKey: this.pem, hint: publicKeyHint(privateKey) };
  }

  async signDigest(digest: Buffer, algorithm: HashAlgorithm): Promise<SignatureResult> {
    try {
      return { signature: await this.digestSigner.sign(digest, algorithm), key: this.material };
    } catch (e) {
      if (e instanceof OrelError) throw e;
      throw new OrelError('SIGN_FAILED', `${this.ref}: ${(e as Error).message}`, { cause: e });
    }
  }

  async sign(data: Buffer): Promise<SignatureResult> {
    // DER (IEEE P1363 is node's other option) so outputs match signDigest's.
    const signature = cryptoSign(this.hashAlgorithm, data, { key: this.privateKey, dsaEncoding: 'der' });
    return { signature, key: this.material };
  }

  async publicKeyPem(): Promise<string> {
    return this.pem;
  }

  close(): Promise<void> {
    return this.digestSigner.close();
  }
}
