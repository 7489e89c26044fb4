// Pure parsing for Cloud KMS signer specs: key URIs, supported algorithms and
// endpoints. No I/O here, so every rule is unit-tested without a server.
import type { HashAlgorithm } from '@orel/core';
import { OrelError } from '@orel/core';

export interface KmsKeyRef {
  /** projects/P/locations/L/keyRings/R/cryptoKeys/K */
  cryptoKey: string;
  /** .../cryptoKeyVersions/V, when the URI names one. */
  version?: string;
}

const KEY_URI_RE =
  /^gcpkms:\/\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+)(?:\/cryptoKeyVersions\/([^/]+))?\/?$/;

export function parseKmsKeyUri(uri: string): KmsKeyRef {
  const m = KEY_URI_RE.exec(uri.trim());
  if (!m) {
    throw new OrelError('KEY_INVALID', `"${uri}" is not a Cloud KMS key URI`, {
      hint: 'write gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V',
    });
  }
  return { cryptoKey: m[1], version: m[2] ? `${m[1]}/cryptoKeyVersions/${m[2]}` : undefined };
}

/** Cloud KMS signing algorithms orel supports, with the digest each one signs. */
export const KMS_ALGORITHMS: Record<string, { hash: HashAlgorithm; family: 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss' }> = {
  EC_SIGN_P256_SHA256: { hash: 'sha256', family: 'ecdsa' },
  EC_SIGN_P384_SHA384: { hash: 'sha384', family: 'ecdsa' },
  RSA_SIGN_PKCS1_2048_SHA256: { hash: 'sha256', family: 'rsa-pkcs1' },
  RSA_SIGN_PKCS1_3072_SHA256: { hash: 'sha256', family: 'rsa-pkcs1' },
  RSA_SIGN_PKCS1_4096_SHA256: { hash: 'sha256', family: 'rsa-pkcs1' },
  RSA_SIGN_PSS_2048_SHA256: { hash: 'sha256', family: 'rsa-pss' },
  RSA_SIGN_PSS_3072_SHA256: { hash: 'sha256', family: 'rsa-pss' },
  RSA_SIGN_PSS_4096_SHA256: { hash: 'sha256', family: 'rsa-pss' },
};

/** The digest an algorithm signs; a wrong purpose or an unsupported algorithm is a KEY_INVALID naming the key. */
export function kmsAlgorithmHash(algorithm: string, key: string): HashAlgorithm {
  const known = KMS_ALGORITHMS[algorithm];
  if (known) return known.hash;
  if (/DECRYPT|ENCRYPT|HMAC/.test(algorithm)) {
    throw new OrelError('KEY_INVALID', `key ${key} is not a signing key (algorithm ${algorithm})`, {
      hint: 'point the signer at a key version whose purpose is ASYMMETRIC_SIGN',
    });
  }
  throw new OrelError('KEY_INVALID', `unsupported algorithm ${algorithm} for key ${key}`, {
    hint: `use a key version with one of: ${Object.keys(KMS_ALGORITHMS).join(', ')}`,
  });
}

export interface KmsEndpoint {
  host: string;
  port: number;
  /** Plaintext gRPC (loopback test servers only). */
  plaintext: boolean;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Parses `host:port` ([v6]:port too); plaintext only when asked for AND the host is loopback. */
export function parseKmsEndpoint(endpoint: string, insecure: boolean | undefined, key: string): KmsEndpoint {
  const m = /^(?:\[([^\]]+)\]|([^:/\s]+)):(\d{1,5})$/.exec(endpoint.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new OrelError('PLAN_INVALID', `KMS signer for ${key}: endpoint "${endpoint}" is not host:port`, {
      hint: 'write endpoint: 127.0.0.1:8443 (a host and a port, no scheme)',
    });
  }
  const host = m[1] ?? m[2];
  if (insecure && !isLoopback(host)) {
    throw new OrelError('PLAN_INVALID', `KMS signer for ${key}: insecure (plaintext) gRPC is refused for non-loopback endpoint ${endpoint}`, {
      hint: 'remove insecure: true (TLS is used), or use a 127.0.0.1 / localhost test endpoint',
    });
  }
  return { host, port, plaintext: insecure === true };
}
