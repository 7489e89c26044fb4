// cosign's older bundle file (`cosign sign-blob --bundle` before the Sigstore
// bundle format): {"base64Signature", "cert", "rekorBundle"}. It says the same
// as a Sigstore bundle v0.1 (signature, key or certificate, and the Rekor
// entry with its signed entry timestamp), so it is read as one and verified
// by the same code.
import { createHash, createPublicKey } from 'node:crypto';
import { pem as pemUtil } from '@sigstore/core';

interface LegacyCosignBundle {
  base64Signature: string;
  /** base64 of a PEM certificate (keyless) or PEM public key (key-signed). */
  cert?: string;
  rekorBundle?: {
    SignedEntryTimestamp: string;
    Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
  };
}

export function isLegacyCosignBundle(json: unknown): json is LegacyCosignBundle {
  return !!json && typeof json === 'object' && !('mediaType' in json) && typeof (json as LegacyCosignBundle).base64Signature === 'string';
}

/** The equivalent Sigstore bundle v0.1 JSON, for the artifact with this sha256. */
export function legacyToSigstoreBundle(b: LegacyCosignBundle, sha256: Buffer): unknown {
  const pem = b.cert ? Buffer.from(b.cert, 'base64').toString('utf8') : '';
  const isCert = pem.includes('BEGIN CERTIFICATE');
  const hint = !isCert && pem ? createHash('sha256').update(createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest('base64') : 'cosign-legacy';
  const rekor = b.rekorBundle;
  const body = rekor ? (JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8')) as { kind?: string; apiVersion?: string }) : undefined;
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...(isCert ? { x509CertificateChain: { certificates: [{ rawBytes: pemUtil.toDER(pem).toString('base64') }] } } : { publicKey: { hint } }),
      tlogEntries: rekor
        ? [
            {
              logIndex: String(rekor.Payload.logIndex),
              logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
              kindVersion: { kind: body?.kind ?? 'hashedrekord', version: body?.apiVersion ?? '0.0.1' },
              integratedTime: String(rekor.Payload.integratedTime),
              inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
              canonicalizedBody: rekor.Payload.body,
            },
          ]
        : [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: sha256.toString('base64') }, signature: b.base64Signature },
  };
}
