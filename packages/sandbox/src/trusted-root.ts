// A Sigstore trusted_root.json, in the standard protobuf-JSON format
// (application/vnd.dev.sigstore.trustedroot+json;version=0.1), for the sandbox
// and the private test stack, so @sigstore/verify, cosign or sigstore-python
// can check their bundles.
import { createHash, type KeyObject } from 'node:crypto';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

export interface LogKey {
  /** Where the log is (a Rekor v1, a checkpoint origin's URL, a CT log). */
  url: string;
  key: KeyObject;
}

export interface TrustInput {
  /** Start of validity for every authority. */
  validFrom: Date;
  fulcioUrl: string;
  /** The CA's chain, root last (DER). */
  fulcioChain: Buffer[];
  ctlog: LogKey;
  tlogs: LogKey[];
  tsa: { url: string; chain: Buffer[] };
  /** The CA and TSA subjects' organization. */
  organization?: string;
}

const spki = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });
const b64 = (b: Buffer): string => b.toString('base64');

// Log IDs are the SHA-256 of the key's SPKI, for Rekor v1, CT logs and (ECDSA keys) Rekor v2 alike.
function logEntry({ url, key }: LogKey, start: string) {
  const der = spki(key);
  return {
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(der), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
    logId: { keyId: b64(createHash('sha256').update(der).digest()) },
  };
}

export function buildTrustedRoot(t: TrustInput): Record<string, unknown> {
  const start = t.validFrom.toISOString();
  const organization = t.organization ?? 'sigstore.mock';
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: t.tlogs.map((l) => logEntry(l, start)),
    certificateAuthorities: [
      {
        subject: { organization, commonName: 'sigstore' },
        uri: t.fulcioUrl,
        certChain: { certificates: t.fulcioChain.map((c) => ({ rawBytes: b64(c) })) },
        validFor: { start },
      },
    ],
    ctlogs: [logEntry(t.ctlog, start)],
    timestampAuthorities: [
      {
        subject: { organization, commonName: 'tsa' },
        uri: t.tsa.url,
        certChain: { certificates: t.tsa.chain.map((c) => ({ rawBytes: b64(c) })) },
        validFor: { start },
      },
    ],
  };
}
