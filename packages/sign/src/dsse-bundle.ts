// A Sigstore bundle over a DSSE envelope (an in-toto statement: an image's
// cosign signature, the release's SLSA provenance), signed with any orel
// signer and witnessed (Rekor, TSA) as message bundles are.
import type { Bundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, type Witness } from '@sigstore/sign';
import { OrelError, type SignatureResult, type Signer } from '@orel/core';
import { withCertificateChain } from './outputs-bundle.js';
import { INTOTO_PAYLOAD_TYPE } from './statement.js';


export async function signDsseBundle(o: { payload: Buffer; payloadType?: string; signer: Signer; witnesses?: Witness[]; what: string }): Promise<Bundle> {
  // The DSSE keyid stays empty, as cosign (sigstore-go) writes it: its
  // verifier skips a signature whose keyid is not its own SSH fingerprint.
  // The key hint goes in the bundle's verification material instead.
  let hint: string | undefined;
  let signed: SignatureResult | undefined;
  const builder = new DSSEBundleBuilder({
    signer: {
      sign: async (data) => {
        const sig = await o.signer.sign(data);
        signed = sig;
        if (sig.key.$case !== 'publicKey') return sig;
        hint = sig.key.hint;
        return { ...sig, key: { ...sig.key, hint: '' } };
      },
    },
    witnesses: o.witnesses ?? [],
  });
  let bundle: Bundle;
  try {
    bundle = await builder.create({ data: o.payload, type: o.payloadType ?? INTOTO_PAYLOAD_TYPE });
  } catch (err) {
    if (err instanceof OrelError) throw err;
    throw new OrelError('SIGN_FAILED', `signing ${o.what} failed: ${(err as Error).message}`, { cause: err });
  }
  if (signed) withCertificateChain(bundle, signed);
  if (hint && bundle.verificationMaterial.content.$case === 'publicKey') bundle.verificationMaterial.content.publicKey.hint = hint;
  return bundle;
}
