// Keyless signing (Sigstore): ONE ephemeral P-256 key and ONE Fulcio
// certificate per run, shared by every artifact; a new certificate (same key)
// only when the current one is about to expire. @sigstore/sign's FulcioSigner
// asks Fulcio for a certificate on every sign() call, which at hundreds of
// artifacts is hundreds of round trips and certificates.
import { generateKeyPairSync, sign as nodeSign, X509Certificate } from 'node:crypto';
import { OrelError, registerSecret, type HashAlgorithm, type RetryOptions, type SignatureResult, type Signer } from '@orel/core';
import { EcdsaDigestSigner } from './keys-ecdsa.js';
import { requestSigningCertificate, tokenSubject } from './keyless-fulcio.js';

export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';

export interface KeylessSigner extends Signer {
  /** The current signing certificate (PEM), requesting it on first use. */
  certificatePem(): Promise<string>;
  /** Fulcio round trips so far (1 for a run shorter than a certificate's life). */
  readonly certificateRequests: number;
}

export interface KeylessSignerOptions {
  /** Returns an OIDC identity token (called once per certificate). */
  token: () => Promise<string>;
  retry?: RetryOptions;
  /** Renew when the certificate has less than this left (default 2 min: Rekor must log before expiry). */
  renewBeforeMs?: number;
  now?: () => number;
}

/** The plan's keyless signer fields this needs (structurally @orel/plan's KeylessSignerSpec). */
export interface KeylessSignerSpecLike {
  fulcio?: string;
  /** How reports and the stage manifest name the signer (default: names the Fulcio URL). */
  ref?: string;
}

interface CurrentCert {
  pem: string;
  notAfter: number;
}

export async function createKeylessSigner(spec: KeylessSignerSpecLike, opts: KeylessSignerOptions): Promise<KeylessSigner> {
  const fulcioUrl = spec.fulcio || DEFAULT_FULCIO_URL;
  const now = opts.now ?? Date.now;
  const renewBefore = opts.renewBeforeMs ?? 120_000;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const digestSigner = new EcdsaDigestSigner(privateKey);
  let current: Promise<CurrentCert> | undefined;
  let requests = 0;

  async function fetchCertificate(): Promise<CurrentCert> {
    let token: string;
    try {
      token = await opts.token();
    } catch (e) {
      if (e instanceof OrelError) throw e;
      throw new OrelError('SIGN_FAILED', `could not get an OIDC identity token for keyless signing: ${(e as Error).message ?? e}`, { cause: e });
    }
    registerSecret(token);
    // Proof of possession: the token's subject signed with the ephemeral key.
    const proof = nodeSign('sha256', Buffer.from(tokenSubject(token)), privateKey);
    requests++;
    const chain = await requestSigningCertificate({ fulcioUrl, token, publicKeyPem, proofOfPossession: proof, retry: opts.retry });
    const leaf = new X509Certificate(chain[0]);
    if (!leaf.publicKey.equals(publicKey)) throw new OrelError('SIGN_FAILED', `Fulcio at ${fulcioUrl} returned a certificate for another key`);
    return { pem: normalizePem(chain[0]), notAfter: Date.parse(leaf.validTo) };
  }

  function renew(): Promise<CurrentCert> {
    const pending = fetchCertificate();
    current = pending;
    pending.catch(() => undefined); // no unhandled rejection; callers see the failure
    return pending;
  }

  // Single flight: concurrent signers share one request, first or renewal.
  async function certificate(): Promise<string> {
    for (;;) {
      const seen = current;
      if (!seen) return (await renew()).pem;
      // A failed request fails every later signature too: one outage, one
      // error, not a retry storm per artifact.
      const cert = await seen;
      if (current !== seen) continue; // someone renewed meanwhile: use theirs
      if (cert.notAfter - now() >= renewBefore) return cert.pem;
      return (await renew()).pem;
    }
  }

  return {
    ref: spec.ref ?? `keyless (Fulcio ${fulcioUrl})`,
    hashAlgorithm: 'sha256',
    get certificateRequests() {
      return requests;
    },
    certificatePem: certificate,
    async signDigest(digest: Buffer, algorithm: HashAlgorithm) {
      // Certificate first: a signature must be made while the certificate is valid.
      const cert = await certificate();
      return { signature: await digestSigner.sign(digest, algorithm), key: { $case: 'x509Certificate', certificate: cert } };
    },
    async sign(data: Buffer): Promise<SignatureResult> {
      const cert = await certificate();
      return { signature: nodeSign('sha256', data, privateKey), key: { $case: 'x509Certificate', certificate: cert } };
    },
    close: () => digestSigner.close(),
  };
}

/**
 * One canonical PEM (64-character lines, a trailing newline), whatever Fulcio
 * sent: the Rekor entry embeds it, and verifiers such as sigstore-python
 * rebuild the entry from the certificate's DER and compare.
 */
function normalizePem(pem: string): string {
  return new X509Certificate(pem).toString().trim() + '\n';
}
