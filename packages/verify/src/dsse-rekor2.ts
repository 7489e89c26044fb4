// Rekor v2 logs a DSSE envelope as hashedrekord 0.0.2 over
// SHA-256(PAE(payloadType, payload)) ("hashedrekord-over-DSSE", rekor-v2
// spec §6.1.4); @sigstore/verify 3 compares DSSE entries against
// SHA-256(payload) only. Accept either digest: both bind the same envelope.
import { createHash } from 'node:crypto';
import { dsse } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';
import { withSignature } from './signed-entity.js';

export function withPaeDigest(entity: SignedEntity, envelope: { payloadType: string; payload: Buffer }): SignedEntity {
  const paeDigest = createHash('sha256').update(dsse.preAuthEncoding(envelope.payloadType, envelope.payload)).digest();
  return withSignature(entity, { compareDigest: (d) => entity.signature.compareDigest(d) || d.equals(paeDigest) });
}
