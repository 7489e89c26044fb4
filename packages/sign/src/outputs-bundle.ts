// Sigstore bundle v0.3 for a message signature, with witnesses (Rekor, TSA)
// run the way @sigstore/sign's BaseBundleBuilder runs them: in parallel over
// the bundle content, their material merged into verificationMaterial.
import { BUNDLE_V02_MEDIA_TYPE, bundleToJSON, toMessageSignatureBundle, type Bundle, type SerializedBundle } from '@sigstore/bundle';
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
  withCertificateChain(bundle, result);
  const materials = await Promise.all((opts.witnesses ?? []).map((w) => w.testify(bundle.content, keyMaterialPem(result))));
  bundle.verificationMaterial.tlogEntries = materials.flatMap((m) => m.tlogEntries ?? []);
  bundle.verificationMaterial.timestampVerificationData = {
    rfc3161Timestamps: materials.flatMap((m) => m.rfc3161Timestamps ?? []),
  };
  return bundle;
}

/**
 * A CA-certified key's bundle carries the certificate with its intermediates
 * (x509CertificateChain, leaf first; the root is the verifier's to hold).
 * Bundle v0.3 allows only a single certificate, so such bundles are v0.2,
 * which cosign, sigstore-go and sigstore-js all read.
 */
export function withCertificateChain<B extends Pick<Bundle, 'mediaType' | 'verificationMaterial'>>(bundle: B, result: SignatureResult): B {
  if (result.key.$case !== 'x509Certificate' || !result.key.chain) return bundle;
  const intermediates = result.key.chain.slice(0, -1);
  bundle.mediaType = BUNDLE_V02_MEDIA_TYPE;
  bundle.verificationMaterial.content = {
    $case: 'x509CertificateChain',
    x509CertificateChain: { certificates: [result.key.certificate, ...intermediates].map((p) => ({ rawBytes: pem.toDER(p) })) },
  };
  return bundle;
}

/** The `<name>.sigstore.json` bytes (compact JSON, as cosign writes it). */
export function serializeBundle(bundle: Bundle): Buffer {
  const json: SerializedBundle = bundleToJSON(bundle);
  return Buffer.from(JSON.stringify(json));
}
