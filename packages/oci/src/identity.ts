// Who signed: a comparable identity for key material, used to recognise our
// own earlier signature on a re-run (no duplicate layers) and by verify.
import { createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';
import type { KeyMaterial } from '@orel/core';
import { X509Certificate } from '@sigstore/core';

/** DER SPKI (hex) of a PEM public key or certificate. */
export function spkiHex(pem: string): string {
  const key = pem.includes('CERTIFICATE') ? new NodeX509(pem).publicKey : createPublicKey(pem);
  return key.export({ type: 'spki', format: 'der' }).toString('hex');
}

/**
 * key:<spki> for public keys; cert:<SAN> for certificates (keyless keys are
 * ephemeral, so the same signer is the same identity, not the same key).
 */
export function signerIdentity(key: KeyMaterial | { certificate?: string; publicKey?: string }): string {
  const k = key as { certificate?: string; publicKey?: string };
  if (k.certificate) return `cert:${X509Certificate.parse(k.certificate).subjectAltName ?? spkiHex(k.certificate)}`;
  return `key:${spkiHex(k.publicKey ?? '')}`;
}
