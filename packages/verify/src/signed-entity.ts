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
