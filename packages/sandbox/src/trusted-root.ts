// The sandbox's trusted_root.json, in the standard protobuf-JSON format
// (application/vnd.dev.sigstore.trustedroot+json;version=0.1), so that
// @sigstore/verify, cosign or sigstore-python can check sandbox bundles.
import { createHash, type KeyObject } from 'node:crypto';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

export interface SandboxTrustInput {
  /** Start of validity for every authority (the sandbox's creation time). */
  validFrom: Date;
  fulcioUrl: string;
  rekorUrl: string;
  tsaUrl: string;
  fulcioRoot: Buffer;
  ctlogKey: KeyObject;
  rekorKey: KeyObject;
  /** A Rekor v2 log: the URL whose host is its checkpoint origin, and its key. */
  rekorV2?: { url: string; key: KeyObject };
  /** TSA signing certificate first, then its root. */
  tsaChain: Buffer[];
}

const spki = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });
const b64 = (b: Buffer): string => b.toString('base64');

function logEntry(baseUrl: string, key: KeyObject, start: string) {
  const der = spki(key);
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(der), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
    logId: { keyId: b64(createHash('sha256').update(der).digest()) },
  };
}

export function buildTrustedRoot(t: SandboxTrustInput): Record<string, unknown> {
  const start = t.validFrom.toISOString();
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [logEntry(t.rekorUrl, t.rekorKey, start), ...(t.rekorV2 ? [logEntry(t.rekorV2.url, t.rekorV2.key, start)] : [])],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: t.fulcioUrl,
        certChain: { certificates: [{ rawBytes: b64(t.fulcioRoot) }] },
        validFor: { start },
      },
    ],
    // The CT log's id is the SHA-256 of its SPKI, as the mock's CT log computes it.
    ctlogs: [logEntry(`${t.fulcioUrl}/ct`, t.ctlogKey, start)],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: t.tsaUrl,
        certChain: { certificates: t.tsaChain.map((c) => ({ rawBytes: b64(c) })) },
        validFor: { start },
      },
    ],
  };
}
