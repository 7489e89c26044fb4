// Sigstore bundle v0.3 for a message signature, with witnesses (Rekor, TSA)
// run the way @sigstore/sign's BaseBundleBuilder runs them: in parallel over
// the bundle content, their material merged into verificationMaterial.
import { bundleToJSON, toMessageSignatureBundle, type Bundle, type SerializedBundle } from '@sigstore/bundle';
import { pem } from '@sigstore/core';
import { HashAlgorithm as ProtoHash } from '@sigstore/protobuf-specs';
import type { Witness } from '@sigstore/sign';
import type { HashAlgorithm, SignatureResult } from '@orel/core';

export type { Witness };

const PROTO_HASH: Record<HashAlgorithm, ProtoHash> = {
  sha256: ProtoHash.SHA2_256,
  sha384: ProtoHash.SHA2_384,
  sha512: ProtoHash.SHA2_512,
};

/** The PEM witnesses expect: the public key, or the certificate for keyless. */
export function keyMaterialPem(result: SignatureResult): string {
  return result.key.$case === 'publicKey' ? result.key.publicKey : result.key.certificate;
}

export async function buildMessageBundle(opts: {
  digest: Buffer;
  algorithm: HashAlgorithm;
  result: SignatureResult;
  witnesses?: Witness[];
}): Promise<Bundle> {
  const { result } = opts;
  const bundle = toMessageSignatureBundle({
    digest: opts.digest,
    signature: result.signature,
    certificate: result.key.$case === 'x509Certificate' ? pem.toDER(result.key.certificate) : undefined,
    keyHint: result.key.$case === 'publicKey' ? result.key.hint : undefined,
  });
  // toMessageSignatureBundle always writes SHA2_256; say what was really hashed.
  bundle.content.messageSignature.messageDigest!.algorithm = PROTO_HASH[opts.algorithm];
  const materials = await Promise.all((opts.witnesses ?? []).map((w) => w.testify(bundle.content, keyMaterialPem(result))));
  bundle.verificationMaterial.tlogEntries = materials.flatMap((m) => m.tlogEntries ?? []);
  bundle.verificationMaterial.timestampVerificationData = {
    rfc3161Timestamps: materials.flatMap((m) => m.rfc3161Timestamps ?? []),
  };
  return bundle;
}

/** The `<name>.sigstore.json` bytes (compact JSON, as cosign writes it). */
export function serializeBundle(bundle: Bundle): Buffer {
  const json: SerializedBundle = bundleToJSON(bundle);
  return Buffer.from(JSON.stringify(json));
}
