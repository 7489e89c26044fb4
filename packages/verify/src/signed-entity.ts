// @sigstore/verify's signed entity, with one behaviour of its signature
// content replaced. The content is a class instance, so its methods are
// delegated one by one rather than spread.
import type { SignedEntity } from '@sigstore/verify';

type SignatureContent = SignedEntity['signature'];

export function withSignature(
  entity: SignedEntity,
  patch: Partial<Pick<SignatureContent, 'compareDigest' | 'verifySignature'>>,
): SignedEntity {
  const content = entity.signature;
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (s) => content.compareSignature(s),
      compareDigest: patch.compareDigest ?? ((d) => content.compareDigest(d)),
      verifySignature: patch.verifySignature ?? ((k) => content.verifySignature(k)),
    },
  };
}

/**
 * A stand-in for the signing time, for @sigstore/verify's certificate check
 * when no log or TSA vouches for one: the chain is then checked at `at`
 * (a CA-certified key: now, as cosign does without a log; an unlogged
 * keyless pair: the certificate's issuance). Thresholds must not count it as a log entry.
 */
export function observedAt(at: Date): SignedEntity['timestamps'][number] {
  return {
    $case: 'transparency-log',
    tlogEntry: { integratedTime: String(Math.floor(at.getTime() / 1000)), inclusionPromise: { signedEntryTimestamp: Buffer.alloc(0) }, logId: { keyId: Buffer.alloc(0) } } as never,
  };
}
